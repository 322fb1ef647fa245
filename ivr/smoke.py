"""`ivr smoke URL`: walk a deployed line over HTTP(S) as Twilio would, and name every problem.

The walker is an external client. It knows only the number's Voice URL and the auth token,
and follows only URLs the TwiML hands it (<Gather action>, <Redirect>, <Dial action>,
<Number url>): it presses every key at every menu, lets every menu go silent, and ends every
transfer answered and unanswered. It never dials anyone: it only POSTs to the line's own
webhooks, signed as Twilio signs them, and GETs the audio they play, within a budget of
requests and time. A visited set on each request (URL and parameters) makes it terminate.
"""

from __future__ import annotations

import http.client
import math
import re
import secrets
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from email.message import Message
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit
from urllib.request import HTTPRedirectHandler, OpenerDirector, Request, build_opener

import click
from twilio.request_validator import RequestValidator

from .voices import say_voices

TWILIO_TIMEOUT = 15.0  # seconds Twilio waits for a webhook's answer before the Fallback URL (11205)
SLOW = 2.0  # an answer slower than this is flagged: the caller hears nothing meanwhile
KEYS = tuple("1234567890*#")
DIAL_OUTCOMES = ("completed", "busy", "no-answer", "failed")
# What <Play> accepts (twilio.com/docs/voice/twiml/play); any other Content-Type is error 13420.
PLAY_TYPES = frozenset({
    "audio/mpeg", "audio/wav", "audio/wave", "audio/x-wav", "audio/aiff", "audio/x-aifc", "audio/x-aiff",
    "audio/x-gsm", "audio/gsm", "audio/ulaw",
})  # fmt: skip
WAV_TYPES = frozenset({"audio/wav", "audio/wave", "audio/x-wav"})
TWIML_TYPES = frozenset({"text/xml", "application/xml"})
MAX_TWIML = 64 * 1024  # Twilio refuses larger TwiML (error 11750)
MAX_AUDIO = 32 * 1024 * 1024  # read no more of one audio file than this
# Ofcom's range for drama (+44 7700 900000-900999): never a real phone, so nobody is tied to a run.
FAKE_CALLER = "+447700900123"
FAKE_HELPLINE = "+447700900100"  # To, when the helpline's own number is not given
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
USER_AGENT = "ivr-smoke (TwilioProxy-like; the line's own smoke test)"
# On every webhook request, so the line can leave a smoke run out of its counts (Twilio never sends it;
# only requests signed with the auth token get past the signature check anyway).
SMOKE_HEADER = ("X-Ivr-Smoke", "1")
DEFAULT_MAX_REQUESTS = 20_000
DEFAULT_MAX_SECONDS = 1_800.0

Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Step:
    """One webhook request Twilio would make: where, how, with which parameters, and why."""

    url: str  # absolute
    method: str
    params: Params  # the request's own (Digits, DialCallStatus)
    why: str  # "the call", "key 3", "silence", "DialCallStatus=busy", "whisper"
    leg: Params = ()  # call parameters that differ on this leg (the whisper is the called party's)

    @property
    def seen_as(self) -> tuple[str, str, str, Params, Params]:
        parts = urlsplit(self.url)
        return (self.method, parts.path, parts.query, self.params, self.leg)

    @property
    def where(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.path}{'?' + parts.query if parts.query else ''} ({self.why})"

    @property
    def digits(self) -> str | None:
        return dict(self.params).get("Digits")


@dataclass(frozen=True)
class Answer:
    """What came back: status, headers, body, how long it took, or why nothing came."""

    status: int
    headers: Message
    body: bytes
    seconds: float
    error: str | None = None


