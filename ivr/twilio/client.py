"""The REST client: credentials from the environment, one base URL for a fake Twilio, 429 back-off.

`make_client(env)` is the only way this package talks to Twilio. Its HTTP client
- points every Twilio API domain (api.twilio.com, voice.twilio.com, ...) at TWILIO_API_BASE_URL
  when it is set, so tests and staging run against a local fake and never the real Twilio;
- backs off on 429 (bounded, honouring Retry-After), for every request the SDK makes;
- logs nothing: the SDK's own client logs each request's URL, and a Calls URL holds a call SID
  or a caller's number (To=, From=, /Calls/CA....json).
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from ..errors import ConfigError

TWILIO_HOST = re.compile(r"(^|\.)twilio\.com$")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
MAX_TRIES = 5  # a request answered 429 this many times in a row is given up
MAX_WAIT = 60.0  # seconds: the longest single back-off, whatever Retry-After says
REQUEST_TIMEOUT = 30.0  # seconds per HTTP request: a hung Twilio must not hang the worker
_silent = logging.getLogger("ivr.twilio.http")
_silent.disabled = True  # the SDK's request log names call SIDs and numbers: never written


class _NoRequestLines(logging.Filter):
    """Drop urllib3's DEBUG line for each request: it holds the path (a call SID) and query (a number)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


class LineHttpClient(TwilioHttpClient):
    """The SDK's HTTP client with a rewritten host, bounded 429 back-off and no request log."""

    def __init__(self, base_url: str | None = None, sleep: Callable[[float], Any] = time.sleep) -> None:
        super().__init__(logger=_silent, timeout=REQUEST_TIMEOUT)
        self.base = urlsplit(base_url) if base_url else None
        self.sleep = sleep
        self.waits: list[float] = []  # every back-off taken, in seconds: a figure for the report
        pool = logging.getLogger("urllib3.connectionpool")
        if not any(isinstance(f, _NoRequestLines) for f in pool.filters):
            pool.addFilter(_NoRequestLines())

    def rewrite(self, url: str) -> str:
        """A Twilio URL as sent: on TWILIO_API_BASE_URL's host when set, else unchanged."""
        if self.base is None:
            return url
        parts = urlsplit(url)
        if not TWILIO_HOST.search(parts.hostname or ""):
            return url
        path = self.base.path.rstrip("/") + parts.path
        return urlunsplit((self.base.scheme, self.base.netloc, path, parts.query, parts.fragment))

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        url = self.rewrite(url)
        attempt = 1
        while True:
            response = super().request(method, url, params, data, headers, auth, timeout, allow_redirects)
            if response.status_code != 429 or attempt >= MAX_TRIES:
                return response
            wait = retry_after(response.headers, attempt)
            self.waits.append(wait)
            self.sleep(wait)
            attempt += 1

    def log_request(self, kwargs: dict[str, Any]) -> None:
        """Never: the URL and query name a call or a number."""

    def log_response(self, status_code: int, response: Any) -> None:
        """Never: see log_request."""


def retry_after(headers: Mapping[str, str] | None, attempt: int) -> float:
    """Seconds to wait before try `attempt + 1`: Retry-After (seconds or a date) or 1, 2, 4, 8 s, capped."""
    value = {k.lower(): v for k, v in (headers or {}).items()}.get("retry-after", "").strip()
    wait: float | None = None
    if value.isdigit():
        wait = float(value)
    elif value:
        try:
            wait = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            wait = None
    if wait is None:
        wait = float(2 ** (attempt - 1))
    return min(max(wait, 0.0), MAX_WAIT)


def make_client(env: Mapping[str, str], sleep: Callable[[float], Any] = time.sleep) -> Client:
    """A Twilio REST client from TWILIO_* settings; raise ConfigError naming every missing or bad one.

    Credentials: TWILIO_ACCOUNT_SID with an API key (TWILIO_API_KEY, TWILIO_API_SECRET), as Twilio
    recommends for production, or with TWILIO_AUTH_TOKEN.
    """

    def get(name: str) -> str:
        return str(env.get(name) or "").strip()

    problems: list[str] = []
    account, key, secret, token = (get(n) for n in (
        "TWILIO_ACCOUNT_SID", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_AUTH_TOKEN"))
    if not account:
        problems.append("TWILIO_ACCOUNT_SID is not set (the account's SID, AC...)")
    elif not re.fullmatch(r"AC[0-9a-fA-F]{32}", account):
        problems.append("TWILIO_ACCOUNT_SID must be the account's SID: AC followed by 32 hex digits")
    if key or secret:
        if not key:
            problems.append("TWILIO_API_KEY is not set, but TWILIO_API_SECRET is (the key's SID, SK...)")
        elif not re.fullmatch(r"SK[0-9a-fA-F]{32}", key):
            problems.append("TWILIO_API_KEY must be an API key's SID: SK followed by 32 hex digits")
        if not secret:
            problems.append("TWILIO_API_SECRET is not set, but TWILIO_API_KEY is (the key's secret)")
        username, password = key, secret
    elif token:
        username, password = account, token
    else:
        problems.append(
            "no credentials: set TWILIO_API_KEY and TWILIO_API_SECRET (an API key, recommended), "
            "or TWILIO_AUTH_TOKEN"
        )
        username = password = ""
    base = get("TWILIO_API_BASE_URL") or None
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"TWILIO_API_BASE_URL={base!r} must be a URL like https://api.example.org")
        elif parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
            problems.append("TWILIO_API_BASE_URL must be https:// (http:// only on 127.0.0.1): it carries the credentials")
        elif parts.query or parts.fragment:
            problems.append("TWILIO_API_BASE_URL must not have a query or fragment")
    if problems:
        raise ConfigError(problems)
    # environment={} never falls back to os.environ here: every value the client needs is given.
    return Client(
        username=username,
        password=password,
        account_sid=account,
        http_client=LineHttpClient(base, sleep),
        environment={"TWILIO_ACCOUNT_SID": account},
    )


def failure(error: BaseException) -> tuple[int | None, int | None]:
    """HTTP status and Twilio error code of a failed request; never its message, which quotes the
    request's URI (a call SID, a number). (None, None): Twilio did not answer at all."""
    if isinstance(error, TwilioRestException | TwilioServiceException):
        return error.status, error.code
    response = error.args[1] if len(error.args) > 1 else None  # Page's "Unable to fetch page", response
    status = getattr(response, "status_code", None)
    try:
        code = json.loads(getattr(response, "text", "") or "{}").get("code")
    except (ValueError, AttributeError):
        code = None
    return status, code if isinstance(code, int) else None


def refusal(doing: str, status: int | None, code: int | None) -> str:
    """What went wrong, for a person: the credentials, the network, or Twilio's status and code."""
    if status in (401, 403):
        return (
            f"Twilio refused to {doing} (HTTP {status}, error {code}): check TWILIO_ACCOUNT_SID and "
            "TWILIO_API_KEY/TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN), and what the API key may do"
        )
    if status is None:
        return f"could not {doing}: Twilio did not answer (check TWILIO_API_BASE_URL and the network)"
    return f"could not {doing}: Twilio answered HTTP {status}" + (f", error {code}" if code else "")
