"""A call without a phone: drives the real webhooks in-process, signed as Twilio signs them.

Used by `ivr call` and the browser console. It reads only the TwiML the app answers,
so what it shows is exactly what Twilio would do with it.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from werkzeug.urls import iri_to_uri

from .call.position import Position
from .call.urls import decode
from .counts import SIMULATED
from .errors import SimulatorError
from .security import sign

SIMULATED_CALLER = "+15005550006"  # Twilio's documented test number
KEYS = "1234567890*#"  # as on a keypad; the same set as KEYPAD


@dataclass(frozen=True)
class Spoken:
    """One prompt as the caller hears it."""

    text: str
    language: str | None = None
    voice: str | None = None
    audio: str | None = None
    engine: str | None = None  # for audio: recorded, gtts or espeak


@dataclass(frozen=True)
class Dial:
    """A transfer: the number dialled, the number shown to whoever answers, and where it reports."""

    number: str
    caller_id: str | None
    action: str
    whisper: str | None = None  # the URL played to whoever answers, before the caller is connected
    answer_on_bridge: bool = False

    @property
    def service(self) -> str | None:
        """The service dialled, from the URL that hears how the transfer ended."""
        return decode(_path_of(self.action), _args(self.action)).position.service if self.action else None


@dataclass(frozen=True)
class Turn:
    """The app's answer to one webhook request."""

    url: str
    xml: str
    spoken: tuple[Spoken, ...] = ()
    gather: str | None = None
    on_silence: str | None = None
    dial: Dial | None = None
    hangup: bool = False

    @property
    def ended(self) -> bool:
        """Whether the call ends here (Twilio would hang up after the last verb)."""
        return self.hangup or (self.gather is None and self.on_silence is None and self.dial is None)

    @property
    def here(self) -> Position | None:
        """The position listening for a key now, if any."""
        return decode(_path_of(self.gather), _args(self.gather)).position if self.gather else None


@dataclass(frozen=True)
class Lead:
    """Where a key leads: a position listening for the next key, a transfer, or the end."""

    to: Position | None = None
    dial: Dial | None = None

    @property
    def ended(self) -> bool:
        return self.to is None and self.dial is None


