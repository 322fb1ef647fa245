"""The Procfile's server, started for real on 127.0.0.1: slow and large clients, one public URL.

These are liveness checks with generous bounds (Twilio waits 15 s), not benchmarks:
`python -m ivr.bench` measures.
"""

from __future__ import annotations

import re
import runpy
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr import create_app
from ivr.bench import procfile
from ivr.bench.clients import PUBLIC, TOKEN, Hostile, Webhook, post
from ivr.errors import ConfigError
from ivr.limits import MAX_BODY, BodyLimit
from ivr.simulator import Simulator, SimulatorError
from ivr.wsgi import production_app

from .conftest import BASE
from .conftest import TOKEN as TEST_TOKEN

pytestmark = pytest.mark.slow  # the Procfile's server, started for real: `pytest -m 'not slow'` leaves it out

WORKERS = 2  # ivr/gunicorn_conf.py's default WEB_CONCURRENCY
BOUND = 5.0  # seconds: a liveness bound far below Twilio's 15 s, far above a webhook's few ms
HOOKS = [Webhook("/voice"), Webhook("/voice/languages/key", (("Digits", "2"),)), Webhook("/voice/en/main"),
         Webhook("/voice/en/main/key", (("Digits", "1"),)), Webhook("/voice/fallback")]


def raw(port: int, data: bytes, timeout: float = BOUND) -> bytes:
    """Send bytes on a new connection; return the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        answer = b""
        while b"\r\n" not in answer and (chunk := s.recv(4096)):
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


def form(hook: Webhook, target: str | None = None, headers: str = "Host: line.example.no\r\n",
         signature: str | None = None) -> bytes:
    body, signed = hook.body_and_signature()
    return (
        f"POST {target or hook.path} HTTP/1.1\r\n{headers}X-Twilio-Signature: {signature or signed}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


def answered(port: int, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Wait until a signed webhook is answered (every worker may still be booting)."""
    deadline = time.monotonic() + timeout
    while post(port, HOOKS[0], timeout=BOUND).status != 200:
        assert process.poll() is None, procfile.output(process)[-2000:]
        assert time.monotonic() < deadline, procfile.output(process)[-2000:]
        time.sleep(0.2)


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """The Procfile's server with its defaults (WEB_CONCURRENCY and threads from ivr/gunicorn_conf.py)."""
    counts = f"sqlite:///{tmp_path_factory.mktemp('counts') / 'counts.sqlite'}"  # not the checkout's instance/
    settings = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC, "IVR_DATABASE_URL": counts}
    with procfile.running(settings) as (port, process):
        answered(port, process)
        deadline = time.monotonic() + 30
        while len(procfile.workers(process.pid)) < WORKERS:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        yield port, process


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start the Procfile's server with these settings; stopped after the test."""
    started: list[subprocess.Popen[str]] = []

    def start(port: int, **settings: str) -> subprocess.Popen[str]:
        counts = f"sqlite:///{tmp_path / 'counts.sqlite'}"  # not the checkout's instance/
        started.append(procfile.start(port, {"IVR_DATABASE_URL": counts, **settings}))
        return started[-1]

    yield start
    for process in started:
        procfile.stop(process)


# Slow clients ---------------------------------------------------------------------------------


