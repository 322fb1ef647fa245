"""The simulator's JSON endpoints: every step of a call goes through the real webhooks.

Each request builds an `ivr.simulator.Simulator`, which POSTs the step to /voice in-process,
signed as Twilio signs it, and reads the TwiML answered. The console keeps nothing between
requests: the browser sends back the URLs of the turn it is showing (where a key goes, what
follows silence, where a transfer reports how it ended), and only /voice paths are accepted.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from ..call.position import Position
from ..call.step import ENDINGS as DIAL_ENDINGS
from ..engines import label as engine_label
from ..errors import IvrError, SimulatorError
from ..phone import display
from ..runtime import Runtime, current
from ..simulator import KEYS, Dial, Lead, Simulator, Spoken, Turn

bp = Blueprint("api", __name__, url_prefix="/api")
COUNTRY = re.compile(r"^[A-Z]{2}$")
# How a transfer can end, as Twilio's DialCallStatus: the buttons under a transfer.
ENDINGS = DIAL_ENDINGS
MAX_URL = 300


class BadStep(IvrError):
    """The browser asked for something the console does not do: answered 400."""


@bp.errorhandler(BadStep)
def bad_step(error: BadStep) -> tuple[Response, int]:
    return jsonify(error=str(error)), 400


@bp.errorhandler(SimulatorError)
def webhook_failed(error: SimulatorError) -> tuple[Response, int]:
    # The simulator raises this when /voice answers something other than TwiML.
    return jsonify(error=f"the line did not answer with TwiML: {error}"), 502


@bp.post("/start")
def start() -> Response:
    """Call the line."""
    sim = _simulator(_body())
    return _answer(sim, sim.start())


@bp.post("/press")
def press() -> Response:
    """Press a key while a turn is listening for one."""
    body = _body()
    key = body.get("key")
    if not isinstance(key, str) or len(key) != 1 or key not in KEYS:
        raise BadStep("key must be one of 0-9, * or #")
    sim = _simulator(body)
    return _answer(sim, sim.press(Turn("", "", gather=_voice_url(body.get("url"))), key))


@bp.post("/wait")
def wait() -> Response:
    """Stay silent until the menu gives up waiting."""
    body = _body()
    sim = _simulator(body)
    return _answer(sim, sim.wait(Turn("", "", on_silence=_voice_url(body.get("url")))))


@bp.post("/transfer")
def transfer() -> Response:
    """Finish a transfer: answered (completed), no-answer, busy or failed."""
    body = _body()
    status = body.get("status")
    if status not in ENDINGS:
        raise BadStep(f"status must be one of {', '.join(ENDINGS)}")
    sim = _simulator(body)
    dialled = Turn("", "", dial=Dial(number="", caller_id=None, action=_voice_url(body.get("url"))))
    return _answer(sim, sim.dial_ended(dialled, status))


def _body() -> dict[str, Any]:
    if not request.is_json:
        raise BadStep("send JSON (Content-Type: application/json)")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadStep("the body must be a JSON object")
    return body


def _voice_url(value: object) -> str:
    """A path under /voice on this line, as the console handed it out; anything else is refused."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        raise BadStep("url must be a /voice path from the current turn")
    if any(ord(c) < 33 or c in "\\\x7f" for c in value):
        raise BadStep("url must not contain spaces, control characters or backslashes")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.fragment or value.startswith("//"):
        raise BadStep("url must be a path on this line, like /voice/en/main/key")
    if not (parts.path == "/voice" or parts.path.startswith("/voice/")):
        raise BadStep("url must be a /voice path")
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        raise BadStep("url must not climb out of /voice")
    return value


def _simulator(body: dict[str, Any]) -> Simulator:
    country = body.get("country") or None
    if country is not None and not (isinstance(country, str) and COUNTRY.match(country)):
        raise BadStep("country must be two capital letters, like NO, or empty")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    caller_id = _ivr().settings.caller_id
    # A fresh simulated call per request: the console keeps no state between steps.
    if caller_id:
        return Simulator(app, country=country, to=caller_id)
    return Simulator(app, country=country)


def _ivr() -> Runtime:
    return current()


def _answer(sim: Simulator, turn: Turn) -> Response:
    return jsonify(describe(sim, turn))


