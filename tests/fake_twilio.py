"""A fake Twilio REST API: a real HTTP server on 127.0.0.1 speaking the 2010-04-01 JSON.

Just enough of Twilio for `ivr twilio ...`: Calls (list with filters and paging, create,
delete), IncomingPhoneNumbers (list, fetch, update), HTTP Basic authentication with an API key
or the auth token, 429 on demand, and a record of every request for assertions. Error bodies are
Twilio's legacy shape ({"code", "message", "more_info", "status"}); like Twilio's, a message may
name the resource's URI, so a test can prove that the command never repeats one. Twilio does not
document the HTTP status of error 20009 (a call too recent to delete; twilio-facts.md §4): the fake
answers 409, and the purge goes by the code alone.
"""

from __future__ import annotations

import base64
import email.utils
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

API = "/2010-04-01"
FINISHED = ("completed", "failed", "busy", "no-answer", "canceled")
# Form fields of an IncomingPhoneNumber update, and the JSON key each one sets.
NUMBER_FIELDS = {
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "VoiceCallerIdLookup": "voice_caller_id_lookup",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "VoiceApplicationSid": "voice_application_sid",
    "SmsApplicationSid": "sms_application_sid",
    "TrunkSid": "trunk_sid",
    "FriendlyName": "friendly_name",
    "VoiceReceiveMode": "voice_receive_mode",
}
_serial = itertools.count(1)


def sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits, unique in this process."""
    return f"{prefix}{next(_serial):08x}{secrets.token_hex(12)}"


def rfc2822(seconds_ago: float) -> str:
    """A time `seconds_ago`, as Twilio writes dates: 'Tue, 01 Dec 2026 08:00:00 +0000'."""
    return email.utils.formatdate(time.time() - seconds_ago, usegmt=False).replace("-0000", "+0000")


@dataclass(frozen=True)
class Seen:
    """One request as the fake received it: query and form parameters merged."""

    method: str
    path: str
    params: dict[str, str]
    user: str | None


@dataclass
class FakeTwilio:
    """The fake account: its credentials, calls and numbers. Use as a context manager."""

    account_sid: str = field(default_factory=lambda: sid("AC"))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    api_key: str = field(default_factory=lambda: sid("SK"))
    api_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    too_recent: set[str] = field(default_factory=set)  # delete answers 20009 for these
    broken: dict[str, int] = field(default_factory=dict)  # delete answers this HTTP status for these
    requests: list[Seen] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # call SIDs, in the order deleted
    rate_limited: int = 0  # answer this many next requests with 429
    retry_after: str | None = "0"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None

    # Setting the account up ---------------------------------------------------------

    def add_call(
        self,
        to: str,
        from_: str,
        status: str = "completed",
        ended_ago: float = 3600,
        parent: str | None = None,
        direction: str = "inbound",
    ) -> str:
        """A call record; returns its SID. `ended_ago` seconds since it ended (if it did)."""
        call_sid = sid("CA")
        with self.lock:
            self.calls[call_sid] = {
                "sid": call_sid,
                "account_sid": self.account_sid,
                "parent_call_sid": parent,
                "to": to,
                "to_formatted": to,
                "from": from_,
                "from_formatted": from_,
                "status": status,
                "direction": "outbound-dial" if parent else direction,
                "date_created": rfc2822(ended_ago + 120),
                "date_updated": rfc2822(ended_ago),
                "start_time": rfc2822(ended_ago + 120),
                "end_time": rfc2822(ended_ago) if status in FINISHED else None,
                "duration": "120" if status in FINISHED else None,
                "caller_name": None,
                "api_version": "2010-04-01",
                "uri": f"{API}/Accounts/{self.account_sid}/Calls/{call_sid}.json",
            }
        return call_sid

    def add_number(self, phone_number: str, **fields: Any) -> str:
        """An IncomingPhoneNumber with Twilio's defaults for a new number, and `fields` on top."""
        number_sid = sid("PN")
        record = {
            "sid": number_sid,
            "account_sid": self.account_sid,
            "phone_number": phone_number,
            "friendly_name": phone_number,
            "voice_url": "https://demo.twilio.com/welcome/voice/",
            "voice_method": "POST",
            "voice_fallback_url": "",
            "voice_fallback_method": "POST",
            "status_callback": "",
            "status_callback_method": "POST",
            "voice_caller_id_lookup": False,
            "voice_application_sid": None,
            "trunk_sid": None,
            "sms_url": "https://demo.twilio.com/welcome/sms/reply",
            "sms_method": "POST",
            "sms_fallback_url": "",
            "sms_application_sid": None,
            "voice_receive_mode": "voice",
            "date_created": rfc2822(86400),
            "date_updated": rfc2822(86400),
            "api_version": "2010-04-01",
            "uri": f"{API}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{number_sid}.json",
        }
        record.update(fields)
        with self.lock:
            self.numbers[number_sid] = record
        return number_sid

    def rate_limit(self, times: int, retry_after: str | None = "0") -> None:
        """Answer the next `times` requests with 429 Too Many Requests."""
        with self.lock:
            self.rate_limited, self.retry_after = times, retry_after

    def writes(self) -> list[Seen]:
        """Every request that could change something (POST, DELETE)."""
        return [r for r in self.requests if r.method != "GET"]

    def secrets_of_the_account(self) -> set[str]:
        """Every SID and number a command must never print or log."""
        found = set(self.calls) | set(self.numbers)
        for call in self.calls.values():
            found |= {call["to"], call["from"], call["to"].lstrip("+"), call["from"].lstrip("+")}
        return found

    # Serving ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self, auth: str = "key") -> dict[str, str | None]:
        """Environment for the `ivr` command: this account, by API key or by auth token."""
        by_key = auth == "key"
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_API_KEY": self.api_key if by_key else None,
            "TWILIO_API_SECRET": self.api_secret if by_key else None,
            "TWILIO_AUTH_TOKEN": None if by_key else self.auth_token,
            "TWILIO_API_BASE_URL": self.url,
        }

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_DELETE(self) -> None:
                fake._handle(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read `requests` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handle(self, http: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(http.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(http.headers.get("Content-Length") or 0)
        if length:
            params.update(parse_qsl(http.rfile.read(length).decode("utf-8"), keep_blank_values=True))
        user, password = _basic(http.headers.get("Authorization", ""))
        with self.lock:
            self.requests.append(Seen(method, parts.path, params, user))
            if self.rate_limited > 0:
                self.rate_limited -= 1
                headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
                return _send(http, 429, _error(20429, "Too Many Requests", 429), headers)
            if (user, password) not in ((self.account_sid, self.auth_token), (self.api_key, self.api_secret)):
                return _send(http, 401, _error(20003, "Authenticate", 401), {"WWW-Authenticate": 'Basic realm="Twilio API"'})
            prefix = f"{API}/Accounts/{self.account_sid}/"
            if not parts.path.startswith(prefix) or not parts.path.endswith(".json"):
                return _send(http, 404, _error(20404, f"The requested resource {parts.path} was not found", 404))
            route = parts.path.removeprefix(prefix).removesuffix(".json").split("/")
            status, body = self._route(method, route, params, parts.path)
        _send(http, status, body)

    def _route(self, method: str, route: list[str], params: dict[str, str], path: str) -> tuple[int, Any]:
        missing = (404, _error(20404, f"The requested resource {path} was not found", 404))
        match method, route:
            case "GET", ["Calls"]:
                wanted = {"To": "to", "From": "from", "ParentCallSid": "parent_call_sid", "Status": "status"}
                found = [
                    c for c in self.calls.values()
                    if all(c[key] == params[name] for name, key in wanted.items() if name in params)
                ]
                return 200, _page("calls", found, params, path)
            case "POST", ["Calls"]:
                if not all(params.get(k) for k in ("To", "From")) or not (params.get("Url") or params.get("Twiml")):
                    return 400, _error(21201, "To, From and Url are required", 400)
                call_sid = sid("CA")
                self.calls[call_sid] = {
                    "sid": call_sid, "account_sid": self.account_sid, "parent_call_sid": None,
                    "to": params["To"], "from": params["From"], "status": "queued", "direction": "outbound-api",
                    "date_created": rfc2822(0), "date_updated": rfc2822(0), "start_time": None, "end_time": None,
                    "uri": f"{API}/Accounts/{self.account_sid}/Calls/{call_sid}.json",
                }
                return 201, self.calls[call_sid]
            case "DELETE", ["Calls", call_sid]:
                call = self.calls.get(call_sid)
                if call is None:
                    return missing
                if call_sid in self.broken:
                    status = self.broken[call_sid]
                    return status, _error(20000 + status, f"Unable to delete {path}", status)
                if call_sid in self.too_recent or call["status"] not in FINISHED:
                    return 409, _error(20009, "Unable to delete record: the call is not yet completed", 409)
                del self.calls[call_sid]
                self.deleted.append(call_sid)
                return 204, None
            case "GET", ["IncomingPhoneNumbers"]:
                wanted_number = params.get("PhoneNumber", "").lstrip("+")
                # Like Twilio, PhoneNumber matches part of a number.
                found = [n for n in self.numbers.values() if wanted_number in n["phone_number"]]
                return 200, _page("incoming_phone_numbers", found, params, path)
            case "GET", ["IncomingPhoneNumbers", number_sid]:
                return (200, self.numbers[number_sid]) if number_sid in self.numbers else missing
            case "POST", ["IncomingPhoneNumbers", number_sid]:
                number = self.numbers.get(number_sid)
                if number is None:
                    return missing
                unknown = sorted(set(params) - set(NUMBER_FIELDS))
                if unknown:
                    return 400, _error(21200, f"unknown parameters {unknown}", 400)
                for name, value in params.items():
                    key = NUMBER_FIELDS[name]
                    if key == "voice_caller_id_lookup":
                        number[key] = value.lower() == "true"
                    elif key.endswith("_sid"):
                        number[key] = value or None
                    else:
                        number[key] = value
                return 200, number
        return missing


def _page(key: str, records: list[dict[str, Any]], params: dict[str, str], path: str) -> dict[str, Any]:
    """One page of a list, newest first, with Twilio's paging keys; PageToken is an offset here,
    so a client that deletes while paging would skip records, as it could with any paging."""
    records = sorted(records, key=lambda r: (email.utils.parsedate_to_datetime(r["date_created"]), r["sid"]), reverse=True)
    size = int(params.get("PageSize") or 50)
    page = int(params.get("Page") or 0)
    token = params.get("PageToken", "")
    start = int(token.removeprefix("PA")) if token.startswith("PA") else 0
    chunk = records[start:start + size]
    filters = {k: v for k, v in params.items() if k not in ("Page", "PageSize", "PageToken")}

    def uri(**extra: object) -> str:
        return f"{path}?{urlencode({**filters, 'PageSize': size, **extra})}"

    more = start + size < len(records)
    return {
        key: chunk,
        "page": page,
        "page_size": size,
        "start": start,
        "end": start + len(chunk) - 1,
        "uri": uri(Page=page, PageToken=token) if token else uri(Page=page),
        "first_page_uri": uri(Page=0),
        "next_page_uri": uri(Page=page + 1, PageToken=f"PA{start + size}") if more else None,
        "previous_page_uri": None,
    }


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def _basic(header: str) -> tuple[str | None, str | None]:
    if not header.startswith("Basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except ValueError:
        return None, None
    return user, password


def _send(http: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    data = b"" if body is None else json.dumps(body).encode("utf-8")
    http.send_response(status)
    for name, value in (headers or {}).items():
        http.send_header(name, value)
    if data:
        http.send_header("Content-Type", "application/json")
    http.send_header("Content-Length", str(len(data)))
    http.end_headers()
    http.wfile.write(data)

