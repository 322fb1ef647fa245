"""`ivr smoke URL`: the deployed line walked over real HTTP as Twilio would, every problem named.

The line runs under the Procfile's gunicorn on 127.0.0.1; faults are injected by a small proxy
in front of it (a delay, an HTML page) or by removing an audio file after it started. The
walker's own rules are pinned against a fake line: a real HTTP server answering canned TwiML.
"""

from __future__ import annotations

import http.client
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from click.testing import CliRunner, Result
from twilio.request_validator import RequestValidator

from ivr.bench import procfile
from ivr.catalog import Catalog
from ivr.cli import main
from ivr.smoke import FAKE_CALLER, Walker

from .audio_fixtures import built_small, small  # noqa: F401 - fixtures (not no_network: these tests use sockets)
from .conftest import CONTENT, SHIPPED_AUDIO, TOKEN

pytestmark = pytest.mark.slow  # the Procfile's server, started for real: `pytest -m 'not slow'` leaves it out

HELPLINE = "+4721000000"
CODES = tuple(CONTENT.languages)


# Servers ------------------------------------------------------------------------------------


def wait_for(port: int, deadline: float = 60) -> None:
    """Until the line itself answers (gunicorn listens before its worker has loaded the line)."""
    end = time.monotonic() + deadline
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", "/voice")  # unsigned: the line's 403 says it is loaded
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


@pytest.fixture
def line(tmp_path: Path) -> Iterator[Callable[..., int]]:
    """Start the line with the Procfile's command on 127.0.0.1; returns its port."""
    started: list[subprocess.Popen[str]] = []

    def start(public_port: int | None = None, **env: str) -> int:
        port = procfile.free_port()
        settings = {
            "WEB_CONCURRENCY": "1",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{public_port or port}",
            "IVR_CALLER_ID": HELPLINE,
            "IVR_AUDIO_DIR": str(tmp_path / "no-audio"),
            "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'counts.sqlite'}",  # not the checkout's instance/
            **env,
        }
        process = procfile.start(port, settings)
        started.append(process)
        procfile.wait_until_listening(process, port)
        wait_for(port)
        return port

    yield start
    for process in started:
        procfile.stop(process)


