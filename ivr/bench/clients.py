"""What the runs send: signed webhooks as Twilio sends them, and hostile slow connections."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from ..security import sign

TOKEN = "bench-token-0123456789abcdef"
PUBLIC = "https://line.example.no"
CALL = {
    "CallSid": "CA" + "b" * 32, "AccountSid": "AC" + "0" * 32, "To": "+4721000000", "Called": "+4721000000",
    "FromCountry": "NO", "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01",
}


@dataclass(frozen=True)
class Webhook:
    """One request Twilio makes during a call: a path under /voice and its extra parameters."""

    path: str
    extra: tuple[tuple[str, str], ...] = ()

    def params(self) -> dict[str, str]:
        return {**CALL, **dict(self.extra)}

    def body_and_signature(self, token: str = TOKEN, public: str = PUBLIC) -> tuple[bytes, str]:
        params = self.params()
        return urlencode(params).encode(), sign(token, public + self.path, params)


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (connection error or timeout)
    seconds: float
    twiml: bool


def post(port: int, hook: Webhook, timeout: float = 20.0) -> Answer:
    """POST one signed webhook on a new connection, as Twilio does; never raises."""
    body, signature = hook.body_and_signature()
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", hook.path, body=body, headers={
            "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded",
            "Host": urlsplit(PUBLIC).netloc,
        })
        response = connection.getresponse()
        data = response.read()
        twiml = response.getheader("Content-Type", "").startswith("text/xml") and data.startswith(b"<?xml")
        return Answer(response.status, time.perf_counter() - started, twiml)
    except (OSError, http.client.HTTPException):
        return Answer(0, time.perf_counter() - started, False)
    finally:
        connection.close()


def call_states(limit: int = 400) -> list[Webhook]:
    """Every webhook a call can make, found by pressing every key at every state (in-process)."""
    from .. import create_app
    from ..simulator import KEYS, Simulator

    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC})
    simulator = Simulator(app)
    found: list[Webhook] = [Webhook("/voice")]
    queue = [simulator.start()]
    seen = {"/voice"}
    while queue and len(found) < limit:
        turn = queue.pop(0)
        nexts: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        if turn.gather:
            nexts += [(turn.gather, (("Digits", key),)) for key in KEYS]
        if turn.on_silence:
            nexts.append((turn.on_silence, ()))
        if turn.dial and turn.dial.action:
            nexts.append((turn.dial.action, (("DialCallStatus", "no-answer"),)))
        for url, extra in nexts:
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            key = path + repr(extra)
            if key in seen or len(found) >= limit:
                continue
            seen.add(key)
            found.append(Webhook(path, extra))
            queue.append(simulator.request(path, **dict(extra)))
    return found


class Hostile:
    """Slow connections held open in the background until `close()`."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _connect(self, port: int) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sockets.append(s)
        return s

    def trickle_headers(self, port: int, every: float = 1.0) -> None:
        """A request whose headers come one line a second and never end (the review's finding 2)."""
        s = self._connect(port)

        def run() -> None:
            try:
                s.sendall(b"POST /voice HTTP/1.1\r\nHost: x\r\n")
                n = 0
                while not self._stop.wait(every):
                    s.sendall(f"X-Slow-{n}: {n}\r\n".encode())
                    n += 1
            except OSError:
                pass  # the server cut us off: what it should do, eventually

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self._threads.append(thread)

    def short_body(self, port: int) -> None:
        """A forged POST whose body stops short of its Content-Length and then stalls."""
        s = self._connect(port)
        s.sendall(b"POST /voice HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nA=b")

    def idle(self, port: int) -> None:
        """A connection that never sends a byte."""
        self._connect(port)

    def still_open(self) -> int:
        """How many of the connections the server has neither answered nor closed yet."""
        count = 0
        for s in self.sockets:
            s.setblocking(False)
            try:
                s.recv(1, socket.MSG_PEEK)  # data (an answer) or b"" (closed): not held
            except BlockingIOError:
                count += 1  # nothing to read and not closed: the server is still holding it
            except OSError:
                pass
            finally:
                s.setblocking(True)
        return count

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for s in self.sockets:
            s.close()