class Problems:
    """Problems by kind, each with the places it was seen, in the order first seen."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}

    def add(self, kind: str, where: str) -> None:
        places = self.seen.setdefault(kind, [])
        if where not in places:
            places.append(where)

    def lines(self, shown: int = 3) -> list[str]:
        found = []
        for kind, places in self.seen.items():
            more = f" and {len(places) - shown} more" if len(places) > shown else ""
            found.append(f"{kind}: {'; '.join(places[:shown])}{more}")
        return found

    def __bool__(self) -> bool:
        return bool(self.seen)


@dataclass
class Report:
    """What a walk found."""

    url: str
    requests: int = 0
    states: int = 0
    menus: set[str] = field(default_factory=set)
    times: list[tuple[float, str]] = field(default_factory=list)  # (seconds, where) of every TwiML answer
    audio: dict[str, str] = field(default_factory=dict)  # <Play> URL -> its Content-Type
    voices: set[tuple[str | None, str | None]] = field(default_factory=set)  # (voice, language) of every <Say>
    walked: set[str] = field(default_factory=set)  # languages walked
    skipped: set[str] = field(default_factory=set)  # languages answered but not walked (--lang)
    problems: Problems = field(default_factory=Problems)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def percentile(self, q: float) -> float:
        """The nearest-rank percentile of the answer times (0 without answers)."""
        ranked = sorted(t for t, _ in self.times)
        return ranked[max(0, math.ceil(q * len(ranked)) - 1)] if ranked else 0.0

    def slowest(self, n: int = 1) -> list[tuple[float, str]]:
        """The n slowest answers, slowest first."""
        return sorted(self.times, reverse=True)[:n] or [(0.0, "-")]


class _NoRedirects(HTTPRedirectHandler):
    """A 3xx is reported as an answer, not followed: Twilio needs a 200 with TwiML."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _speech(gather: ET.Element) -> tuple[str, ...]:
    """What a menu says: its <Say> texts and <Play> URLs, in order."""
    return tuple(f"{v.tag}:{(v.text or '').strip()}" for v in gather.iter() if v.tag in ("Say", "Play"))


