"""Every webhook checks Twilio's signature; the production entry refuses to run without one."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.bench import procfile
from ivr.errors import ConfigError

from .conftest import BASE, TOKEN, Twilio

ROOT = Path(__file__).resolve().parent.parent
URLS = ["/voice", "/voice/fallback", "/voice/en/main", "/voice/en/main/key", "/voice/languages/key", "/voice/nowhere/at/all"]


@pytest.mark.parametrize("url", URLS)
def test_an_unsigned_request_is_refused(twilio: Twilio, url: str) -> None:
    assert twilio.post(url, sign=False, Digits="1").status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_a_request_signed_with_another_token_is_refused(app: Flask, url: str) -> None:
    forged = Twilio(app, token="not-the-token")
    assert forged.post(url, Digits="1").status_code == 403


def test_a_forged_signature_header_is_refused(twilio: Twilio) -> None:
    response = twilio.client.post("/voice", data=twilio.call, headers={"X-Twilio-Signature": "AAAA" * 7})
    assert response.status_code == 403


def test_a_signature_for_other_parameters_is_refused(twilio: Twilio) -> None:
    params = {**twilio.call, "Digits": "1"}
    signature = RequestValidator(TOKEN).compute_signature(BASE + "/voice/en/main/key", params)
    tampered = {**params, "Digits": "0"}
    response = twilio.client.post("/voice/en/main/key", data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_a_signature_for_another_url_is_refused(twilio: Twilio) -> None:
    signature = RequestValidator(TOKEN).compute_signature(BASE + "/voice/en/help", twilio.call)
    response = twilio.client.post("/voice/en/main", data=twilio.call, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_http_instead_of_https_is_refused(app: Flask) -> None:
    assert Twilio(app, base=BASE.replace("https", "http")).post("/voice").status_code == 403


def test_a_signed_request_is_answered(twilio: Twilio) -> None:
    assert twilio.post("/voice").status_code == 200


def test_behind_a_proxy_without_public_base_url_the_forwarded_url_is_checked(make_app: Callable[..., Flask]) -> None:
    app = make_app(PUBLIC_BASE_URL="")
    client = app.test_client()
    params = {"CallSid": "CA1", "From": "+4798765432"}
    signature = RequestValidator(TOKEN).compute_signature("https://line.example.no/voice", params)
    headers = {"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.no"}
    assert client.post("/voice", data=params, headers=headers, base_url="http://10.0.0.5:8000").status_code == 200
    headers["X-Forwarded-Host"] = "evil.example.com"
    assert client.post("/voice", data=params, headers=headers, base_url="http://10.0.0.5:8000").status_code == 403


def test_without_a_token_the_app_refuses_to_start() -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN is not set"):
        create_app({"IVR_AUDIO_DIR": "/nonexistent"})


def test_unsigned_only_when_asked_for_and_said_loudly(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app({"IVR_ALLOW_UNSIGNED": "1"})
    assert "UNSIGNED" in caplog.text
    assert app.test_client().post("/voice").status_code == 200


def test_with_a_token_allow_unsigned_does_not_switch_checks_off(make_app: Callable[..., Flask]) -> None:
    app = make_app(IVR_ALLOW_UNSIGNED="1")
    assert Twilio(app).post("/voice", sign=False).status_code == 403


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ROSA_NUMBER", "22 33 11 60", "not an E.164 number"),
        ("IVR_CALLER_ID", "helpline", "not an E.164 number"),
        ("IVR_AUDIO_MODE", "loud", "IVR_AUDIO_MODE='loud' must be one of auto, say"),
        ("PUBLIC_BASE_URL", "ivr.example.org", "must start with https://"),
        ("IVR_LANGUAGES", "nb,xx", "IVR_LANGUAGES: no prompts/<code>.toml for xx"),
        ("IVR_PLAY_ENGINES", "recorded,robot", "IVR_PLAY_ENGINES: unknown robot"),
        ("IVR_DIAL_PIZZA", "+4722222222", "IVR_DIAL_PIZZA: no such service"),
    ],
)
def test_a_bad_setting_is_named(make_app: Callable[..., Flask], name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_app(**{name: value})
    assert any(message in p for p in caught.value.problems), caught.value.problems


# The Procfile's server ------------------------------------------------------------------------


def free_port() -> int:
    return procfile.free_port()


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    started: list[subprocess.Popen] = []

    def start(port: int, **env: str) -> subprocess.Popen:
        settings = {"WEB_CONCURRENCY": "1", "IVR_AUDIO_DIR": str(tmp_path),
                    "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'counts.sqlite'}", **env}  # not the checkout's instance/
        process = procfile.start(port, settings)
        started.append(process)
        return process

    yield start
    for process in started:
        procfile.stop(process)


@pytest.mark.slow  # real processes: `pytest -m 'not slow'` leaves it out
def test_the_procfile_server_refuses_to_start_without_a_token(gunicorn: Callable[..., subprocess.Popen]) -> None:
    process = gunicorn(free_port(), PUBLIC_BASE_URL="https://line.example.no")
    process.wait(timeout=60)
    assert process.returncode != 0
    assert "TWILIO_AUTH_TOKEN is not set" in procfile.output(process)


@pytest.mark.slow  # real processes: `pytest -m 'not slow'` leaves it out
def test_the_procfile_server_answers_a_signed_call(gunicorn: Callable[..., subprocess.Popen]) -> None:
    port = free_port()
    gunicorn(port, TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="https://line.example.no")
    params = {"CallSid": "CA1", "From": "+4798765432", "To": "+4721000000"}
    signature = RequestValidator(TOKEN).compute_signature("https://line.example.no/voice", params)
    deadline = time.monotonic() + 30
    while True:
        request = Request(f"http://127.0.0.1:{port}/voice", data=urlencode(params).encode(),
                          headers={"X-Twilio-Signature": signature})
        try:
            with urlopen(request, timeout=5) as response:
                assert response.headers["Content-Type"].startswith("text/xml")
                assert b"<Gather" in response.read()
                break
        except (ConnectionError, OSError) as e:
            if isinstance(e, HTTPError) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    unsigned = Request(f"http://127.0.0.1:{port}/voice", data=urlencode(params).encode())
    with pytest.raises(HTTPError) as refused:
        urlopen(unsigned, timeout=5)
    assert refused.value.code == 403
    refused.value.close()


# Fail closed -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["http://evil.example/voice/en/main/key", "https://ivr.example.org/voice", "*", "//voice"])
def test_a_target_that_is_not_a_plain_path_is_refused_even_if_signed(twilio: Twilio, target: str) -> None:
    params = {**twilio.call, "Digits": "1"}
    signature = RequestValidator(TOKEN).compute_signature(BASE + "/voice/en/main/key", params)
    response = twilio.client.post(
        "/voice/en/main/key", data=params, headers={"X-Twilio-Signature": signature},
        environ_overrides={"RAW_URI": target},
    )
    assert response.status_code == 403


def test_an_exception_inside_the_check_is_a_403_not_help(
    twilio: Twilio, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: object) -> bool:
        raise ValueError("Port could not be cast to integer value")

    monkeypatch.setattr(RequestValidator, "validate", boom)
    monkeypatch.setattr("ivr.security._sha1_signature", boom)  # the one-HMAC fast path, too
    response = twilio.post("/voice/en/main/key", Digits="1")
    assert response.status_code == 403
    assert b"<Response" not in response.data
    assert "Traceback" not in caplog.text


@pytest.mark.slow  # real processes: `pytest -m 'not slow'` leaves it out
def test_the_procfile_server_refuses_an_absolute_form_target(gunicorn: Callable[..., subprocess.Popen]) -> None:
    """The review's repro: a port in the checked URL made the validator raise and the line answer 200."""
    port = free_port()
    process = gunicorn(port, TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")  # a port in the URL
    request = (
        f"POST http://evil.example/voice/en/main/key HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "X-Twilio-Signature: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(request)
                answer = b""
                while chunk := s.recv(4096):
                    answer += chunk
            break
        except ConnectionRefusedError:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    assert b"<Response" not in answer
