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

from .counts import SIMULATED
from .errors import IvrError
from .security import sign

KEYS = "1234567890*#"


class SimulatorError(IvrError, ValueError):
    """The simulator was asked for a URL it does not call: only the line's own /voice webhooks."""


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
    """A transfer: the number dialled and the number shown to whoever answers."""

    number: str
    caller_id: str | None
    action: str


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


@dataclass
class Simulator:
    """One simulated caller, calling `app` from `country`, through the helpline number `to`."""

    app: Flask
    country: str | None = "NO"
    to: str = "+4721000000"
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))

    def __post_init__(self) -> None:
        settings = self.app.extensions["ivr"].settings
        self.token = settings.auth_token
        self.base = settings.public_base_url or "http://localhost"
        self.client = self.app.test_client()
        ivr = self.app.extensions["ivr"]
        self._audio_text = {
            f.file: Spoken(ivr.content.languages[f.lang].text(f.prompt), f.lang, engine=f.engine)
            for f in ivr.catalog.files()
            if f.lang in ivr.content.languages and f.prompt in ivr.content.languages[f.lang].prompts
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
            params["FromCountry"] = self.country
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
            raise RuntimeError(f"{path} answered {response.status_code} {response.mimetype}: {body[:200]}")
        return parse(path, body, self._audio_text)

    def start(self) -> Turn:
        """Call the line."""
        return self.request("/voice")

    def press(self, turn: Turn, key: str) -> Turn:
        """Press a key while `turn` is playing."""
        if turn.gather is None:
            raise ValueError("nothing is listening for a key now")
        return self.request(turn.gather, Digits=key)

    def wait(self, turn: Turn) -> Turn:
        """Stay silent until the menu gives up waiting."""
        if turn.on_silence is None:
            raise ValueError("nothing follows silence here")
        return self.request(turn.on_silence)

    def dial_ended(self, turn: Turn, status: str = "no-answer") -> Turn:
        """Finish a transfer with Twilio's DialCallStatus."""
        if turn.dial is None:
            raise ValueError("no transfer is in progress")
        return self.request(turn.dial.action, DialCallStatus=status, DialCallDuration="0")

    def keys(self, turn: Turn) -> dict[str, str]:
        """What each key does now, found by pressing it (webhooks keep no state, so it is safe)."""
        if turn.gather is None:
            return {}
        here = _place(turn.gather)
        found: dict[str, str] = {}
        for key in KEYS:
            after = self.press(turn, key)
            if after.dial:
                found[key] = f"→ {describe_number(after.dial.number)}"
            elif after.gather and _place(after.gather) == here and _errors(after.gather) > _errors(turn.gather):
                continue  # "that key is not in this menu"
            elif after.gather:
                found[key] = _place(after.gather) or "?"
            else:
                found[key] = "goodbye"
        return found

    def _path(self, url: str) -> str:
        """The path and query to request, percent-encoded as Twilio sends (and signs) them."""
        parts = urlsplit(url)
        if parts.path != "/voice" and not parts.path.startswith("/voice/"):
            raise SimulatorError(f"the simulator only calls the line's /voice webhooks, not {url[:80]!r}")
        # Twilio signs the URL it requests, which is ASCII: encode first, then sign what is sent.
        return iri_to_uri(parts.path + (f"?{parts.query}" if parts.query else ""))


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
                number=(number.text if number is not None else element.text or "").strip(),
                caller_id=element.get("callerId"),
                action=element.get("action", ""),
            )
        elif element.tag == "Hangup":
            hangup = True
        else:
            read(element)
    return Turn(url, body, tuple(spoken), gather, on_silence, dial, hangup)


def describe_number(number: str) -> str:
    """A dialled number as people read it: +47 22 33 11 60."""
    if number.startswith("+47") and len(number) == 11:
        rest = number[3:]
        return "+47 " + " ".join(rest[i : i + 2] for i in range(0, 8, 2))
    return number


def _errors(url: str) -> int:
    """The wrong-key count a gather URL carries."""
    value = parse_qs(urlsplit(url).query).get("e", ["0"])[0]
    return int(value) if value.isdigit() else 0


def _place(url: str) -> str:
    """Where a URL is in the call: '/voice/en/help/key?e=1' -> 'en/help'."""
    path = urlsplit(url).path.removeprefix("/voice").strip("/")
    return path.removesuffix("/key").removesuffix("/unanswered") or "start"

