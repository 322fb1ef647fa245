"""The checks of one answer: is it TwiML Twilio takes, in time; its audio, its voices, its transfers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

from ..voices import say_voices
from .http import MAX_TWIML, TWILIO_TIMEOUT
from .report import Answer, Problems, Report

# What <Play> accepts (twilio.com/docs/voice/twiml/play); any other Content-Type is error 13420.
PLAY_TYPES = frozenset({
    "audio/mpeg", "audio/wav", "audio/wave", "audio/x-wav", "audio/aiff", "audio/x-aifc", "audio/x-aiff",
    "audio/x-gsm", "audio/gsm", "audio/ulaw",
})  # fmt: skip
WAV_TYPES = frozenset({"audio/wav", "audio/wave", "audio/x-wav"})
TWIML_TYPES = frozenset({"text/xml", "application/xml"})
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def twiml(answer: Answer, where: str, report: Report, slow: float) -> ET.Element | None:
    """The TwiML document if the answer is one; its time kept, every problem noted."""
    problems = report.problems
    if answer.error:
        problems.add("no answer (Twilio would play the Fallback URL)", f"{where}: {answer.error}")
        return None
    report.times.append((answer.seconds, where))
    if answer.seconds > TWILIO_TIMEOUT:
        problems.add(f"too slow for Twilio (it gives up at {TWILIO_TIMEOUT:.0f} s)", f"{where}: {answer.seconds:.1f} s")
    elif answer.seconds > slow:
        problems.add(
            f"slow answer (over {slow:g} s of silence for the caller; Twilio gives up at {TWILIO_TIMEOUT:.0f} s)",
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


def play_url(play: ET.Element, base: str, where: str, problems: Problems) -> str | None:
    """The absolute URL a <Play> fetches; None (and a problem, unless it plays digits) without one."""
    url = (play.text or "").strip()
    if not url:
        if not play.get("digits"):
            problems.add("<Play> without a URL", where)
        return None
    return urljoin(base, url)


def audio(url: str, answer: Answer, where: str, report: Report) -> None:
    """A <Play> file as Twilio's media fetcher got it: reachable, a type and format <Play> takes, cacheable."""
    problems = report.problems
    kind = answer.headers.get_content_type() if not answer.error else "-"
    report.audio[url] = kind
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


def says(root: ET.Element, where: str, report: Report) -> None:
    """Every <Say>'s voice kept, and checked against Twilio's voice table for its language."""
    voices = say_voices()
    for say in root.iter("Say"):
        voice, language = say.get("voice"), say.get("language")
        report.voices.add((voice, language))
        shown = f"<Say voice={voice!r} language={language!r}>"
        if not voice:
            report.problems.add(f"{shown}: no voice, so Twilio's basic voice reads it", where)
        elif voice not in voices:
            report.problems.add(f"{shown}: the voice is not in Twilio's voice table", where)
        elif language not in voices[voice]:
            listed = ", ".join(sorted(voices[voice]))
            report.problems.add(f"{shown}: Twilio lists this voice for {listed} only", where)


def dials(root: ET.Element, where: str, problems: Problems, *, caller: bool, caller_number: str) -> None:
    """Every <Dial>: on the caller's leg it shows another number than the caller's; each number is E.164;
    none in a whisper (the called party's leg)."""
    for dial in root.iter("Dial"):
        shown = dial.get("callerId")
        if caller and (not shown or shown == caller_number):
            problems.add(
                "a transfer that shows the caller's own number to whoever answers (no callerId on <Dial>)", where
            )
        for number in dial.iter("Number"):
            dialled = (number.text or "").strip()
            if not E164.match(dialled):
                problems.add(f"<Dial> to {dialled!r}, not an E.164 number", where)
        if not caller:
            problems.add("<Dial> in a whisper (Twilio refuses it)", where)


def dead_ends(root: ET.Element, where: str, problems: Problems) -> None:
    """An answer on the caller's leg that says nothing, or a menu whose silence ends the call."""
    verbs = [v.tag for v in root]
    if not any(v.tag in ("Say", "Play", "Dial", "Redirect") for v in root.iter()):
        problems.add("a silent answer: the caller hears nothing and the call ends", where)
    if "Gather" in verbs:
        gather = root[verbs.index("Gather")]
        after = verbs[verbs.index("Gather") + 1 :]
        if not after and gather.get("actionOnEmptyResult") != "true":
            problems.add("silence at this menu ends the call (nothing after <Gather>)", where)