def test_the_procfile_runs_the_configured_server_and_logs_no_query_string() -> None:
    lines = (procfile.ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    (web,) = [line for line in lines if line.startswith("web: ")]
    assert web.startswith("web: gunicorn --config python:ivr.gunicorn_conf --bind 0.0.0.0:$PORT")
    assert "%(U)s" in web and "%(r)s" not in web and "%(q)s" not in web
    assert "ivr.wsgi:production_app()" in web


def test_gunicorn_conf_defaults_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = procfile.ROOT / "ivr" / "gunicorn_conf.py"
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    default = runpy.run_path(str(conf))
    assert (default["workers"], default["threads"], default["worker_class"]) == (2, 32, "ivr.worker.DeadlineWorker")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("WEB_THREADS", "8")
    chosen = runpy.run_path(str(conf))
    assert (chosen["workers"], chosen["threads"]) == (3, 8)


def test_slow_clients_held_open_do_not_starve_the_line(line: tuple[int, subprocess.Popen[str]]) -> None:
    """The review's finding 2: 4x as many trickling and as many short-body connections as workers."""
    port, _ = line
    held = 4 * WORKERS
    hostile = Hostile()
    try:
        for _ in range(held):
            hostile.trickle_headers(port)
            hostile.short_body(port)
        time.sleep(1.5)  # every one of them has been taken up by a thread and is blocking it
        answers = [post(port, HOOKS[i % len(HOOKS)], timeout=BOUND + 5) for i in range(25)]
        assert [a.status for a in answers] == [200] * len(answers)
        assert all(a.twiml for a in answers)
        assert max(a.seconds for a in answers) < BOUND, [round(a.seconds, 2) for a in answers]
        assert hostile.still_open() == 2 * held  # they really were held open all along
    finally:
        hostile.close()


def test_a_thread_is_taken_back_from_a_client_past_the_deadline(server: Callable[..., subprocess.Popen[str]]) -> None:
    """With every thread held by trickling clients, the deadline frees them (plain gthread never does)."""
    port = procfile.free_port()
    process = server(port, TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC, WEB_CONCURRENCY="1",
                     WEB_THREADS="2", WEB_REQUEST_DEADLINE="2")
    procfile.wait_until_listening(process, port)
    answered(port, process)
    hostile = Hostile()
    try:
        hostile.trickle_headers(port, every=0.5)
        hostile.trickle_headers(port, every=0.5)
        time.sleep(0.5)
        answer = post(port, HOOKS[0], timeout=20)
        assert answer.status == 200 and answer.twiml
        assert answer.seconds < 2 + 1 + BOUND  # the deadline, the main loop's second, a margin
        deadline = time.monotonic() + BOUND
        while hostile.still_open() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert hostile.still_open() == 0  # both were cut
    finally:
        hostile.close()
    assert re.search(r"cut [12] connection\(s\) not read and answered within 2 s", procfile.output(process))


def test_silent_connections_wait_without_a_thread(server: Callable[..., subprocess.Popen[str]]) -> None:
    """gthread alone gives each new connection a thread for up to 5 s before its first byte."""
    port = procfile.free_port()
    process = server(port, TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC, WEB_CONCURRENCY="1", WEB_THREADS="2")
    procfile.wait_until_listening(process, port)
    answered(port, process)
    hostile = Hostile()
    try:
        for _ in range(20):  # ten times the threads
            hostile.idle(port)
        time.sleep(0.5)
        answers = [post(port, HOOKS[0], timeout=30) for _ in range(5)]
        assert all(a.status == 200 and a.twiml for a in answers)
        assert max(a.seconds for a in answers) < BOUND, [round(a.seconds, 2) for a in answers]
    finally:
        hostile.close()


# Large bodies ---------------------------------------------------------------------------------


def test_a_huge_declared_body_gets_413_before_it_is_read(line: tuple[int, subprocess.Popen[str]]) -> None:
    """Only the headers are sent: a server that read the body would wait for it, not answer."""
    port, _ = line
    head = b"POST /voice HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: x\r\nContent-Length: 100000000\r\n\r\n"
    started = time.monotonic()
    assert raw(port, head) == b"HTTP/1.1 413 Content Too Large"
    assert time.monotonic() - started < BOUND


def test_an_oversized_signed_body_is_refused_before_the_signature_check(line: tuple[int, subprocess.Popen[str]]) -> None:
    port, _ = line
    big = Webhook("/voice", (("Padding", "x" * MAX_BODY),))
    assert raw(port, form(big)) == b"HTTP/1.1 413 Content Too Large"  # validly signed, still too big
    assert raw(port, form(HOOKS[0])) == b"HTTP/1.1 200 OK"


def test_a_long_chunked_body_is_cut_at_the_limit_and_refused(line: tuple[int, subprocess.Popen[str]]) -> None:
    port, _ = line
    chunk = b"A=" + b"b" * (256 * 1024 - 2)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(8)) + b"0\r\n\r\n"
    head = (b"POST /voice HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n")
    started = time.monotonic()
    assert raw(port, head + body) == b"HTTP/1.1 403 FORBIDDEN"
    assert time.monotonic() - started < BOUND


def wsgi_reading(environ: dict[str, object]) -> tuple[Callable[..., object], list[bytes]]:
    """A WSGI app that reads its whole input, and what it read."""
    read: list[bytes] = []

    def app(environ: dict, start_response: Callable[..., object]) -> list[bytes]:
        read.append(environ["wsgi.input"].read())
        start_response("200 OK", [])
        return [b"ok"]

    return app, read