def voice_url(url: str) -> str:
    """The Voice URL to call: a bare host means its /voice."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.path in ("", "/"):
        parts = parts._replace(path="/voice")
    return urlunsplit(parts)


class Walker:
    """Walks one line from its Voice URL; `run()` returns the report."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        helpline: str,
        languages: Collection[str] = (),
        known_languages: Collection[str] = (),
        account_sid: str | None = None,
        max_requests: int = DEFAULT_MAX_REQUESTS,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        slow: float = SLOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = voice_url(url)
        self.origin = urlsplit(self.url)[:2]
        self.validator = RequestValidator(token)
        self.languages = frozenset(languages)
        self.known = frozenset(known_languages) | self.languages
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.slow = slow
        self.clock = clock
        self.opener: OpenerDirector = build_opener(_NoRedirects)
        self.call_sid = "CA" + secrets.token_hex(16)
        self.call: dict[str, str] = {
            "AccountSid": account_sid or "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "From": FAKE_CALLER,
            "Caller": FAKE_CALLER,
            "FromCountry": "GB",
            "To": helpline,
            "Called": helpline,
            "ToCountry": "NO",
        }
        self.report = Report(self.url)
        self._seen: set[tuple[str, str, str, Params, Params]] = set()
        self._actions: set[str] = set()  # Gather actions whose keys were pressed
        self._menus: dict[str, list[tuple[str, ...]]] = {}  # action path -> what its menus said, every key pressed
        self._queue: deque[Step] = deque()

    # The walk ------------------------------------------------------------------------------

    def run(self) -> Report:
        started = self.clock()
        deadline = started + self.max_seconds
        self._enqueue(Step(self.url, "POST", (("CallStatus", "ringing"),), "the call"), None)
        while self._queue:
            if self.report.requests >= self.max_requests or self.clock() >= deadline:
                limit = "--max-requests" if self.report.requests >= self.max_requests else "--timeout"
                self.report.problems.add(
                    f"stopped before the end ({limit}): {len(self._queue)} requests not made, so not every "
                    f"state was checked",
                    f"after {self.report.requests} requests in {self.clock() - started:.0f} s",
                )
                break
            step = self._queue.popleft()
            root = self._answer(step)
            if root is None:
                continue
            self.report.states += 1
            language = self._language_of(step, root)
            if self.languages and language is not None and language not in self.languages:
                self.report.skipped.add(language)
                self._check_says(step, root)
                continue
            if language:
                self.report.walked.add(language)
            self._check(step, root)
            self._follow(step, root)
        for code in sorted(self.languages - self.report.walked - self.report.skipped):
            if self.report.states:
                self.report.problems.add("a language asked for with --lang was never reached (not offered?)", code)
        self.report.seconds = self.clock() - started
        return self.report

    def _enqueue(self, step: Step, came_from: Step | None) -> None:
        if urlsplit(step.url)[:2] != self.origin:
            where = came_from.where if came_from else step.url
            self.report.problems.add(
                f"leads off the line (another host or scheme than {urlunsplit((*self.origin, '', '', ''))}; "
                "check PUBLIC_BASE_URL)",
                f"{where} -> {step.url}",
            )
            return
        if step.seen_as not in self._seen:
            self._seen.add(step.seen_as)
            self._queue.append(step)

    def _follow(self, step: Step, root: ET.Element) -> None:
        """Queue every request Twilio could make next from this document."""
        for verb in root:
            if verb.tag == "Gather":
                action = urljoin(step.url, verb.get("action") or step.url)
                method = verb.get("method", "POST").upper()
                keys = self._keys_to_press(step, verb, action)
                for key in keys:
                    self._enqueue(Step(action, method, (("Digits", key),), f"key {key}", step.leg), step)
                if verb.get("actionOnEmptyResult") == "true":
                    self._enqueue(Step(action, method, (("Digits", ""),), "silence", step.leg), step)
            elif verb.tag == "Redirect" and (verb.text or "").strip():
                target = urljoin(step.url, (verb.text or "").strip())
                why = "silence" if root.find("Gather") is not None else "redirect"  # after a <Gather>: on silence
                self._enqueue(Step(target, verb.get("method", "POST").upper(), (), why, step.leg), step)
            elif verb.tag == "Dial":
                self._follow_dial(step, verb)

    def _keys_to_press(self, step: Step, gather: ET.Element, action: str) -> tuple[str, ...]:
        """Every key at a menu's first URL; at the same menu's other URLs (their query counts
        wrong keys or silences so far), only what brings something new.

        Another page of a menu, reached by a key, says other options: every key again. The same
        menu after a notice ("wrong key") says the same after it: only the key that led here,
        to hear what the next one brings. A menu reached by silence at another URL: none (a key
        may still bring the walk to that URL, and then it counts as reached by that key).
        """
        if action in self._actions:
            return ()
        path = urlsplit(action).path
        self.report.menus.add(path)
        speech = _speech(gather)
        pressed = self._menus.setdefault(path, [])
        if pressed and not step.digits:
            return ()
        self._actions.add(action)
        if any(said and speech[-len(said) :] == said for said in pressed):
            return (step.digits,) if step.digits else ()
        pressed.append(speech)
        return KEYS

    def _follow_dial(self, step: Step, dial: ET.Element) -> None:
        action = dial.get("action")
        if action:
            url = urljoin(step.url, action)
            method = dial.get("method", "POST").upper()
            for status in DIAL_OUTCOMES:
                params = (
                    ("DialCallDuration", "42" if status == "completed" else "0"),
                    ("DialCallSid", "CA" + "d" * 32),
                    ("DialCallStatus", status),
                )
                self._enqueue(Step(url, method, params, f"DialCallStatus={status}", step.leg), step)
        for number in dial.iter("Number"):
            whisper = number.get("url")
            if not whisper:
                continue
            called = (number.text or "").strip()
            shown = dial.get("callerId") or ""
            leg = (
                ("CallSid", "CA" + "e" * 32), ("ParentCallSid", self.call_sid), ("Direction", "outbound-dial"),
                ("From", shown), ("Caller", shown), ("To", called), ("Called", called), ("FromCountry", "NO"),
            )  # fmt: skip
            self._enqueue(Step(urljoin(step.url, whisper), number.get("method", "POST").upper(), (), "whisper", leg), step)

    def _language_of(self, step: Step, root: ET.Element) -> str | None:
        """The language a state belongs to: a known language code as a segment of its URLs."""
        urls = [step.url, *(v.get("action", "") for v in root.iter() if v.tag in ("Gather", "Dial"))]
        urls += [(v.text or "") for v in root.iter("Redirect")]
        for url in urls:
            for segment in urlsplit(url).path.split("/"):
                if segment in self.known:
                    return segment
        return None

    # HTTP ------------------------------------------------------------------------------------

    def _fetch(self, method: str, url: str, data: bytes | None, headers: dict[str, str], limit: int) -> Answer:
        self.report.requests += 1
        request = Request(url, data=data, method=method, headers={"User-Agent": USER_AGENT, **headers})
        started = self.clock()
        try:
            with self.opener.open(request, timeout=TWILIO_TIMEOUT) as response:
                body = response.read(limit + 1)
                return Answer(response.status, response.headers, body, self.clock() - started)
        except HTTPError as e:
            with e:
                body = e.read(limit + 1)
            return Answer(e.code, e.headers, body, self.clock() - started)
        except (URLError, OSError, http.client.HTTPException) as e:
            reason = getattr(e, "reason", None) or e
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                reason = f"no answer within {TWILIO_TIMEOUT:.0f} s"
            return Answer(0, Message(), b"", self.clock() - started, error=str(reason))

    def _post(self, step: Step) -> Answer:
        """The request as Twilio sends it: the call's parameters, signed for this exact URL."""
        params = {**self.call, **dict(step.leg), **dict(step.params)}
        url = step.url
        if step.method == "GET":
            url += ("&" if urlsplit(url).query else "?") + urlencode(sorted(params.items()))
            headers = {"X-Twilio-Signature": self.validator.compute_signature(url, {}), SMOKE_HEADER[0]: SMOKE_HEADER[1]}
            return self._fetch("GET", url, None, headers, MAX_TWIML)
        headers = {
            "X-Twilio-Signature": self.validator.compute_signature(url, params),
            "Content-Type": "application/x-www-form-urlencoded",
            SMOKE_HEADER[0]: SMOKE_HEADER[1],
        }
        return self._fetch("POST", url, urlencode(params).encode(), headers, MAX_TWIML)

    # Checks ------------------------------------------------------------------------------------

    def _answer(self, step: Step) -> ET.Element | None:
        """POST one step; the TwiML document if the answer is one, every problem noted."""
        answer = self._post(step)
        where, problems = step.where, self.report.problems
        if answer.error:
            problems.add("no answer (Twilio would play the Fallback URL)", f"{where}: {answer.error}")
            return None
        self.report.times.append((answer.seconds, where))
        if answer.seconds > TWILIO_TIMEOUT:
            problems.add(f"too slow for Twilio (it gives up at {TWILIO_TIMEOUT:.0f} s)", f"{where}: {answer.seconds:.1f} s")
        elif answer.seconds > self.slow:
            problems.add(
                f"slow answer (over {self.slow:g} s of silence for the caller; Twilio gives up at {TWILIO_TIMEOUT:.0f} s)",
                f"{where}: {answer.seconds:.1f} s",
            )
        if answer.status == 403:
            problems.add(
                "403 Forbidden: the line refused the signature (is TWILIO_AUTH_TOKEN this line's auth token, "
                "and the URL the one its PUBLIC_BASE_URL gives?)",
                where,
            )
            return None
        if answer.status != 200:
            problems.add(f"HTTP {answer.status} instead of 200 with TwiML", where)
            return None
        kind = answer.headers.get_content_type()
        if kind not in TWIML_TYPES:
            problems.add(f"not TwiML (Content-Type {kind}, not text/xml)", where)
            return None
        if len(answer.body) > MAX_TWIML:
            problems.add("TwiML over 64 kB (Twilio refuses it, error 11750)", where)
            return None
        try:
            root = ET.fromstring(answer.body)
        except ET.ParseError as e:
            problems.add(f"not TwiML (the XML does not parse: {e})", where)
            return None
        if root.tag != "Response":
            problems.add(f"not TwiML (the document is <{root.tag}>, not <Response>)", where)
            return None
        return root

    def _check(self, step: Step, root: ET.Element) -> None:
        self._check_says(step, root)
        for play in root.iter("Play"):
            url = (play.text or "").strip()
            if not url:
                if not play.get("digits"):
                    self.report.problems.add("<Play> without a URL", step.where)
                continue
            url = urljoin(step.url, url)
            if url not in self.report.audio:
                self._check_audio(url, step.where)
        caller = step.leg == ()
        for dial in root.iter("Dial"):
            shown = dial.get("callerId")
            if caller and (not shown or shown == self.call["From"]):
                self.report.problems.add(
                    "a transfer that shows the caller's own number to whoever answers (no callerId on <Dial>)",
                    step.where,
                )
            for number in dial.iter("Number"):
                dialled = (number.text or "").strip()
                if not E164.match(dialled):
                    self.report.problems.add(f"<Dial> to {dialled!r}, not an E.164 number", step.where)
            if not caller:
                self.report.problems.add("<Dial> in a whisper (Twilio refuses it)", step.where)
        if caller:
            self._check_dead_ends(step, root)

    def _check_dead_ends(self, step: Step, root: ET.Element) -> None:
        verbs = [v.tag for v in root]
        if not any(v.tag in ("Say", "Play", "Dial", "Redirect") for v in root.iter()):
            self.report.problems.add("a silent answer: the caller hears nothing and the call ends", step.where)
        if "Gather" in verbs:
            gather = root[verbs.index("Gather")]
            after = verbs[verbs.index("Gather") + 1 :]
            if not after and gather.get("actionOnEmptyResult") != "true":
                self.report.problems.add("silence at this menu ends the call (nothing after <Gather>)", step.where)

    def _check_says(self, step: Step, root: ET.Element) -> None:
        voices = say_voices()
        for say in root.iter("Say"):
            voice, language = say.get("voice"), say.get("language")
            self.report.voices.add((voice, language))
            shown = f"<Say voice={voice!r} language={language!r}>"
            if not voice:
                self.report.problems.add(f"{shown}: no voice, so Twilio's basic voice reads it", step.where)
            elif voice not in voices:
                self.report.problems.add(f"{shown}: the voice is not in Twilio's voice table", step.where)
            elif language not in voices[voice]:
                listed = ", ".join(sorted(voices[voice]))
                self.report.problems.add(f"{shown}: Twilio lists this voice for {listed} only", step.where)

    def _check_audio(self, url: str, where: str) -> None:
        """GET a <Play> URL once, as Twilio's media fetcher would (unsigned), and check it."""
        answer = self._fetch("GET", url, None, {}, MAX_AUDIO)
        problems = self.report.problems
        kind = answer.headers.get_content_type() if not answer.error else "-"
        self.report.audio[url] = kind
        played = f"{url} (played at {where})"
        if answer.error:
            problems.add("audio unreachable", f"{played}: {answer.error}")
            return
        if answer.status != 200:
            problems.add(f"broken audio: HTTP {answer.status}", played)
            return
        if kind not in PLAY_TYPES:
            problems.add(f"audio that <Play> refuses (Content-Type {kind})", played)
        body = answer.body
        if not body:
            problems.add("empty audio file", played)
        elif kind in WAV_TYPES and not (body[:4] == b"RIFF" and body[8:12] == b"WAVE"):
            problems.add(f"audio sent as {kind} that is not a WAV file", played)
        elif kind == "audio/mpeg" and not (body[:3] == b"ID3" or (body[0] == 0xFF and body[1] & 0xE0 == 0xE0)):
            problems.add("audio sent as audio/mpeg that is not an MP3 file", played)
        cache = answer.headers.get("Cache-Control", "").lower()
        if "no-store" in cache:
            problems.add("audio Twilio may not cache (Cache-Control: no-store): fetched again on every call", played)
        if not answer.headers.get("ETag") and not answer.headers.get("Last-Modified"):
            problems.add("audio without ETag or Last-Modified, so Twilio's cache cannot keep it", played)


