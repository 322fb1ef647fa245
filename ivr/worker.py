"""The production server's worker: gunicorn's threaded worker, with a deadline on every request.

gunicorn's `gthread` worker gives every new connection a thread, which waits up to 5 s for a
first byte; once a client has sent one, the thread reads its request until it is complete,
however slowly it comes: headers trickled one line a second, or a body that stops short of its
Content-Length, hold that thread for as long as the client likes. Here
  - a new connection waits in the poller, without a thread, until it has something to read
    (gthread's own "pending" queue, closed after the keepalive timeout); and
  - a thread gives each request at most WEB_REQUEST_DEADLINE seconds (default 10) to arrive and
    be answered; after that the worker's main loop shuts the connection's socket, the blocked
    read returns, and the thread is free again.
Twilio waits 15 s for an answer (then plays the Fallback URL); a webhook takes milliseconds.
Tested in tests/test_server.py against gunicorn 27 (pinned in pyproject.toml): this extends
gthread's internals (accept, handle, murder_pending, pending_conns).
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import threading
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker  # type: ignore[import-untyped]

DEFAULT_DEADLINE = 10.0  # seconds; below Twilio's 15 s, far above a webhook's few ms


class DeadlineWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn ships no type hints
    """gthread, and no client may hold a thread longer than the deadline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = float(os.environ.get("WEB_REQUEST_DEADLINE") or DEFAULT_DEADLINE)
        self._busy: dict[Any, float] = {}  # connection -> when its deadline passes
        self._busy_lock = threading.Lock()

    def accept(self, listener: Any) -> None:
        """Accept a connection into the poller; a thread takes it up once it is readable."""
        try:
            client, address = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client, address, listener.getsockname())  # non-blocking
        conn.timeout = time.monotonic() + self.cfg.keepalive  # murder_pending closes it then
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

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
                del self._busy[conn]  # cut once, logged once
        for conn in late:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked reading it
            except OSError:
                pass  # already closed
        if late:
            # A count only: nothing about the request, which may carry a caller's number.
            self.log.warning("cut %d connection(s) not read and answered within %.0f s", len(late), self.deadline)
