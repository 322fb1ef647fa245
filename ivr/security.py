"""Twilio's request signature: every webhook must carry a valid X-Twilio-Signature.

The check fails closed: anything odd about the request (a target that is not a plain
path, a URL the validator cannot parse, any exception at all) counts as unsigned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from urllib.parse import parse_qsl, quote

from flask import Request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)
PARAMS_KEY = "ivr.post_params"  # where a request's parsed parameters are kept (the WSGI environ)


class NotAPlainPath(ValueError):
    """The request target is not an origin-form path (e.g. `http://host/voice`)."""


def _target(request: Request) -> str:
    """The path and query as sent, not as decoded: Twilio signs the encoded form."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw is None:
        query = request.query_string.decode("latin-1")
        path = quote((request.script_root or "") + request.path)
        return f"{path}?{query}" if query else path
    if not raw.startswith("/") or raw.startswith("//"):
        raise NotAPlainPath(raw[:40])
    return raw


def signed_url(request: Request, public_base_url: str | None) -> str:
    """The URL Twilio signed: the public base when configured, else the request's own host."""
    base = (public_base_url or request.host_url).rstrip("/")
    return base + _target(request)


def is_signed(request: Request, auth_token: str, public_base_url: str | None) -> bool:
    """Whether the request carries a valid signature for the URL and POST parameters.

    Never raises: any failure while checking means "not signed".
    """
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    try:
        url = signed_url(request, public_base_url)
        params = post_params(request)
        # The common case first, in one HMAC: Twilio's SHA-1 signature of exactly this URL. The
        # validator below also tries the URL with and without its port (two more HMACs).
        legacy = "X-Twilio-Webhooks-Signature-Settings" not in request.headers
        if legacy and hmac.compare_digest(_sha1_signature(auth_token, url, params), signature):
            return True
        return bool(RequestValidator(auth_token).validate(url, params, signature))
    except Exception as error:  # noqa: BLE001 - fail closed, whatever went wrong
        # The type only: the request's parameters may carry a caller's number.
        log.warning("signature check failed (%s); refused", type(error).__name__)
        return False


def post_params(request: Request) -> dict[str, str]:
    """A POST's parameters, as Twilio signs them (the first value of each name); {} for a GET.

    Read once per request and shared by the signature check and the view, so both see the same
    values. A urlencoded body (what Twilio sends) is parsed directly, which is several times
    cheaper than werkzeug's form machinery; bytes that are not UTF-8 raise, and so fail the check.
    """
    cached: dict[str, str] | None = request.environ.get(PARAMS_KEY)
    if cached is not None:
        return cached
    found: dict[str, str] = {}
    if request.method != "POST":
        pass
    elif request.mimetype == "application/x-www-form-urlencoded":
        found = parse_form(request.get_data(cache=True))
    else:
        found = request.form.to_dict(flat=True)
    request.environ[PARAMS_KEY] = found
    return found


def parse_form(body: bytes) -> dict[str, str]:
    """A urlencoded body: the first value of each name. Bytes that are not UTF-8 raise."""
    found: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        found.setdefault(name, value)
    return found


def _sha1_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's HMAC-SHA1 signature: the URL, then each parameter's name and value, sorted by name."""
    data = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The signature Twilio would send for this URL and parameters (for the simulator and tests)."""
    return RequestValidator(auth_token).compute_signature(url, params)
