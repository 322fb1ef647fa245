"""Answers already rendered, served before Flask: a position's TwiML never changes, so after the
first request the signed webhook costs a signature check and a dictionary lookup.

WSGI middleware between the body limit and Flask. It only ever *accepts*: a POST to /voice with
PUBLIC_BASE_URL and the token set, a urlencoded UTF-8 body and Twilio's SHA-1 signature of exactly
that URL, whose answer is cached. Everything else (a miss, no signature, a signature only the
validator's port variants accept, anything odd) goes to Flask unchanged, which checks it again and
refuses it (403) or answers it (and caches the answer). Nothing about the caller is kept: the key
is what the answer depends on (the path and query, the key pressed, how a transfer ended, the
country when From is a real number, the helpline's number, the base URL).
"""

from __future__ import annotations

import hmac
import io
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import security
from .counts import count_answer
from .phone import helpline_number, is_real_caller
from .runtime import EXTENSION

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .runtime import Runtime

log = logging.getLogger("ivr.views")
PREFIX = "/voice"


def answer_key(environ: Mapping[str, Any], values: Mapping[str, str], base: str) -> tuple[object, ...]:
    """Everything an answer depends on, as the request sends it: the same key, the same bytes."""
    country = values.get("FromCountry") if is_real_caller(values.get("From")) else None
    return (
        environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), values.get("Digits"),
        values.get("DialCallStatus"), values.get("DialBridged"), country, helpline_number(values), base,
    )


class Answered:
    """Serve a cached answer to a request signed for exactly its URL; pass anything else on."""

    def __init__(self, app: WSGIApplication, loaded: Runtime, extensions: Mapping[str, Any]) -> None:
        self.app = app
        self.loaded = loaded
        self.extensions = extensions  # the Flask app's, where the counts store is registered

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            hit = self._hit(environ)
        except Exception:  # noqa: BLE001 - never decide here: Flask answers (or refuses) it
            hit = None
        if hit is None:
            return self.app(environ, start_response)
        body, tallies, kind = hit
        log.info("%s -> %s", environ.get("PATH_INFO", ""), kind)  # the path only: never caller data
        count_answer(self.extensions, environ, tallies)
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    def _hit(self, environ: WSGIEnvironment) -> tuple[bytes, tuple[tuple[str, str], ...], str] | None:
        # The line as loaded now: ivr.studio.live swaps in a new Runtime (and its empty cache)
        # when the audio manifest changes, so answers rendered with the old audio are not served.
        loaded = self.extensions.get(EXTENSION, self.loaded)
        settings = loaded.settings
        base, token = settings.public_base_url, settings.auth_token
        path = environ.get("PATH_INFO") or ""
        if not (base and token) or environ.get("REQUEST_METHOD") != "POST":
            return None
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            return None
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        if not raw.startswith(PREFIX) or "HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS" in environ:
            return None
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE") or ""
        declared = environ.get("CONTENT_LENGTH") or ""
        kind = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if not signature or not declared.isdigit() or kind != "application/x-www-form-urlencoded":
            return None
        body = environ["wsgi.input"].read(int(declared))
        environ["wsgi.input"] = io.BytesIO(body)  # Flask reads it again on a miss
        params = security.parse_form(body)
        environ[security.PARAMS_KEY] = params
        # Through the module, so the one signature function is the one everything checks with.
        if not hmac.compare_digest(security._sha1_signature(token, base + raw, params), signature):
            return None
        return loaded.cache.get(answer_key(environ, params, base))
