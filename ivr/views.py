"""Twilio's voice webhooks: every URL under /voice answers TwiML that leaves the caller somewhere.

Call state lives in the URL (language, node, counters), never in the server, and nothing
that identifies a caller (From, Caller, To, CallSid) is logged or stored.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.exceptions import HTTPException

from .app import Ivr
from .counts import SIMULATED
from .flow import Goodbye, Scene, Transfer
from .security import is_signed

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")
METHODS = ["GET", "POST"]
TWIML = "text/xml"


def init_app(app: Flask) -> None:
    """Register the webhooks and the last-resort TwiML used when a view fails."""
    ivr: Ivr = app.extensions["ivr"]
    # Built once at start-up so the error path needs nothing that could fail.
    app.extensions["ivr_last_resort"] = ivr.renderer.render(
        ivr.line.error(None), ivr.settings.public_base_url or "", ivr.settings.caller_id
    )
    app.register_blueprint(bp)


def _ivr() -> Ivr:
    return current_app.extensions["ivr"]


def _count(name: str) -> int:
    """A small counter from the query; anything odd counts as zero."""
    value = request.args.get(name, "")
    return min(int(value), 9) if value.isdigit() else 0


def _digits() -> str:
    return request.values.get("Digits", "").strip()


def _country() -> str | None:
    # Used only to order the language menu; never logged, never stored, never in a URL.
    return request.values.get("FromCountry")


def _answer(scene: Scene) -> Response:
    ivr = _ivr()
    base = ivr.settings.public_base_url or request.host_url.rstrip("/")
    body = ivr.renderer.render(scene, base, request.values.get("To"))
    log.info("%s -> %s", request.path, type(scene).__name__)
    _record(scene)
    return Response(body, mimetype=TWIML)


# Counting (Seam 1) ----------------------------------------------------------------------
# Until the call step's scenes carry their own `tallies`, they are derived here from the
# route and the scene: `_tallies` is the one function to replace by `scene.tallies`.

SILENCE_ROUTES = {"languages", "node", "unanswered"}
KEY_ROUTES = {"language_key", "node_key", "unanswered_key"}
PLACES = {
    "languages": "languages", "language_key": "languages",
    "unanswered": "retry", "unanswered_key": "retry", "transfer_done": "transfer",
}
OUTCOMES = {"completed": "answered", "answered": "answered", "busy": "busy", "no-answer": "no-answer",
            "canceled": "canceled"}  # anything else: failed


def _record(scene: Scene) -> None:
    """Count what this answer means (never for the simulator's calls); never breaks the answer."""
    try:
        if not request.environ.get(SIMULATED):
            current_app.extensions["counts"].record(_tallies(scene))
    except Exception as error:  # noqa: BLE001 - a count must never break a call
        log.warning("could not count an answer (%s)", type(error).__name__)


def _tallies(scene: Scene) -> list[tuple[str, str]]:
    """The (metric, label) pairs this answer counts, from the route and the scene (PLAN, Seam 1)."""
    route = (request.endpoint or "").removeprefix("voice.")
    here = (request.view_args or {}).get("node")
    menu = _ivr().line.menu
    digits = _digits()
    chosen = scene.lang
    found: list[tuple[str, str]] = []
    if route == "start":
        found.append(("call", "started"))
    if route == "language_key" and digits and chosen:
        found.append(("language", chosen))
    node = menu.nodes.get(here or "")
    if route == "node_key" and chosen and node is not None:
        option = node.option(digits)
        if option is not None:  # a topic chosen by its key (not back, repeat or a wrong key)
            found.append(("topic", option.to))
    if isinstance(scene, Transfer):
        found.append(("transfer", scene.service))
    place = PLACES.get(route) or here or route
    silent = (route in KEY_ROUTES and not digits) or (route in SILENCE_ROUTES and _count("s") > 0)
    if silent and isinstance(scene, Transfer | Goodbye):
        found.append(("silent", place))
    if route == "transfer_done":
        service = (request.view_args or {}).get("service", "")
        outcome = OUTCOMES.get(request.values.get("DialCallStatus", ""), "failed")
        found.append(("transfer_end", f"{service if service in menu.services else 'unknown'}:{outcome}"))
    if isinstance(scene, Goodbye):
        found.append(("ended", place))
    return found


def _lang(code: str) -> str | None:
    return code if _ivr().line.is_language(code) else None


@bp.before_request
def check_signature() -> None:
    """Refuse any request Twilio did not sign (403), unless running unsigned on purpose."""
    try:
        settings = _ivr().settings
        if not settings.auth_token:
            return
        signed = is_signed(request, settings.auth_token, settings.public_base_url)
    except Exception:  # noqa: BLE001 - fail closed: fail-toward-help is only for signed requests
        signed = False
    if not signed:
        log.warning("refused a request without a valid Twilio signature")
        abort(403)


@bp.errorhandler(Exception)
def fail_toward_help(error: Exception) -> Response | HTTPException:
    """Any failure while answering: say ROSA's number and 112, and transfer to ROSA."""
    if isinstance(error, HTTPException):
        return error
    log.exception("a webhook failed; the caller is put through to ROSA", exc_info=error)
    try:
        lang = _lang((request.view_args or {}).get("lang", ""))
        return _answer(_ivr().line.error(lang))
    except Exception:  # noqa: BLE001 - the last resort must not fail
        return Response(current_app.extensions["ivr_last_resort"], mimetype=TWIML)


@bp.route("", methods=METHODS)
@bp.route("/", methods=METHODS)
def start() -> Response:
    """The number's Voice URL: greeting and language menu."""
    return _answer(_ivr().line.language_menu(_country()))


@bp.route("/fallback", methods=METHODS)
def fallback() -> Response:
    """The number's Fallback URL: ROSA's number and 112 in the greeting languages, then ROSA."""
    return _answer(_ivr().line.error(None))


@bp.route("/languages", methods=METHODS)
def languages() -> Response:
    """A page of the language menu."""
    return _answer(_ivr().line.language_menu(_country(), page=_count("p") or 1, silence=_count("s")))


@bp.route("/languages/key", methods=METHODS)
def language_key() -> Response:
    """A key pressed in the language menu."""
    line = _ivr().line
    digits = _digits()
    if not digits:
        return _answer(line.language_menu(_country(), page=_count("p") or 1, silence=1))
    return _answer(line.language_key(_country(), _count("p") or 1, _count("e"), digits))


@bp.route("/<lang>/<node>", methods=METHODS)
def node(lang: str, node: str) -> Response:
    """A menu or message in a language; an unknown language or node goes back to a menu."""
    line = _ivr().line
    if not _lang(lang):
        return _answer(line.language_menu(_country()))
    return _answer(line.node(lang, node, silence=_count("s")))


@bp.route("/<lang>/<node>/key", methods=METHODS)
def node_key(lang: str, node: str) -> Response:
    """A key pressed at a node."""
    line = _ivr().line
    if not _lang(lang):
        return _answer(line.language_menu(_country()))
    digits = _digits()
    if not digits:
        return _answer(line.node(lang, node, silence=1))
    return _answer(line.node_key(lang, node, _count("e"), digits, _country()))


@bp.route("/<lang>/connect/<service>/done", methods=METHODS)
def transfer_done(lang: str, service: str) -> Response:
    """How a transfer ended (Twilio's DialCallStatus)."""
    status = request.values.get("DialCallStatus", "")
    node_id = request.args.get("node")
    return _answer(_ivr().line.transfer_done(_lang(lang), service, status, node_id))


@bp.route("/<lang>/connect/rosa/unanswered", methods=METHODS)
def unanswered(lang: str) -> Response:
    """After ROSA did not answer, on silence."""
    return _answer(_ivr().line.unanswered(_lang(lang), silence=_count("s")))


@bp.route("/<lang>/connect/rosa/key", methods=METHODS)
def unanswered_key(lang: str) -> Response:
    """A key pressed after ROSA did not answer."""
    line = _ivr().line
    digits = _digits()
    if not digits:
        return _answer(line.unanswered(_lang(lang), silence=1))
    return _answer(line.unanswered_key(_lang(lang), _count("e"), digits, _country()))


@bp.route("/<path:rest>", methods=METHODS)
def anywhere_else(rest: str) -> Response:
    """Any other URL under /voice: back to the language menu, never a 404."""
    return _answer(_ivr().line.language_menu(_country()))