def summary(report: Report) -> list[str]:
    """The report as lines for a terminal (problems separately, see Report.problems)."""
    (slowest, where), *_ = report.slowest()
    lines = [
        (
            f"{report.states} states answered ({len(report.menus)} menus) in {report.requests} requests, "
            f"{report.seconds:.1f} s: {report.url}"
        ),
        (
            f"answer times: p50 {report.percentile(0.5) * 1000:.0f} ms, p95 {report.percentile(0.95) * 1000:.0f} ms, "
            f"max {slowest * 1000:.0f} ms ({where})"
        ),
        "slowest: " + "; ".join(f"{w} {t * 1000:.0f} ms" for t, w in report.slowest(3)),
    ]
    if report.walked:
        lines.append(f"languages walked: {', '.join(sorted(report.walked))}")
    if report.skipped:
        lines.append(f"answered but not walked (not in --lang): {', '.join(sorted(report.skipped))}")
    kinds = sorted(set(report.audio.values()))
    lines.append(f"<Play>: {len(report.audio)} audio files, each fetched once ({', '.join(kinds) or 'none'})")
    voices = sorted(f"{v} ({lang})" for v, lang in report.voices if v)
    lines.append(f"<Say>: {len(voices)} voices ({', '.join(voices) or 'none'})")
    return lines