@dataclass
class Proxy:
    """A front in front of the line, as a TLS terminator would be, that can misbehave on one path."""

    upstream: int
    delay: dict[str, float] = field(default_factory=dict)  # path -> seconds, once
    html: set[str] = field(default_factory=set)  # paths answered with a web page
    port: int = 0

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path
        if path in self.html:
            body = b"<!doctype html><html><body>Application error</body></html>"
            request.send_response(200)
            request.send_header("Content-Type", "text/html; charset=utf-8")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
            return
        if path in self.delay:
            time.sleep(self.delay.pop(path))
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=30)
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "x-twilio-signature")}
        upstream.request(request.command, request.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        request.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length", "server", "date"):
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
        upstream.close()


@pytest.fixture
def proxy() -> Iterator[Callable[[], Proxy]]:
    servers: list[ThreadingHTTPServer] = []

    def make() -> Proxy:
        front = Proxy(upstream=0)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                front.handle(self)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        front.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return front

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def smoke(port: int, *args: str, token: str = TOKEN) -> Result:
    return CliRunner().invoke(
        main, ["smoke", f"http://127.0.0.1:{port}", *args],
        env={"TWILIO_AUTH_TOKEN": token, "IVR_CALLER_ID": HELPLINE}, catch_exceptions=False,
    )  # fmt: skip


@pytest.fixture
def small_line(small: tuple[Path, Path], line: Callable[..., int]) -> Callable[..., int]:
    """The small prompts (nb, en) with their offline audio played, under gunicorn."""
    prompts, audio = small

    def start(public_port: int | None = None) -> int:
        return line(public_port, IVR_PROMPTS_DIR=str(prompts), IVR_AUDIO_DIR=str(audio), IVR_PLAY_ENGINES="recorded,espeak")

    return start


# Against the Procfile's server ------------------------------------------------------------------


def test_a_clean_line_passes_and_reports_states_times_audio_and_voices(small_line: Callable[..., int]) -> None:
    port = small_line()
    # --slow is generous here: this test is about a clean walk, not this machine's speed.
    result = smoke(port, "--slow", "10")
    assert result.exit_code == 0, result.output
    states = int(result.output.split(" states answered")[0].split()[-1])
    assert states > 50
    assert "answer times: p50 " in result.output and ", p95 " in result.output and ", max " in result.output
    slowest = next(line for line in result.output.splitlines() if line.startswith("slowest: "))
    assert len(slowest.split("; ")) == 3 and all(part.endswith(" ms") for part in slowest.split("; "))
    assert "languages walked: en, nb" in result.output
    played = int(result.output.split("<Play>: ")[1].split()[0])
    assert played >= 30 and f"<Play>: {played} audio files, each fetched once (audio/wav)" in result.output
    # Every caller's prompt plays its audio; only the whisper to ROSA, an operator prompt, is spoken.
    assert "<Say>: 1 voices (Polly.Ida-Neural (nb-NO))" in result.output
    assert result.output.rstrip().endswith("ok: every state answered in time, with TwiML, audio and voices Twilio accepts")


def test_the_real_line_is_walked_through_every_node_key_and_transfer_outcome(line: Callable[..., int]) -> None:
    port = line(IVR_AUDIO_DIR=str(SHIPPED_AUDIO))
    walker = Walker(f"http://127.0.0.1:{port}", TOKEN, helpline=HELPLINE, languages=("nb", "sq"), known_languages=CODES, slow=10)
    report = walker.run()
    assert report.ok, report.problems.lines()
    heard = {where.split(" (")[0].split("?")[0] for _, where in report.times}
    for node in CONTENT.menu.nodes:
        if CONTENT.menu.nodes[node].kind != "transfer":
            assert f"/voice/nb/{node}/key" in {urlsplit(m).path for m in report.menus}, node
    for key in "1234567890*#":
        assert any(w.startswith(f"/voice/nb/main/key (key {key})") for _, w in report.times), key
    for status in ("completed", "busy", "no-answer", "failed"):
        assert any(w.endswith(f"(DialCallStatus={status})") for _, w in report.times), status
    assert "/voice/nb/connect/rosa/unanswered" in heard  # silence after ROSA did not answer
    assert any(w.endswith("(whisper)") for _, w in report.times)  # <Number url>: what ROSA hears first
    assert report.walked == {"nb", "sq"} and "en" in report.skipped
    # Albanian has no <Say> voice: its audio is played, and each file was fetched (once).
    played = {urlsplit(u).path.removeprefix("/audio/") for u in report.audio}
    shipped = {f.file for f in Catalog.load(SHIPPED_AUDIO).files()}
    assert played <= shipped and set(report.audio.values()) == {"audio/wav"}
    assert {f for f in shipped if f.startswith("built/espeak/sq/msg_")} <= played
    assert ("Polly.Ida-Neural", "nb-NO") in report.voices


def test_a_wrong_token_fails_with_the_signature_named(small_line: Callable[..., int]) -> None:
    result = smoke(small_line(), token="not-the-line's-token")
    assert result.exit_code == 1
    assert "0 states answered" in result.output
    assert "403 Forbidden: the line refused the signature (is TWILIO_AUTH_TOKEN this line's auth token" in result.output
    assert "/voice (the call)" in result.output


def test_a_missing_audio_file_fails_as_broken_audio(small: tuple[Path, Path], small_line: Callable[..., int]) -> None:
    port = small_line()
    gone = next(f for f in Catalog.load(small[1]).files() if f.lang == "en" and f.prompt == "msg_info")
    (small[1] / gone.file).unlink()  # the manifest still lists it: the line plays it, and it is a 404
    result = smoke(port, "--slow", "10")
    assert result.exit_code == 1
    assert f"broken audio: HTTP 404: http://127.0.0.1:{port}/audio/{gone.file} (played at /voice/en/main/key (key 1))" in result.output
    assert "1 problem(s)" in result.output


def test_a_slow_answer_fails_naming_the_url_and_its_time(small_line: Callable[..., int], proxy: Callable[[], Proxy]) -> None:
    front = proxy()
    front.upstream = small_line(front.port)
    front.delay["/voice/en/connect/rosa/done"] = 2.5
    result = smoke(front.port)
    assert result.exit_code == 1
    assert "slow answer (over 2 s of silence for the caller; Twilio gives up at 15 s): /voice/en/connect/rosa/done" in result.output
    assert "1 problem(s)" in result.output  # the other outcomes of that transfer answered in time


def test_a_web_page_instead_of_twiml_fails_as_not_twiml(small_line: Callable[..., int], proxy: Callable[[], Proxy]) -> None:
    front = proxy()
    front.upstream = small_line(front.port)
    front.html.add("/voice/nb/main")
    result = smoke(front.port, "--slow", "10")
    assert result.exit_code == 1
    assert "not TwiML (Content-Type text/html, not text/xml): /voice/nb/main?s=1 (silence)" in result.output


# The walker's rules, against a fake line ---------------------------------------------------------


@dataclass
class Page:
    body: str | bytes
    type: str = "text/xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


GOODBYE = '<Response><Say voice="Polly.Amy-Neural" language="en-GB">Goodbye</Say><Hangup/></Response>'
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28
AUDIO = {"ETag": '"1"', "Cache-Control": "public, max-age=31536000"}


@pytest.fixture
def fake() -> Iterator[Callable[[dict[str, Page]], str]]:
    """A line made of canned pages; it refuses (403) any request not signed for its exact URL."""
    servers: list[ThreadingHTTPServer] = []

    def make(pages: dict[str, Page]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                signed = RequestValidator(TOKEN).validate(base + self.path, params, self.headers.get("X-Twilio-Signature", ""))
                signed = signed and self.headers.get("X-Ivr-Smoke") == "1"  # so the line can leave it out of its counts
                key = self.path + "|" + params.get("Digits", params.get("DialCallStatus", ""))
                page = pages.get(key) or pages.get(self.path) or Page(GOODBYE)
                self.answer(page if signed else Page("refused", "text/plain", 403))

            def do_GET(self) -> None:
                self.answer(pages.get(self.path) or Page(b"", "text/plain", 404))

            def answer(self, page: Page) -> None:
                body = page.body.encode() if isinstance(page.body, str) else page.body
                self.send_response(page.status)
                self.send_header("Content-Type", page.type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def walk(base: str, **kwargs: object) -> list[str]:
    report = Walker(base, TOKEN, helpline=HELPLINE, **kwargs).run()  # type: ignore[arg-type]
    return report.problems.lines()


def menu(inside: str, action: str = "/voice/key", after: str = '<Redirect method="POST">/voice/again</Redirect>') -> str:
    return f'<Response><Gather action="{action}" numDigits="1">{inside}</Gather>{after}</Response>'


SAY = '<Say voice="Polly.Amy-Neural" language="en-GB">Hello</Say>'


def test_a_clean_fake_line_passes_signed_for_each_exact_url(fake: Callable[[dict[str, Page]], str]) -> None:
    base = fake({"/voice": Page(menu(SAY, action="/voice/key?e=1"))})
    report = Walker(base, TOKEN, helpline=HELPLINE).run()
    assert report.ok, report.problems.lines()
    # The call, every key (12), the silence: each signed for its URL with its query.
    assert report.states == 14 and report.requests == 14


@pytest.mark.parametrize(
    ("say", "problem"),
    [
        ('<Say voice="Polly.Nobody-Neural" language="en-GB">Hi</Say>', "the voice is not in Twilio's voice table"),
        ('<Say voice="Polly.Ida-Neural" language="en-GB">Hi</Say>', "Twilio lists this voice for nb-NO only"),
        ("<Say>Hi</Say>", "no voice, so Twilio's basic voice reads it"),
    ],
)
def test_a_say_voice_twilio_does_not_list_is_named(fake: Callable[[dict[str, Page]], str], say: str, problem: str) -> None:
    problems = walk(fake({"/voice": Page(f"<Response>{say}<Hangup/></Response>")}))
    assert len(problems) == 1 and problem in problems[0] and "/voice (the call)" in problems[0]


@pytest.mark.parametrize(
    ("audio", "problem"),
    [
        (Page(WAV, "text/html", headers=AUDIO), "audio that <Play> refuses (Content-Type text/html)"),
        (Page(b"<html>", "audio/wav", headers=AUDIO), "audio sent as audio/wav that is not a WAV file"),
        (Page(WAV, "audio/wav", headers={"ETag": '"1"', "Cache-Control": "no-store"}), "Cache-Control: no-store"),
        (Page(WAV, "audio/wav", headers={"Cache-Control": "max-age=60"}), "audio without ETag or Last-Modified"),
        (Page(b"", "audio/wav", 500), "broken audio: HTTP 500"),
    ],
)
def test_each_audio_fault_is_named(fake: Callable[[dict[str, Page]], str], audio: Page, problem: str) -> None:
    play = "<Play>/audio/a.wav</Play>"
    base = fake({"/voice": Page(f"<Response>{play}{play}<Hangup/></Response>"), "/audio/a.wav": audio})
    report = Walker(base, TOKEN, helpline=HELPLINE).run()
    assert [problem in line for line in report.problems.lines()] == [True]
    assert report.requests == 2  # the file was fetched once, though played twice


def test_a_transfer_showing_the_callers_number_is_named(fake: Callable[[dict[str, Page]], str]) -> None:
    for dial in ("<Dial><Number>+4722331160</Number></Dial>", f'<Dial callerId="{FAKE_CALLER}"><Number>+4722331160</Number></Dial>'):
        problems = walk(fake({"/voice": Page(f"<Response>{SAY}{dial}</Response>")}))
        assert problems == ["a transfer that shows the caller's own number to whoever answers (no callerId on <Dial>): /voice (the call)"]


def test_dial_outcomes_and_the_whisper_are_followed(fake: Callable[[dict[str, Page]], str]) -> None:
    dial = (
        f'<Response>{SAY}<Dial callerId="{HELPLINE}" action="/voice/done">'
        '<Number url="/voice/whisper">+4722331160</Number></Dial></Response>'
    )
    base = fake({
        "/voice": Page(dial),
        "/voice/whisper": Page('<Response><Say voice="Polly.Ida-Neural" language="nb-NO">Anrop</Say><Dial>+4711</Dial></Response>'),
    })  # fmt: skip
    report = Walker(base, TOKEN, helpline=HELPLINE).run()
    heard = [w for _, w in report.times]
    assert heard[1:] == [f"/voice/done (DialCallStatus={s})" for s in ("completed", "busy", "no-answer", "failed")] + [
        "/voice/whisper (whisper)"
    ]
    assert report.problems.lines() == ["<Dial> in a whisper (Twilio refuses it): /voice/whisper (whisper)"]


def test_a_url_off_the_line_is_named_and_not_followed(fake: Callable[[dict[str, Page]], str]) -> None:
    problems = walk(fake({"/voice": Page(menu(SAY, action="https://elsewhere.example/voice/key"))}))
    assert len(problems) == 1 and problems[0].startswith("leads off the line")
    assert "-> https://elsewhere.example/voice/key" in problems[0]


def test_dead_ends_are_named(fake: Callable[[dict[str, Page]], str]) -> None:
    assert walk(fake({"/voice": Page("<Response/>")})) == [
        "a silent answer: the caller hears nothing and the call ends: /voice (the call)"
    ]
    problems = walk(fake({"/voice": Page(menu(SAY, after=""))}))
    assert problems == ["silence at this menu ends the call (nothing after <Gather>): /voice (the call)"]


def test_an_http_error_and_a_redirect_are_named_not_followed(fake: Callable[[dict[str, Page]], str]) -> None:
    base = fake({
        "/voice": Page(menu(SAY)),
        "/voice/key|1": Page("oops", "text/plain", 500),
        "/voice/key|2": Page("", "text/plain", 302, {"Location": "/voice"}),
    })  # fmt: skip
    problems = walk(base)
    assert problems == [
        "HTTP 500 instead of 200 with TwiML: /voice/key (key 1)",
        "HTTP 302 instead of 200 with TwiML: /voice/key (key 2)",
    ]


def test_the_walk_is_bounded_and_says_it_stopped(fake: Callable[[dict[str, Page]], str]) -> None:
    problems = walk(fake({"/voice": Page(menu(SAY))}), max_requests=5)
    assert problems == ["stopped before the end (--max-requests): 9 requests not made, so not every state was checked: after 5 requests in 0 s"]


def test_a_menu_with_counters_is_pressed_through_once_then_only_the_key_again(fake: Callable[[dict[str, Page]], str]) -> None:
    # A wrong key brings the same menu after a notice, at ?e=n; it terminates at e=3 (like the line's cap).
    pages = {"/voice": Page(menu(SAY, action="/voice/key"))}
    for n in range(4):
        here = "/voice/key" + (f"?e={n}" if n else "")
        notice = '<Say voice="Polly.Amy-Neural" language="en-GB">Wrong key</Say>'
        for key in "23456789*#0":
            pages[f"{here}|{key}"] = Page(menu(notice + SAY, action=f"/voice/key?e={min(n + 1, 3)}"))
        pages[f"{here}|1"] = Page(f"<Response>{SAY}<Hangup/></Response>")
    report = Walker(fake(pages), TOKEN, helpline=HELPLINE).run()
    assert report.ok, report.problems.lines()
    heard = [w for _, w in report.times]
    assert heard.count("/voice/key?e=1 (key 2)") == 1 and "/voice/key?e=1 (key 3)" not in heard
    assert "/voice/key?e=3 (key 2)" in heard  # and then e=3 again: visited, so the walk ends
    assert report.requests == 1 + 12 + 1 + 3  # the call, every key, the silence, then key 2 at e=1, 2 and 3


def test_another_page_is_pressed_through_and_a_menu_after_silence_is_not(fake: Callable[[dict[str, Page]], str]) -> None:
    page2 = '<Say voice="Polly.Amy-Neural" language="en-GB">Page two</Say>'
    short = '<Say voice="Polly.Amy-Neural" language="en-GB">No choice heard</Say>'
    pages = {
        "/voice": Page(menu(SAY, action="/voice/key", after='<Redirect method="POST">/voice/quiet</Redirect>')),
        "/voice/quiet": Page(menu(short, action="/voice/key?s=1")),  # said instead of the menu
        "/voice/key|9": Page(menu(page2, action="/voice/key?p=2")),
    }
    report = Walker(fake(pages), TOKEN, helpline=HELPLINE).run()
    heard = [w for _, w in report.times]
    assert all(f"/voice/key?p=2 (key {k})" in heard for k in "1234567890*#")
    assert not any(w.startswith("/voice/key?s=1") for w in heard)
    assert report.ok, report.problems.lines()


def test_a_language_that_is_never_reached_is_named(fake: Callable[[dict[str, Page]], str]) -> None:
    base = fake({"/voice": Page(menu(SAY, action="/voice/languages/key")), "/voice/languages/key|1": Page(menu(SAY, "/voice/nb/main/key"))})
    assert walk(base, languages=("nb", "ro"), known_languages=("nb", "ro", "en")) == [
        "a language asked for with --lang was never reached (not offered?): ro"
    ]


def test_the_command_needs_a_token_and_an_http_url() -> None:
    result = CliRunner().invoke(main, ["smoke", "https://line.example.no"], env={"TWILIO_AUTH_TOKEN": ""})
    assert result.exit_code == 2 and "no auth token: set TWILIO_AUTH_TOKEN" in result.output
    result = CliRunner().invoke(main, ["smoke", "line.example.no"], env={"TWILIO_AUTH_TOKEN": "x"})
    assert result.exit_code == 2 and "is not an http(s) URL" in result.output
    result = CliRunner().invoke(main, ["smoke", "https://line.example.no", "--lang", "xx"], env={"TWILIO_AUTH_TOKEN": "x"})
    assert result.exit_code == 2 and "no such language: xx" in result.output
