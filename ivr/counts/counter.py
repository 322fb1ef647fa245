"""The line's counter: `record()` costs a queue put on the call path; a thread does the writing.

A webhook never waits on the database. Tallies go into a bounded in-process queue; one
background thread per process drains it, adds up what it took, and writes it with single
UPSERTs. When the database is locked, slow or gone, the thread waits (never the call),
and what it could not write is dropped and logged at most once a minute. When the queue
is full (the database has been gone a while), new counts are dropped the same way.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import weakref
from collections import Counter as Tally
from collections.abc import Iterable
from typing import Literal

from sqlalchemy import Engine

from . import store
from .week import iso_week

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000  # webhooks' worth of counts held while the writer is behind
BATCH = QUEUE_SIZE  # queue items added up and written in one transaction
IDLE_SECONDS = 30.0  # the writer thread ends after this long with nothing to do
LOG_EVERY = 60.0  # seconds between two reports of dropped counts
FRESH = 30.0  # seconds a database check stays good for /healthz
MAX_METRIC, MAX_LABEL = 32, 80

Kind = Literal["weekly", "alert", "probe"]
Item = tuple[Kind, tuple[tuple[str, ...], ...]]


class Counter:
    """Counts per ISO week (and Twilio's alerts per day) in the database at `url`."""

    def __init__(self, url: str, enabled: bool = True, idle: float = IDLE_SECONDS) -> None:
        self.url = url
        self.enabled = enabled
        self.idle = idle
        self._pid = -1
        self._reset()
        _counters.add(self)

    def _reset(self) -> None:
        """Fresh state for this process (also after a fork: the parent's thread is not here)."""
        inherited: Engine | None = getattr(self, "_engine", None)
        if inherited is not None:
            inherited.dispose(close=False)  # the parent's connections stay the parent's, untouched
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Item] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None
        self._schema = False
        self._reachable: bool | None = None
        self._checked = 0.0
        self._dropped = 0
        self._why = ""
        self._last_report = -LOG_EVERY

    # The call path ------------------------------------------------------------------

    def record(self, tallies: Iterable[tuple[str, str]]) -> None:
        """Count each (metric, label) once in this week. Never raises, never waits."""
        if not self.enabled:
            return
        try:
            week = iso_week()
            keys = tuple(
                (week, metric, label)
                for metric, label in tallies
                if isinstance(metric, str) and isinstance(label, str)
                and 0 < len(metric) <= MAX_METRIC and 0 < len(label) <= MAX_LABEL
            )
            if keys:
                self._put(("weekly", keys))
        except Exception as error:  # noqa: BLE001 - a count must never break a call
            self._drop(error, 1)

    def record_alert(self, day: str, code: str, level: str, path: str, message: str) -> None:
        """Count one of Twilio's debugger alerts. Never raises, never waits."""
        if not self.enabled:
            return
        try:
            self._put(("alert", ((day, code, level, path, message),)))
        except Exception as error:  # noqa: BLE001
            self._drop(error, 1)

    def _put(self, item: Item) -> None:
        if self._pid != os.getpid():
            self._reset()
        with self._lock:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                self._dropped += 1
                self._why = "the queue is full"
                full = True
            else:
                full = False
                if self._thread is None:
                    self._start()
        if full:
            self._report()

    def _start(self) -> None:
        """Start the writer (the caller holds the lock)."""
        self._thread = threading.Thread(target=self._run, args=(self._queue,), name="ivr-counts", daemon=True)
        self._thread.start()

    # The writer thread ----------------------------------------------------------------

    def prepare(self) -> None:
        """Create the schema now, at start-up, in this thread; never raises.

        It starts no thread and keeps no connection: under `gunicorn --preload` the app is
        built in the master, which then forks the workers, and a fork must not copy a thread
        in the middle of a write (or of an import). Each worker starts its own writer on its
        first count. A database that is down only costs start-up its short timeout.
        """
        if not self.enabled:
            return
        engine = None
        try:
            engine = store.make_engine(self.url)
            store.create_schema(engine, self.url)
            self._schema, self._reachable = True, True
        except Exception as error:  # noqa: BLE001 - the line starts without its counts
            self._reachable = False
            log.warning("counts: the database could not be prepared (%s); counts are dropped until it can",
                        type(error).__name__)
        finally:
            self._checked = time.monotonic()
            if engine is not None:
                engine.dispose()

    def _run(self, work: queue.Queue[Item]) -> None:
        while True:
            try:
                items = [work.get(timeout=self.idle)]
            except queue.Empty:
                self._report()  # what was dropped since the last report, once a minute has passed
                with self._lock:
                    if work.empty() and not self._dropped:  # stays until every drop is reported
                        self._thread = None
                        return
                continue
            while len(items) < BATCH:
                try:
                    items.append(work.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(items)
            finally:
                for _ in items:
                    work.task_done()

    def _write(self, items: list[Item]) -> None:
        weekly: Tally[tuple[str, ...]] = Tally()
        alerts: Tally[tuple[str, ...]] = Tally()
        for kind, keys in items:
            (weekly if kind == "weekly" else alerts if kind == "alert" else Tally()).update(keys)
        try:
            engine = self.engine()
            if not self._schema:
                store.create_schema(engine, self.url)
                self._schema = True
            store.add_weekly(engine, weekly)
            store.add_alerts(engine, alerts)
            if not weekly and not alerts:
                store.ping(engine)
        except Exception as error:  # noqa: BLE001 - whatever the database did, the line goes on
            self._reachable, self._checked = False, time.monotonic()
            self._drop(error, sum(weekly.values()) + sum(alerts.values()))
        else:
            self._reachable, self._checked = True, time.monotonic()

    def _drop(self, error: BaseException, count: int) -> None:
        with self._lock:
            self._dropped += count
            # The type only: a driver's message may name the host, the user or a value.
            self._why = f"the database failed: {type(error).__name__}"
        self._report()

    def _report(self) -> None:
        """Log dropped counts at most once a minute."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_report < LOG_EVERY or not self._dropped:
                return
            dropped, self._dropped, self._last_report, why = self._dropped, 0, now, self._why
        log.warning("counts not written (%s); %d count(s) dropped since the last report", why, dropped)

    # Reading --------------------------------------------------------------------------

    def engine(self) -> Engine:
        """This process's engine (made on first use; the writer and the console share it)."""
        if self._pid != os.getpid():
            self._reset()
        if self._engine is None:
            self._engine = store.make_engine(self.url)
        return self._engine

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything recorded so far has been written or dropped (tests, the CLI, exit)."""
        work = self._queue
        with work.all_tasks_done:
            return work.all_tasks_done.wait_for(lambda: work.unfinished_tasks == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then close the database connections (a later count reopens them)."""
        self.flush(timeout)
        engine, self._engine = self._engine, None
        if engine is not None and self._pid == os.getpid():
            engine.dispose()

    def status(self, wait: float = 1.0) -> bool | Literal["off"]:
        """Whether the database took the last write or check; "off" when counting is off.

        Never waits on the database itself: a stale answer asks the writer to check, and
        waits at most `wait` seconds for its first answer.
        """
        if not self.enabled:
            return "off"
        if self._pid != os.getpid() or time.monotonic() - self._checked > FRESH:
            self._put(("probe", ()))
            if self._reachable is None:
                deadline = time.monotonic() + wait
                while self._reachable is None and time.monotonic() < deadline:
                    time.sleep(0.01)
        return bool(self._reachable)


# After a fork (gunicorn's workers), each counter starts afresh in the child, before any of the
# child's request threads exist: the parent's writer thread, queue and connections are not its own.
_counters: weakref.WeakSet[Counter] = weakref.WeakSet()


def _after_fork() -> None:
    for counter in list(_counters):
        counter._reset()


os.register_at_fork(after_in_child=_after_fork)