def test_the_limit_in_process_declared_chunked_and_the_console() -> None:
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    app, read = wsgi_reading({})
    limited = BodyLimit(app)
    for length in (str(MAX_BODY + 1), "1e9", "-1", "²"):
        limited({"PATH_INFO": "/voice", "CONTENT_LENGTH": length, "wsgi.input": BytesIO()}, start_response)
    assert statuses == ["413 Content Too Large"] * 4 and read == []
    limited({"PATH_INFO": "/voice", "CONTENT_LENGTH": str(MAX_BODY), "wsgi.input": BytesIO(b"a" * MAX_BODY)},
            start_response)
    assert statuses[-1] == "200 OK" and len(read[-1]) == MAX_BODY
    chunked = {"PATH_INFO": "/voice", "wsgi.input_terminated": True, "wsgi.input": BytesIO(b"a" * (MAX_BODY + 10))}
    with pytest.raises(RequestEntityTooLarge):  # read no further than the limit (the check answers 403)
        limited(chunked, start_response)
    console = {"PATH_INFO": "/console/api/x", "CONTENT_LENGTH": str(MAX_BODY * 4), "wsgi.input": BytesIO(b"a" * 9)}
    limited(console, start_response)
    assert statuses[-1] == "200 OK"  # the console decides for itself


def test_the_app_refuses_an_oversized_body_with_413_even_when_signed(app: Flask) -> None:
    params = {"CallSid": "CA1", "Padding": "x" * MAX_BODY}
    signature = RequestValidator(TEST_TOKEN).compute_signature(BASE + "/voice", params)
    response = app.test_client().post("/voice", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 413


def test_gunicorn_refuses_a_long_request_line_and_too_many_headers(line: tuple[int, subprocess.Popen[str]]) -> None:
    port, _ = line
    long_line = b"GET /voice/" + b"a" * 2100 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert raw(port, long_line).startswith(b"HTTP/1.1 414")
    many = b"GET /voice HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(60)) + b"\r\n"
    assert raw(port, many).startswith(b"HTTP/1.1 431")
    assert raw(port, form(HOOKS[0])) == b"HTTP/1.1 200 OK"  # a webhook as Twilio sends it is well within


# One public URL -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["http://evil.example/voice", "https://line.example.no/voice", "//voice"])
def test_an_absolute_form_target_is_refused_even_when_signed(line: tuple[int, subprocess.Popen[str]], target: str) -> None:
    port, _ = line
    assert raw(port, form(HOOKS[0], target=target)) == b"HTTP/1.1 403 FORBIDDEN"


@pytest.mark.parametrize("host", ["127.0.0.1:8000http:", "", "a b", "evil@x", "[::1", "line.example.no:99999", None])
def test_a_broken_host_header_with_a_forged_signature_is_refused(line: tuple[int, subprocess.Popen[str]],
                                                                 host: str | None) -> None:
    port, _ = line
    headers = "" if host is None else f"Host: {host}\r\n"
    assert raw(port, form(HOOKS[0], headers=headers, signature="x")) == b"HTTP/1.1 403 FORBIDDEN"
    # A genuine signature is checked against PUBLIC_BASE_URL alone: the Host cannot break it.
    assert raw(port, form(HOOKS[0], headers=headers)) == b"HTTP/1.1 200 OK"


def test_a_signature_for_another_deployment_is_refused(line: tuple[int, subprocess.Popen[str]]) -> None:
    """The review's finding 8: forwarded headers claiming the URL that was signed elsewhere."""
    port, _ = line
    elsewhere = RequestValidator(TOKEN).compute_signature("https://staging.example/voice", HOOKS[0].params())
    headers = "Host: staging.example\r\nX-Forwarded-Host: staging.example\r\nX-Forwarded-Proto: https\r\n"
    assert raw(port, form(HOOKS[0], headers=headers, signature=elsewhere)) == b"HTTP/1.1 403 FORBIDDEN"


def test_the_access_log_has_paths_but_no_query_strings(line: tuple[int, subprocess.Popen[str]]) -> None:
    port, process = line
    assert post(port, Webhook("/voice/languages?p=2&s=1")).status == 200
    time.sleep(0.3)
    logged = procfile.output(process)
    assert "POST /voice/languages 200" in logged
    assert "p=2" not in logged


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"TWILIO_AUTH_TOKEN": TOKEN}, "PUBLIC_BASE_URL is not set"),
        ({"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC, "IVR_CONSOLE_OPEN": "1"}, "IVR_CONSOLE_OPEN"),
        ({"PUBLIC_BASE_URL": PUBLIC}, "TWILIO_AUTH_TOKEN is not set"),
    ],
)
def test_the_procfile_server_refuses_to_start(server: Callable[..., subprocess.Popen[str]], settings: dict[str, str],
                                              named: str) -> None:
    process = server(procfile.free_port(), WEB_CONCURRENCY="1", **settings)
    assert process.wait(timeout=60) != 0
    assert named in procfile.output(process)


