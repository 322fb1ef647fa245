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

from flask import Blueprint, Flask, Response, current_app, jsonify

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def degraded(ivr: object) -> list[str]:
    """Languages the line would offer but cannot be heard now (the core helper's playback may say more)."""
    playback = getattr(ivr, "playback", None)
    found = getattr(playback, "degraded", None)
    if found is not None:
        return sorted(found)
    return sorted(ivr.line.unavailable)  # type: ignore[attr-defined]


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 while the line can answer a call; the body says what is degraded."""
    ivr = current_app.extensions["ivr"]
    try:
        # The first answer of every call, rendered as /voice would; nothing is sent anywhere.
        ivr.renderer.render(ivr.line.language_menu(None), "https://health.invalid", None)
        answers = True
    except Exception as error:  # noqa: BLE001 - reported, never raised
        log.error("health check: the line cannot build its first answer (%s)", type(error).__name__)
        answers = False
    counter = current_app.extensions.get("counts")
    body = {
        "status": "ok" if answers else "failing",
        "content": answers,
        "languages": len(ivr.line.offered),
        "audio_files": len(ivr.catalog),
        "degraded": degraded(ivr),
        "database": counter.status() if counter is not None else "off",
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if answers else 503
