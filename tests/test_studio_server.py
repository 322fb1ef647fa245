"""The studio through the Procfile's server (gunicorn, two workers, the body limit, the deadline).

A take is far larger than a webhook's 64 KiB: the console's upload must still get through, and
an approval made in one worker (or by `ivr audio approve` in another process) must reach every
worker's calls without a restart.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.bench import procfile
from ivr.bench.clients import PUBLIC, TOKEN, Webhook
from ivr.content import text_hash
from ivr.limits import MAX_BODY

from . import studio_fixtures as takes
from .conftest import CONTENT
from .test_server import BOUND, WORKERS, answered

pytestmark = pytest.mark.slow  # the Procfile's server, started for real: `pytest -m 'not slow'` leaves it out

PROMPT = "danger"
TI = CONTENT.languages["ti"]
EN = CONTENT.languages["en"]


def auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


RECORDER = auth("recorder", "recorder-password-for-tests")
CONSOLE = auth("console", "console-password-for-tests")


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers={"Host": "line.example.no", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        connection.close()


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    audio = tmp_path_factory.mktemp("served-audio")
    settings = {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": PUBLIC,
        "IVR_AUDIO_DIR": str(audio),
        "IVR_CONSOLE_PASSWORD": "console-password-for-tests",
        "IVR_RECORDER_PASSWORD": "recorder-password-for-tests",
        "IVR_DATABASE_URL": f"sqlite:///{audio.parent / 'counts.sqlite'}",  # not the checkout's instance/
    }
    with procfile.running(settings) as (port, process):
        answered(port, process)
        deadline = time.monotonic() + 30
        while len(procfile.workers(process.pid)) < WORKERS:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        yield port, audio


def test_a_take_over_the_webhook_limit_is_kept_and_its_approval_reaches_every_worker(studio: tuple[int, Path]) -> None:
    port, audio = studio
    take = takes.take(TI, PROMPT)
    assert len(take) > MAX_BODY  # a webhook this size would be refused
    path = f"/console/record/take?lang=ti&prompt={PROMPT}&for={text_hash(TI.text(PROMPT))}"
    started = time.monotonic()
    status, body, _ = request(port, "POST", path, take, {**RECORDER, "Content-Type": "audio/wav"})
    assert status == 200, body
    assert time.monotonic() - started < BOUND
    manifest = json.loads((audio / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = [e for e in manifest["files"] if e["lang"] == "ti"]
    assert request(port, "GET", f"/audio/{entry['file']}")[0] == 404  # not approved: not served to Twilio

    status, body, _ = request(
        port, "POST", "/console/record/review",
        json.dumps({"lang": "ti", "prompts": [PROMPT], "verdict": "approved"}).encode(),
        {**CONSOLE, "Content-Type": "application/json"},
    )  # fmt: skip
    assert status == 200, body
    # Whichever worker answers, within a few seconds the approved file is served: every worker follows.
    deadline = time.monotonic() + 3 * BOUND
    while True:
        answers = [request(port, "GET", f"/audio/{entry['file']}")[0] for _ in range(12)]
        if answers == [200] * 12:
            break
        assert time.monotonic() < deadline, answers
        time.sleep(0.5)


def test_the_recorder_password_opens_no_other_console_page_on_the_server(studio: tuple[int, Path]) -> None:
    port, _ = studio
    assert request(port, "GET", "/console/record?lang=ti", headers=RECORDER)[0] == 200
    for path in ("/console/", "/console/map?lang=ti", "/console/static/console.js"):
        assert request(port, "GET", path, headers=RECORDER)[0] == 401


def voice(port: int) -> str:
    """A signed first webhook of a call, as Twilio sends it: the TwiML answered."""
    body, signature = Webhook("/voice").body_and_signature()
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
    status, answer, _ = request(port, "POST", "/voice", body, headers)
    assert status == 200, answer
    return answer.decode("utf-8")


def test_an_approved_recording_replaces_the_voice_in_every_worker_s_answers(studio: tuple[int, Path]) -> None:
    """English has a <Say> voice; once a person's greeting is approved, calls play it instead,
    in every worker, even where answers already rendered are kept for the next call."""
    port, audio = studio
    for _ in range(6):  # every worker has answered (and may keep) the greeting as <Say>
        assert "<Play>" not in voice(port).split("</Say>")[0]
    path = f"/console/record/take?lang=en&prompt=greeting&for={text_hash(EN.text('greeting'))}"
    take = takes.wav(takes.silence(0.4) + takes.speech(EN, "greeting") + takes.silence(0.6))
    assert request(port, "POST", path, take, {**RECORDER, "Content-Type": "audio/wav"})[0] == 200
    status, body, _ = request(
        port, "POST", "/console/record/review",
        json.dumps({"lang": "en", "prompts": ["greeting"], "verdict": "approved"}).encode(),
        {**CONSOLE, "Content-Type": "application/json"},
    )  # fmt: skip
    assert status == 200, body
    manifest = json.loads((audio / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = [e for e in manifest["files"] if e["lang"] == "en" and e["prompt"] == "greeting"]
    deadline = time.monotonic() + 3 * BOUND
    while True:
        answers = [voice(port) for _ in range(12)]
        if all(entry["file"] in a for a in answers):
            break
        assert time.monotonic() < deadline, "a worker still answers with the voice"
        time.sleep(0.5)