@dataclass
class Simulator:
    """One simulated caller, calling `app` from `country`, through the helpline number `to`."""

    app: Flask
    country: str | None = "NO"
    to: str = "+4721000000"
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    extra: Mapping[str, str] = field(default_factory=dict)  # more parameters on every request (tests send From)

    def __post_init__(self) -> None:
        loaded = self.app.extensions["ivr"]
        self.token = loaded.settings.auth_token
        self.base = loaded.settings.public_base_url or "http://localhost"
        self.client = self.app.test_client()
        self._audio_text = {
            f.file: Spoken(loaded.content.languages[f.lang].text(f.prompt), f.lang, engine=f.engine)
            for f in loaded.catalog.files()
            if f.lang in loaded.content.languages and f.prompt in loaded.content.languages[f.lang].prompts
        }

    def params(self, **extra: str) -> dict[str, str]:
        """The parameters Twilio sends with every webhook of this call (no caller number)."""
        params = {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "To": self.to,
            "Called": self.to,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            "ApiVersion": "2010-04-01",
        }
        if self.country:
            # FromCountry counts only with a real-looking From: Twilio's own test number, never a person's.
            params["From"] = params["Caller"] = SIMULATED_CALLER
            params["FromCountry"] = self.country
        params.update(self.extra)
        params.update(extra)
        return params

    def request(self, url: str, **extra: str) -> Turn:
        """POST a webhook as Twilio would and read the TwiML it answers."""
        path = self._path(url)
        params = self.params(**extra)
        headers = {"X-Twilio-Signature": sign(self.token, self.base + path, params)} if self.token else {}
        # Marked in the WSGI environ (out of reach of any HTTP client): simulated calls are not counted.
        response = self.client.post(
            path, data=params, headers=headers, base_url=self.base, environ_overrides={SIMULATED: True}
        )
        body = response.get_data(as_text=True)
        if response.status_code != 200 or response.mimetype != "text/xml":
            raise SimulatorError(f"{path} answered {response.status_code} {response.mimetype}: {body[:200]}")
        return parse(path, body, self._audio_text)

    def start(self) -> Turn:
        """The first answer of a call: what the number's Voice URL says."""
        return self.request("/voice")

    def press(self, turn: Turn, key: str) -> Turn:
        """Press a key while `turn` is playing."""
        if turn.gather is None:
            raise SimulatorError("nothing is listening for a key now")
        return self.request(turn.gather, Digits=key)

    def wait(self, turn: Turn) -> Turn:
        """Stay silent until the menu gives up waiting."""
        if turn.on_silence is None:
            raise SimulatorError("nothing follows silence here")
        return self.request(turn.on_silence)

    def dial_ended(self, turn: Turn, status: str = "no-answer") -> Turn:
        """Finish a transfer with Twilio's DialCallStatus."""
        if turn.dial is None:
            raise SimulatorError("no transfer is in progress")
        return self.request(turn.dial.action, DialCallStatus=status, DialCallDuration="0")

    def whisper(self, turn: Turn, **extra: str) -> Turn | None:
        """What whoever answers the transfer hears first (Twilio requests <Number url> on that leg)."""
        if turn.dial is None or not turn.dial.whisper:
            return None
        leg = {"To": turn.dial.number, "Called": turn.dial.number, "From": turn.dial.caller_id or "",
               "Direction": "outbound-dial", "ParentCallSid": self.call_sid, **extra}
        return self.request(turn.dial.whisper, **leg)

    def keys(self, turn: Turn) -> dict[str, Lead]:
        """What each key does now, found by pressing it (webhooks keep no state, so it is safe);
        keys that only say "that key is not in this menu" are left out."""
        here = turn.here
        if here is None:
            return {}
        found: dict[str, Lead] = {}
        for key in KEYS:
            after = self.press(turn, key)
            there = after.here
            if there is not None and _same_place(there, here) and there.errors > here.errors:
                continue
            found[key] = Lead(to=there if after.dial is None else None, dial=after.dial)
        return found

    def _path(self, url: str) -> str:
        """The path and query to request, percent-encoded as Twilio sends (and signs) them."""
        parts = urlsplit(url)
        if parts.path != "/voice" and not parts.path.startswith("/voice/"):
            raise SimulatorError(f"the simulator only calls the line's /voice webhooks, not {url[:80]!r}")
        # Twilio signs the URL it requests, which is ASCII: encode first, then sign what is sent.
        return iri_to_uri(parts.path + (f"?{parts.query}" if parts.query else ""))


def _same_place(a: Position, b: Position) -> bool:
    return (a.place, a.lang, a.node, a.page) == (b.place, b.lang, b.node, b.page)


def _path_of(url: str) -> str:
    return urlsplit(url).path


def _args(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def parse(url: str, body: str, audio_text: Mapping[str, Spoken] | None = None) -> Turn:
    """Read TwiML into a Turn; `audio_text` names the words of each audio file by file name."""
    root = ET.fromstring(body)
    spoken: list[Spoken] = []
    gather = on_silence = None
    dial = None
    hangup = False

    def read(element: ET.Element) -> None:
        if element.tag == "Say":
            spoken.append(Spoken(element.text or "", element.get("language"), element.get("voice")))
        elif element.tag == "Play":
            audio = (element.text or "").strip()
            known = next((v for k, v in (audio_text or {}).items() if audio.endswith("/" + k)), None)
            spoken.append(Spoken(
                text=known.text if known else "",
                language=known.language if known else None,
                audio=audio,
                engine=known.engine if known else None,
            ))

    for element in root:
        if element.tag == "Gather":
            gather = element.get("action")
            for child in element:
                read(child)
        elif element.tag == "Redirect":
            on_silence = (element.text or "").strip()
        elif element.tag == "Dial":
            number = element.find("Number")
            dial = Dial(
                number=((number.text if number is not None else element.text) or "").strip(),
                caller_id=element.get("callerId"),
                action=element.get("action", ""),
                whisper=number.get("url") if number is not None else None,
                answer_on_bridge=element.get("answerOnBridge") == "true",
            )
        elif element.tag == "Hangup":
            hangup = True
        else:
            read(element)
    return Turn(url, body, tuple(spoken), gather, on_silence, dial, hangup)
