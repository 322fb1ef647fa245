"""Twilio's voice webhooks: every URL under /voice answers TwiML that leaves the caller somewhere.

Each request is: check the signature, decode the URL to a position (ivr.call.urls), take one
step (ivr.call.step), render the scene (ivr.twiml), once per distinct answer (cached). Call
state lives in the URL, never in the server, and nothing that identifies a caller (From,
Caller, To, CallSid) is logged or stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from .answered import answer_key
from .call.position import Call, Enter, Event
from .call.step import dial_event, error, key_event, normalize, step
from .call.urls import Kind, decode
from .counts import count_answer
from .phone import helpline_number, is_real_caller
from .runtime import current
from .security import is_signed, post_params

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")
METHODS = ["GET", "POST"]
TWIML = "text/xml"
HANG_UP = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>'
CACHE_LIMIT = 20_000  # distinct answers kept; the call has a few thousand, so this only bounds odd hosts


class Anything(BaseConverter):
    """Any rest of the path, empty segments included (`/voice//x`), so the webhook answers it."""

    regex = ".*"
    part_isolating = False


def init_app(app: Flask) -> None:
    """Register the webhooks and the last-resort TwiML used when a view fails."""
    loaded = app.extensions["ivr"]
    app.url_map.converters["anything"] = Anything
    # Built once at start-up so the error path needs nothing that could fail.
    call = Call(caller_id=loaded.settings.caller_id)
    app.extensions["ivr_last_resort"] = loaded.renderer.render(
        error(loaded.graph, None, call), loaded.settings.public_base_url or ""
    )
    app.register_blueprint(bp)


def _values() -> Mapping[str, str]:
    """Twilio's parameters: the form of a POST (the query only carries our counters), or a GET's query."""
    return post_params(request) if request.method == "POST" else request.args


def _event(kind: Kind) -> Event:
    if kind == "key":
        return key_event(_values().get("Digits"))
    if kind == "dial":
        return dial_event(_values().get("DialCallStatus"), _values().get("DialBridged"))
    return Enter()


def _call() -> Call:
    graph = current().graph
    # FromCountry only orders the language menu; To is the helpline's own number. Neither is
    # logged, stored or put in a URL.
    return Call(graph.order_for(_country(_values())), graph.shown(helpline_number(_values())))


def _country(values: Mapping[str, str]) -> str | None:
    """The caller's country, only when From is a real number: a withheld one says nothing true."""
    return values.get("FromCountry") if is_real_caller(values.get("From")) else None


def _record(tallies: Iterable[tuple[str, str]]) -> None:
    """Hand the answer's counts to the counts store, if there is one; it never raises or blocks."""
    count_answer(current_app.extensions, request.environ, tallies)


@bp.before_request
def check_signature() -> None:
    """Refuse any request Twilio did not sign (403), unless running unsigned on purpose."""
    try:
        settings = current().settings
        if not settings.auth_token:
            return
        signed = is_signed(request, settings.auth_token, settings.public_base_url)
    except Exception:  # noqa: BLE001 - fail closed: fail-toward-help is only for signed requests
        signed = False
    if not signed:
        log.warning("refused a request without a valid Twilio signature")
        abort(403)


@bp.errorhandler(Exception)
def fail_toward_help(failure: Exception) -> Response | HTTPException:
    """Any failure while answering: say ROSA's number and 112, and transfer to ROSA."""
    if isinstance(failure, HTTPException):
        return failure
    log.exception("a webhook failed; the caller is put through to ROSA", exc_info=failure)
    try:
        loaded = current()
        at = decode(request.path, request.args).position
        if at.place == "whisper":
            # ROSA's leg may not <Dial>: end it, and the caller hears the unanswered path and a retry.
            return Response(HANG_UP, mimetype=TWIML)
        lang = at.lang
        scene = error(loaded.graph, lang, _call())
        _record(scene.tallies)
        base = loaded.settings.public_base_url or request.host_url.rstrip("/")
        return Response(loaded.renderer.render(scene, base), mimetype=TWIML)
    except Exception:  # noqa: BLE001 - the last resort must not fail
        if request.path.endswith(("/whisper", "/whisper/key")):
            return Response(HANG_UP, mimetype=TWIML)
        return Response(current_app.extensions["ivr_last_resort"], mimetype=TWIML)


@bp.route("", methods=METHODS)
@bp.route("/<anything:rest>", methods=METHODS)
def answer(rest: str = "") -> Response:
    """Every webhook: decode the URL, take one step, answer its TwiML (built once per answer)."""
    loaded = current()
    values = _values()
    base = loaded.settings.public_base_url or request.host_url.rstrip("/")
    # Everything the answer depends on, as sent: the same request always gets the same bytes.
    key = answer_key(request.environ, values, base)
    cached = loaded.cache.get(key)
    if cached is None:
        route = decode(request.path, request.args)
        at, event = normalize(loaded.graph, route.position, _event(route.kind))
        scene = step(loaded.graph, at, event, _call())
        cached = (loaded.renderer.render(scene, base).encode("utf-8"), scene.tallies, type(scene).__name__)
        if len(loaded.cache) >= CACHE_LIMIT:
            loaded.cache.clear()
        loaded.cache[key] = cached
    body, tallies, kind = cached
    log.info("%s -> %s", request.path, kind)  # the path only: it never carries caller data
    _record(tallies)
    return Response(body, mimetype=TWIML)
