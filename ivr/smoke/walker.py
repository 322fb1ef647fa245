"""The walker: from a line's Voice URL, every request Twilio could make, each answer checked.

It follows only URLs the TwiML hands it (<Gather action>, <Redirect>, <Dial action>, <Number url>):
every key at every menu, every menu gone silent, every transfer ended answered and unanswered.
A visited set on each request (URL and parameters) makes it terminate.
"""

from __future__ import annotations

import secrets
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Collection
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.request import OpenerDirector

from twilio.request_validator import RequestValidator

from . import checks, http
from .http import MAX_AUDIO, MAX_TWIML
from .report import Answer, Params, Report, Step

SLOW = 2.0  # an answer slower than this is flagged: the caller hears nothing meanwhile
KEYS = tuple("1234567890*#")
DIAL_OUTCOMES = ("completed", "busy", "no-answer", "failed")
# Ofcom's range for drama (+44 7700 900000-900999): never a real phone, so nobody is tied to a run.
FAKE_CALLER = "+447700900123"
FAKE_HELPLINE = "+447700900100"  # To, when the helpline's own number is not given
DEFAULT_MAX_REQUESTS = 20_000
DEFAULT_MAX_SECONDS = 1_800.0


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
        self.opener: OpenerDirector = http.opener()
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
                checks.says(root, step.where, self.report)
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
            self._enqueue(
                Step(urljoin(step.url, whisper), number.get("method", "POST").upper(), (), "whisper", leg), step
            )

    def _language_of(self, step: Step, root: ET.Element) -> str | None:
        """The language a state belongs to: a known language code as a segment of its URLs."""
        urls = [step.url, *(v.get("action", "") for v in root.iter() if v.tag in ("Gather", "Dial"))]
        urls += [(v.text or "") for v in root.iter("Redirect")]
        for url in urls:
            for segment in urlsplit(url).path.split("/"):
                if segment in self.known:
                    return segment
        return None

    # Requests and checks ------------------------------------------------------------------------

    def _fetch(self, method: str, url: str, data: bytes | None, headers: dict[str, str], limit: int) -> Answer:
        self.report.requests += 1
        return http.fetch(self.opener, method, url, data, headers, limit, self.clock)

    def _post(self, step: Step) -> Answer:
        """The request as Twilio sends it: the call's parameters, signed for this exact URL."""
        params = {**self.call, **dict(step.leg), **dict(step.params)}
        method, url, data, headers = http.signed(step.method, step.url, params, self.validator)
        return self._fetch(method, url, data, headers, MAX_TWIML)

    def _answer(self, step: Step) -> ET.Element | None:
        """POST one step; the TwiML document if the answer is one, every problem noted."""
        return checks.twiml(self._post(step), step.where, self.report, self.slow)

    def _check(self, step: Step, root: ET.Element) -> None:
        checks.says(root, step.where, self.report)
        for play in root.iter("Play"):
            url = checks.play_url(play, step.url, step.where, self.report.problems)
            if url is not None and url not in self.report.audio:
                # Once per file, as Twilio's media fetcher would (unsigned).
                checks.audio(url, self._fetch("GET", url, None, {}, MAX_AUDIO), step.where, self.report)
        caller = step.leg == ()
        checks.dials(root, step.where, self.report.problems, caller=caller, caller_number=self.call["From"])
        if caller:
            checks.dead_ends(root, step.where, self.report.problems)
