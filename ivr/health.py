"""GET /healthz: is this process able to answer a call? For the platform's health check.

No authentication, no secret, no setting: only what the line could tell any caller anyway
(how many languages it offers, which ones are degraded) and whether the counts' database
took its last write.

The answer is 503 only when the line cannot build the first answer of a call (the greeting
and language menu): then restarting the process is the one thing that may help. A database
fault, a degraded language or a Twilio error is reported in the body with a 200, because a
platform that restarts on a failing check would otherwise take down a line that still
answers calls.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
HEALTH_BASE = "https://health.invalid"  # URLs in the rendered answer; it is never sent


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def offered(loaded: Any) -> tuple[str, ...]:
    """The languages callers can hear (the core refactor's Runtime, or the app's Ivr before it)."""
    found = getattr(loaded, "offered", None)
    return tuple(found if found is not None else loaded.line.offered)


def degraded(loaded: Any) -> list[str]:
    """Languages the line would offer but callers cannot hear now, as playback reports them."""
    found = getattr(loaded, "unavailable", None)
    return sorted(found if found is not None else loaded.line.unavailable)


def first_answer(loaded: Any) -> str:
    """The TwiML of a call's first answer (greeting and language menu), built as /voice builds it."""
    line = getattr(loaded, "line", None)
    if line is not None:  # the call flow before the core refactor (ivr.flow.Line)
        return str(loaded.renderer.render(line.language_menu(None), HEALTH_BASE, None))
    # The call step (ivr.call): imported by name so this module also loads without it.
    urls, step, position = (import_module(f"ivr.call.{m}") for m in ("urls", "step", "position"))
    at, event = step.normalize(loaded.graph, urls.decode("/voice", {}).position, position.Enter())
    return str(loaded.renderer.render(step.step(loaded.graph, at, event, position.Call()), HEALTH_BASE))


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
        "languages": len(offered(loaded)),
        "audio_files": len(loaded.catalog),
        "degraded": degraded(loaded),
        "database": counter.status() if counter is not None else "off",
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if answers else 503
