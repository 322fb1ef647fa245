"""Twilio's request signature: every webhook must carry a valid X-Twilio-Signature."""

from __future__ import annotations

from urllib.parse import quote

from flask import Request
from twilio.request_validator import RequestValidator


def signed_url(request: Request, public_base_url: str | None) -> str:
    """The URL Twilio signed: the public base when configured, else the request's own URL."""
    base = public_base_url or request.host_url.rstrip("/")
    # The URL as sent, not as decoded: Twilio signs the encoded form ("%2f" stays "%2f").
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return base + raw
    query = request.query_string.decode("latin-1")
    path = quote((request.script_root or "") + request.path)
    return f"{base}{path}?{query}" if query else f"{base}{path}"


def is_signed(request: Request, auth_token: str, public_base_url: str | None) -> bool:
    """Whether the request carries a valid signature for the URL and POST parameters."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    params = request.form.to_dict(flat=True) if request.method == "POST" else {}
    return RequestValidator(auth_token).validate(signed_url(request, public_base_url), params, signature)


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The signature Twilio would send for this URL and parameters (for the simulator and tests)."""
    return RequestValidator(auth_token).compute_signature(url, params)