def test_production_names_every_refused_setting_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        production_app({"IVR_CONSOLE_OPEN": "1"})
    text = "\n".join(caught.value.problems)
    assert "TWILIO_AUTH_TOKEN" in text and "PUBLIC_BASE_URL" in text and "IVR_CONSOLE_OPEN" in text


def proxy_fix(app: Flask) -> ProxyFix | None:
    layer = app.wsgi_app
    while layer is not None and not isinstance(layer, ProxyFix):
        layer = getattr(layer, "app", None)
    return layer


def test_production_trusts_no_forwarded_header_unless_told_how_many_proxies(tmp_path: Path) -> None:
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC, "IVR_AUDIO_DIR": str(tmp_path),
           "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'counts.sqlite'}"}
    assert proxy_fix(production_app(env)) is None
    behind = proxy_fix(production_app({**env, "IVR_PROXY_HOPS": "2"}))
    assert behind is not None and (behind.x_for, behind.x_proto, behind.x_host) == (2, 2, 2)
    # create_app (tests, `ivr serve` behind a tunnel) keeps trusting one proxy
    assert proxy_fix(create_app(env)).x_proto == 1  # type: ignore[union-attr]


def test_with_no_trusted_proxy_a_forwarded_url_is_not_checked(make_app: Callable[..., Flask]) -> None:
    app = make_app(PUBLIC_BASE_URL="", IVR_PROXY_HOPS="0")
    params = {"CallSid": "CA1"}
    signature = RequestValidator(TEST_TOKEN).compute_signature("https://line.example.no/voice", params)
    headers = {"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.no"}
    assert app.test_client().post("/voice", data=params, headers=headers).status_code == 403


@pytest.mark.parametrize("value", ["one", "-1", "6", "²"])
def test_a_bad_proxy_hops_setting_is_named(make_app: Callable[..., Flask], value: str) -> None:
    with pytest.raises(ConfigError, match="IVR_PROXY_HOPS"):
        make_app(IVR_PROXY_HOPS=value)


# The console ----------------------------------------------------------------------------------


def test_the_old_ivr_dev_setting_no_longer_opens_the_console(make_app: Callable[..., Flask]) -> None:
    assert make_app(IVR_DEV="1").test_client().get("/console/").status_code == 404
    assert make_app(IVR_CONSOLE_OPEN="1").test_client().get("/console/").status_code == 200


def test_the_simulator_signs_a_non_ascii_url_as_it_sends_it(app: Flask) -> None:
    turn = Simulator(app).request("/voice/en/main/key?e=²", Digits="1")
    assert turn.xml.startswith("<?xml") and (turn.gather or turn.dial or turn.spoken)
    assert Simulator(app).request("/voice/en/main/%C3%A6").xml.startswith("<?xml")  # already encoded: kept


def test_the_console_answers_a_non_ascii_voice_url(make_app: Callable[..., Flask]) -> None:
    client = make_app(IVR_CONSOLE_OPEN="1").test_client()
    response = client.post("/console/api/press", json={"country": "NO", "url": "/voice/en/main/key?e=²", "key": "1"})
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/audio/x.wav", "/voicemail", "/console/api/start", "http://evil.example/healthz", ""])
def test_the_simulator_calls_only_voice_webhooks(app: Flask, url: str) -> None:
    with pytest.raises(SimulatorError, match="only calls the line's /voice webhooks"):
        Simulator(app).request(url)


# The load-and-fault script ---------------------------------------------------------------------


def test_the_bench_script_runs_bounded_and_prints_its_figures(tmp_path: Path) -> None:
    env = {**procfile.server_env(0, {}), "WEB_THREADS": "16", "WEB_REQUEST_DEADLINE": "2",
           "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'counts.sqlite'}"}  # not the checkout's instance/
    env.pop("PORT")
    done = subprocess.run(
        [sys.executable, "-m", "ivr.bench", "--seconds", "1", "--threads", "2", "--workers", "1", "--states", "20"],
        cwd=procfile.ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    for run in ("load", "worker-killed", "slow-clients", "beyond-threads", "huge-body"):
        assert run in lines, done.stdout
    assert re.search(r"requests=[1-9]\d* errors=0 ", lines["load"]), lines["load"]
    assert "replacement_worker_after=" in lines["worker-killed"]
    assert "errors=0" in lines["slow-clients"] and "held=12" in lines["slow-clients"]
    assert "status=413" in lines["huge-body"] and "worker_peak_memory_growth=0MiB" in lines["huge-body"]
