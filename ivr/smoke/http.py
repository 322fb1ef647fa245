"""The smoke walk's HTTP: requests signed as Twilio signs them, answers read without following redirects."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Mapping
from email.message import Message
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, OpenerDirector, Request, build_opener

from twilio.request_validator import RequestValidator

from .report import Answer

TWILIO_TIMEOUT = 15.0  # seconds Twilio waits for a webhook's answer before the Fallback URL (11205)
MAX_TWIML = 64 * 1024  # Twilio refuses larger TwiML (error 11750)
MAX_AUDIO = 32 * 1024 * 1024  # read no more of one audio file than this
USER_AGENT = "ivr-smoke (TwilioProxy-like; the line's own smoke test)"
# On every webhook request, so the line can leave a smoke run out of its counts (Twilio never sends it;
# only requests signed with the auth token get past the signature check anyway).
SMOKE_HEADER = ("X-Ivr-Smoke", "1")


class _NoRedirects(HTTPRedirectHandler):
    """A 3xx is reported as an answer, not followed: Twilio needs a 200 with TwiML."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def opener() -> OpenerDirector:
    """An opener that follows no redirect."""
    return build_opener(_NoRedirects)


def fetch(
    opener: OpenerDirector,
    method: str,
    url: str,
    data: bytes | None,
    headers: Mapping[str, str],
    limit: int,
    clock: Callable[[], float],
) -> Answer:
    """One request; at most `limit` + 1 bytes of the body; a failure to answer is an Answer with `error`."""
    request = Request(url, data=data, method=method, headers={"User-Agent": USER_AGENT, **headers})
    started = clock()
    try:
        with opener.open(request, timeout=TWILIO_TIMEOUT) as response:
            body = response.read(limit + 1)
            return Answer(response.status, response.headers, body, clock() - started)
    except HTTPError as e:
        with e:
            body = e.read(limit + 1)
        return Answer(e.code, e.headers, body, clock() - started)
    except (URLError, OSError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", None) or e
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            reason = f"no answer within {TWILIO_TIMEOUT:.0f} s"
        return Answer(0, Message(), b"", clock() - started, error=str(reason))


def signed(
    method: str, url: str, params: Mapping[str, str], validator: RequestValidator
) -> tuple[str, str, bytes | None, dict[str, str]]:
    """A webhook request as Twilio sends it, signed for this exact URL: (method, url, body, headers).

    A GET carries the parameters in its query (signed as part of the URL); anything else is a
    form POST whose parameters are signed with it.
    """
    if method == "GET":
        url += ("&" if urlsplit(url).query else "?") + urlencode(sorted(params.items()))
        headers = {"X-Twilio-Signature": validator.compute_signature(url, {}), SMOKE_HEADER[0]: SMOKE_HEADER[1]}
        return "GET", url, None, headers
    headers = {
        "X-Twilio-Signature": validator.compute_signature(url, dict(params)),
        "Content-Type": "application/x-www-form-urlencoded",
        SMOKE_HEADER[0]: SMOKE_HEADER[1],
    }
    return "POST", url, urlencode(params).encode(), headers
