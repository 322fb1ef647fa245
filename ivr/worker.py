"""The production server's worker: gunicorn's threaded worker, with a deadline on every request.

gunicorn's `gthread` worker keeps idle connections in a poller without a thread, but once a
client has sent its first byte a thread reads its request until it is complete, however slowly
it comes: headers trickled one line a second, or a body that stops short of its Content-Length,
hold that thread for as long as the client likes. Here a thread gives each request at most
WEB_REQUEST_DEADLINE seconds (default 10) to arrive and be answered; after that the worker's main
loop shuts the connection's socket, the blocked read returns, and the thread is free again. Twilio waits 15 s
for an answer (then plays the Fallback URL); a real webhook is answered in milliseconds.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

DEFAULT_DEADLINE = 10.0  # seconds; below Twilio's 15 s, far above a webhook's few ms


class DeadlineWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no type hints
    """gthread, and no client may hold a thread longer than the deadline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = float(os.environ.get("WEB_REQUEST_DEADLINE") or DEFAULT_DEADLINE)
        self._busy: dict[Any, float] = {}  # connection -> when its deadline passes
        self._busy_lock = threading.Lock()

    def handle(self, conn: Any) -> Any:
        with self._busy_lock:
            self._busy[conn] = time.monotonic() + self.deadline
        try:
            return super().handle(conn)
        finally:
            with self._busy_lock:
                self._busy.pop(conn, None)

    def murder_pending(self) -> None:
        """Runs on the main loop about once a second: also cut connections past their deadline."""
        super().murder_pending()
        now = time.monotonic()
        with self._busy_lock:
            late = [conn for conn, deadline in self._busy.items() if deadline < now]
        for conn in late:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked reading it
            except OSError:
                pass  # already closed
        if late:
            self.log.warning("cut %d connection(s) that took over %.0f s to send a request", len(late), self.deadline)
