"""Request bodies over a small limit are refused with 413 before anything reads them.

Twilio's webhooks carry a few kB of form parameters; a larger body is not Twilio's, and must not
cost memory or time. This runs as WSGI middleware, in front of Flask, so it answers before the
signature check (which reads the form) and before any parsing. The console is exempt: its own
pages decide what they accept (behind its password).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, TYPE_CHECKING

from werkzeug.exceptions import RequestEntityTooLarge

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# 64 KiB: over ten times the largest set of parameters Twilio sends (a voice webhook is about
# 1 kB; a debugger alert, which quotes a TwiML answer, a few kB), and an eighth of werkzeug's
# default form limit. A refused 100 MB body now costs the worker nothing.
MAX_BODY = 64 * 1024
EXEMPT = ("/console/",)


class BodyLimit:
    """WSGI middleware: 413 for a declared Content-Length over `limit`; a chunked body is cut there."""

    def __init__(self, app: WSGIApplication, limit: int = MAX_BODY, exempt: tuple[str, ...] = EXEMPT) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if path.startswith(self.exempt):
            return self.app(environ, start_response)
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if declared:
            if not declared.isascii() or not declared.isdigit() or int(declared) > self.limit:
                return too_large(start_response, self.limit)
        elif environ.get("wsgi.input_terminated"):
            # A chunked body declares no length: reading more than `limit` of it raises
            # RequestEntityTooLarge (the signature check turns that into a 403, read no further).
            environ["wsgi.input"] = Capped(environ["wsgi.input"], self.limit)
        return self.app(environ, start_response)


def too_large(start_response: StartResponse, limit: int) -> list[bytes]:
    body = f"Request body over {limit // 1024} KiB refused.\n".encode()
    start_response("413 Content Too Large", [
        ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ])
    return [body]


class Capped:
    """A WSGI input stream that raises RequestEntityTooLarge once more than `limit` bytes come."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream = stream
        self.left = limit

    def _take(self, data: bytes) -> bytes:
        self.left -= len(data)
        if self.left < 0:
            raise RequestEntityTooLarge()
        return data

    def read(self, size: int | None = -1) -> bytes:
        want = self.left + 1 if size is None or size < 0 else min(size, self.left + 1)
        return self._take(self.stream.read(want))

    def readline(self, size: int | None = -1) -> bytes:
        want = self.left + 1 if size is None or size < 0 else min(size, self.left + 1)
        return self._take(self.stream.readline(want))

    def __iter__(self) -> Capped:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line