def describe(sim: Simulator, turn: Turn) -> dict[str, Any]:
    """A turn as the page shows it: what is said, where each key leads, any transfer."""
    here = turn.here
    found = sim.keys(turn)
    return {
        "place": here.name if here else None,
        "label": _label(here) if here else ("transfer" if turn.dial else "the call has ended"),
        "spoken": [_spoken(sim, s) for s in turn.spoken],
        "keys": [_key(here, key, lead) for key, lead in found.items()] if here else [],
        "gather": _local(turn.gather) if turn.gather else None,
        "silence": _local(turn.on_silence) if turn.on_silence else None,
        "dial": _dial(turn.dial, sim.whisper(turn)) if turn.dial else None,
        "ended": turn.ended,
    }


def _local(url: str) -> str:
    """An absolute webhook URL as a path on this line (the browser never needs the host)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _label(at: Position) -> str:
    """A position as people say it: 'English: help (menu)'."""
    content = _ivr().content
    if at.place not in ("node", "retry"):
        return "the language menu"
    lang = content.languages.get(at.lang or "")
    name = f"{lang.name}: " if lang else ""
    if at.place == "retry":
        return f"{name}after no answer"
    node = content.menu.nodes[at.node or content.menu.root]
    title = "main menu" if node.id == content.menu.root else f"{node.id.replace('_', ' ')} ({node.kind})"
    return name + title


def _spoken(sim: Simulator, said: Spoken) -> dict[str, Any]:
    content = _ivr().content
    if said.audio:
        lang = content.languages.get(said.language or "")
        audio = said.audio.removeprefix(sim.base) if said.audio.startswith(sim.base + "/audio/") else said.audio
        return {
            "text": said.text,
            "lang": said.language,
            "tag": lang.say.language if lang and lang.say else said.language,
            "audio": audio,
            "engine": said.engine,
            "engine_name": engine_label(said.engine),
        }
    speaking = [c for c, lang in content.languages.items() if lang.say and lang.say.language == said.language]
    return {
        "text": said.text,
        "lang": speaking[0] if len(speaking) == 1 else None,
        "tag": said.language,
        "voice": said.voice,
        "audio": None,
    }


def _key(here: Position, key: str, lead: Lead) -> dict[str, Any]:
    """One open key: where it leads, and what the caller was told it does."""
    keys = _ivr().content.menu.keys
    common = {keys.talk: "talk to someone", keys.back: "back", keys.repeat: "hear this again"}
    entry: dict[str, Any] = {"key": key, "to": None, "meaning": common.get(key), "transfer": False}
    if lead.dial:
        entry.update(label=_dial(lead.dial)["label"], transfer=True)
    elif lead.to is None:
        entry.update(label="goodbye: the call ends")
    else:
        entry.update(to=lead.to.name, label=_label(lead.to))
    entry["meaning"] = entry["meaning"] or _option(here, key, lead)
    return entry


def _option(here: Position, key: str, lead: Lead) -> str | None:
    """What a menu said about a key: the option's words, or the language it chooses."""
    content = _ivr().content
    if here.place == "languages":
        if lead.to is not None and lead.to.place == "languages":
            return "more languages"
        chosen = content.languages.get(lead.to.lang or "") if lead.to else None
        return chosen.name if chosen else None
    lang = content.languages.get(here.lang or "")
    node = content.menu.nodes.get(here.node or "")
    if node is None or lang is None:
        return None
    option = node.option(key)
    if option:
        return lang.text(option.prompt)
    if node.dial and key == node.dial.key and lead.dial:
        return lang.text(node.dial.prompt)
    return None


def _arrow(name: str, shown: str) -> str:
    """A transfer as people read it: '→ ROSA +47 22 33 11 60'."""
    return " ".join(part for part in ("→", name, shown) if part)


def _dial(dial: Dial, whisper: Turn | None = None) -> dict[str, Any]:
    content = _ivr().content
    service = content.menu.services.get(dial.service or "")
    name = service.name if service else ""
    return {
        "number": dial.number,
        "label": _arrow(name, display(dial.number)),
        "service": name,
        "caller_id": display(dial.caller_id) if dial.caller_id else None,
        "action": _local(dial.action),
        "whisper": _local(dial.whisper) if dial.whisper else None,
        "whisper_text": " ".join(s.text for s in whisper.spoken) if whisper else None,
        "endings": list(ENDINGS),
    }