# The command ------------------------------------------------------------------------------------


@click.command("smoke")
@click.argument("url")
@click.option("--lang", "langs", multiple=True, help="Walk only this language (repeat). Default: every language offered.")
@click.option(
    "--token", envvar="TWILIO_AUTH_TOKEN", show_envvar=True,
    help="The line's Twilio auth token, to sign requests (the environment is safer than the command line).",
)  # fmt: skip
@click.option(
    "--number", envvar="IVR_CALLER_ID", show_envvar=True,
    help="The helpline's own number, sent as To (the caller's number is a fictional one).",
)  # fmt: skip
@click.option("--max-requests", type=click.IntRange(1), default=DEFAULT_MAX_REQUESTS, show_default=True,
              help="Stop (and fail) after this many requests.")  # fmt: skip
@click.option("--timeout", "max_seconds", type=click.FloatRange(1), default=DEFAULT_MAX_SECONDS, show_default=True,
              help="Stop (and fail) after this many seconds in all.")  # fmt: skip
@click.option("--slow", type=click.FloatRange(0.1, TWILIO_TIMEOUT), default=SLOW, show_default=True,
              help="Flag answers slower than this many seconds.")  # fmt: skip
def command(
    url: str, langs: tuple[str, ...], token: str | None, number: str | None, max_requests: int, max_seconds: float,
    slow: float,
) -> None:  # fmt: skip
    """Walk the deployed line at URL (its Voice URL) as Twilio would; name every problem.

    Every key of every menu, every silence, every transfer answered and unanswered; each
    <Play> file fetched once; each <Say> voice checked against Twilio's table. Only the
    line's own webhooks are called: nobody is dialled.
    """
    import os
    import sys
    from pathlib import Path

    from .content import DEFAULT_PROMPTS_DIR, load
    from .errors import IvrError

    if not token:
        raise click.UsageError("no auth token: set TWILIO_AUTH_TOKEN (or pass --token)")
    try:
        known = tuple(load(Path(os.environ.get("IVR_PROMPTS_DIR") or DEFAULT_PROMPTS_DIR)).languages)
    except IvrError:
        known = ()  # the URLs still name languages; only --lang needs to know them
    unknown = [c for c in langs if known and c not in known]
    if unknown:
        raise click.BadParameter(f"no such language: {', '.join(unknown)} (have {', '.join(known)})", param_hint="--lang")
    if number and not E164.match(number):
        raise click.BadParameter(f"{number!r} is not an E.164 number like +4721000000", param_hint="--number")
    try:
        walker = Walker(
            url, token, helpline=number or FAKE_HELPLINE, languages=langs, known_languages=known,
            account_sid=os.environ.get("TWILIO_ACCOUNT_SID"), max_requests=max_requests, max_seconds=max_seconds,
            slow=slow,
        )  # fmt: skip
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="URL") from e
    if not number:
        click.secho("note: IVR_CALLER_ID is not set; To is a fictional number", fg="yellow", err=True)
    report = walker.run()
    for line in summary(report):
        click.echo(line)
    if report.problems:
        lines = report.problems.lines()
        click.secho(f"{len(lines)} problem(s):", fg="red", err=True)
        for line in lines:
            click.secho(f"  - {line}", fg="red", err=True)
        sys.exit(1)
    click.secho("ok: every state answered in time, with TwiML, audio and voices Twilio accepts", fg="green")
