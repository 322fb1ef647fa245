"""GET /healthz: is this process able to answer a call? For the platform's health check.

No authentication, no secret, no setting: only what the line could tell any caller anyway
(how many languages it offers, which ones an audio fault degrades, which are off) and whether the counts' database
took its last write.

The answer is 503 only when the line cannot build the first answer of a call (the greeting
and language menu): then restarting the process is the one thing that may help. A database
fault, a degraded language or a Twilio error is reported in the body with a 200, because a
platform that restarts on a failing check would otherwise take down a line that still
answers calls.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, jsonify

from .call.position import Call, Enter
from .call.step import normalize, step
from .call.urls import decode
from .runtime import Runtime

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
HEALTH_BASE = "https://health.invalid"  # URLs in the rendered answer; it is never sent


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def degraded(loaded: Runtime) -> list[str]:
    """Languages an audio fault makes fall back to <Say> (still offered) or go off."""
    return sorted(loaded.playback.degraded)


def off(loaded: Runtime) -> list[str]:
    """Languages callers cannot hear now, whatever the reason (not yet recorded, an audio fault)."""
    return sorted(loaded.unavailable)


def first_answer(loaded: Runtime) -> str:
    """The TwiML of a call's first answer (greeting and language menu), built as /voice builds it."""
    at, event = normalize(loaded.graph, decode("/voice", {}).position, Enter())
    return str(loaded.renderer.render(step(loaded.graph, at, event, Call()), HEALTH_BASE))


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 while the line can answer a call; the body says what is degraded."""
    loaded = current_app.extensions["ivr"]
    try:
        first_answer(loaded)  # nothing is sent anywhere
        answers = True
    except Exception as error:  # noqa: BLE001 - reported, never raised
        log.error("health check: the line cannot build its first answer (%s)", type(error).__name__)
        answers = False
    counter = current_app.extensions.get("counts")
    body = {
        "status": "ok" if answers else "failing",
        "content": answers,
        "languages": len(loaded.offered),
        "audio_files": len(loaded.catalog),
        "degraded": degraded(loaded),
        "off": off(loaded),
        "database": counter.status() if counter is not None else "off",
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if answers else 503
