"""POST /twilio/alerts: the account's Debugger webhook, kept as error codes and nothing else.

Twilio posts every debugger event (form-encoded, signed like the voice webhooks) with
`Sid`, `AccountSid`, `ParentAccountSid`, `Timestamp`, `Level`, `PayloadType` and
`Payload`, a JSON document with `error_code`, `resource_sid`, `more_info` (whose `Msg` is
Twilio's short message) and, for webhook errors, `webhook.request` (`url`, `method`,
`headers`, `parameters`: the caller's From, To, CallSid …) and `webhook.response`.

Of all that only this is kept: the error code, the level, the day, Twilio's short
message (scrubbed of anything like a number or a SID, at most 160 characters) and the
path of the URL the error concerns (no host, no query, scrubbed the same way), counted
per day. The request's parameters, the payload itself, the SIDs and every number are
never stored or logged.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, request

from ..security import is_signed
from .week import iso_day

log = logging.getLogger(__name__)
bp = Blueprint("alerts", __name__, url_prefix="/twilio")

MAX_MESSAGE = 160
MAX_PATH = 120
LEVELS = ("error", "warning", "notice", "debug")
# A run of 5 or more digits, even with spaces, dots, dashes, colons, slashes or brackets between
# them: a phone number in any of its written forms, and a date or a time of day (short numbers
# like 112 and audio files' 16-hex-digit hashes stay readable).
NUMBER = re.compile(r"\+?\d(?:[\s().:\-/]*\d){4,}")
# A Twilio SID (CA…, NO…, AC…, PN… and 32 hex digits) or any longer hex string.
TOKEN = re.compile(r"\b[A-Za-z]{2}[0-9a-fA-F]{32}\b|\b[0-9a-fA-F]{32,}\b")
QUERY = re.compile(r"\?\S*")
EMAIL = re.compile(r"\S+@\S+")
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Alert:
    """What is kept of one debugger event."""

    day: str
    code: str
    level: str
    path: str
    message: str


def scrub(text: str, limit: int) -> str:
    """Text with numbers, SIDs, tokens, e-mail addresses and query strings replaced, then cut."""
    text = CONTROL.sub(" ", text)
    text = QUERY.sub("?…", text)
    text = EMAIL.sub("…@…", text)
    text = TOKEN.sub("…", text)
    text = NUMBER.sub("#", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _path(url: object) -> str:
    if not isinstance(url, str) or not url:
        return ""
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return ""
    return scrub(path, MAX_PATH)


def _code(value: object) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    return text if re.fullmatch(r"\d{1,6}", text) else "unknown"


def parse(form: Mapping[str, str]) -> Alert:
    """Keep what helps fix the line from a Debugger webhook's parameters; never raises."""
    try:
        payload: Any = json.loads(form.get("Payload") or "{}")
    except (ValueError, RecursionError):
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    more: Any = payload.get("more_info")
    if not isinstance(more, dict):
        more = {}
    webhook: Any = payload.get("webhook")
    req: Any = webhook.get("request") if isinstance(webhook, dict) else None
    url = (req.get("url") if isinstance(req, dict) else None) or more.get("url")
    level = (form.get("Level") or more.get("LogLevel") or "").strip().lower()
    message = more.get("Msg") or more.get("msg") or ""
    return Alert(
        day=iso_day(form.get("Timestamp")),
        code=_code(payload.get("error_code") or more.get("ErrorCode") or ""),
        level=level if level in LEVELS else "other",
        path=_path(url),
        message=scrub(message, MAX_MESSAGE) if isinstance(message, str) else "",
    )


@bp.before_request
def check_signature() -> None:
    """The same fail-closed check as /voice: unsigned, forged or odd → 403."""
    try:
        settings = current_app.extensions["ivr"].settings
        signed = not settings.auth_token or is_signed(request, settings.auth_token, settings.public_base_url)
    except Exception:  # noqa: BLE001 - fail closed
        signed = False
    if not signed:
        log.warning("refused an alert without a valid Twilio signature")
        abort(403)


@bp.post("/alerts")
def alert() -> Response:
    """Count one debugger event; Twilio only needs to hear that it arrived."""
    try:
        found = parse(request.form)
        current_app.extensions["counts"].record_alert(found.day, found.code, found.level, found.path, found.message)
        log.info("Twilio alert %s (%s) counted", found.code, found.level)
    except Exception as error:  # noqa: BLE001 - nothing of the alert is logged, only what failed
        log.warning("an alert could not be counted (%s)", type(error).__name__)
    return Response(status=204)
