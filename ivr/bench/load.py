"""The runs: signed load, a worker killed mid-load, slow clients held open, one huge body."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import procfile
from .clients import Answer, Hostile, Webhook, post


@dataclass
class Figures:
    """Requests, errors and latency of one run."""

    name: str
    answers: list[Answer] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for a in self.answers if a.status != 200 or not a.twiml)

    def line(self) -> str:
        times = sorted(a.seconds * 1000 for a in self.answers)
        if not times:
            return f"{self.name:<14} requests=0 " + " ".join(self.notes)

        def pct(p: float) -> float:
            return times[min(len(times) - 1, int(p / 100 * len(times)))]

        rate = len(times) / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<14} requests={len(times)} errors={self.errors} "
            f"p50={statistics.median(times):.1f}ms p95={pct(95):.1f}ms p99={pct(99):.1f}ms "
            f"max={times[-1]:.1f}ms rate={rate:.0f}/s " + " ".join(self.notes)
        ).rstrip()


def load(port: int, hooks: Sequence[Webhook], seconds: float, threads: int, most: int,
         during: Callable[[float], None] | None = None, name: str = "load") -> Figures:
    """`threads` callers POST signed webhooks round-robin for `seconds` (at most `most` requests).

    `during(elapsed)` is called about every 50 ms from the main thread while the load runs.
    """
    figures = Figures(name)
    lock = threading.Lock()
    sent = 0
    stop = time.monotonic() + seconds

    def caller(offset: int) -> None:
        nonlocal sent
        i = offset
        while time.monotonic() < stop:
            with lock:
                if sent >= most:
                    return
                sent += 1
            answer = post(port, hooks[i % len(hooks)], timeout=20)
            i += threads
            with lock:
                figures.answers.append(answer)

    started = time.monotonic()
    workers = [threading.Thread(target=caller, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    while any(w.is_alive() for w in workers):
        if during:
            during(time.monotonic() - started)
        time.sleep(0.05)
    figures.seconds = time.monotonic() - started
    return figures


def kill_a_worker(port: int, master: int, hooks: Sequence[Webhook], seconds: float, threads: int,
                  most: int) -> Figures:
    """The same load, with one worker killed (SIGKILL) half-way; how many answers are lost."""
    killed: dict[str, float] = {}

    def during(elapsed: float) -> None:
        if "at" not in killed and elapsed >= seconds / 2:
            before = procfile.workers(master)
            if before:
                os.kill(before[0], signal.SIGKILL)
                killed["at"] = time.monotonic()
                killed["pid"] = before[0]
                killed["count"] = len(before)
        elif "at" in killed and "back" not in killed:
            now = procfile.workers(master)
            if len(now) >= killed["count"] and int(killed["pid"]) not in now:
                killed["back"] = time.monotonic() - killed["at"]

    figures = load(port, hooks, seconds, threads, most, during, name="worker-killed")
    if "back" in killed:
        figures.notes.append(f"replacement_worker_after={killed['back'] * 1000:.0f}ms")
    elif "at" in killed:
        figures.notes.append("replacement_worker=not seen")
    else:
        figures.notes.append("no worker was killed")
    return figures


def slow_clients(port: int, hooks: Sequence[Webhook], each: int, seconds: float,
                 name: str = "slow-clients", silent: bool = True) -> Figures:
    """`each` trickling-header, short-body (and silent) connections held open while signed calls go on."""
    hostile = Hostile()
    try:
        for _ in range(each):
            hostile.trickle_headers(port)
            hostile.short_body(port)
            if silent:
                hostile.idle(port)
        time.sleep(1.0)  # let every one of them reach a thread
        figures = load(port, hooks, seconds, threads=1, most=100_000, name=name)
    finally:
        hostile.close()
    kinds = 3 if silent else 2
    figures.notes.append(f"held={kinds * each} (trickling={each} short-body={each}" + (f" silent={each})" if silent else ")"))
    return figures


def huge_body(port: int, master: int, megabytes: int = 100) -> Figures:
    """A forged POST declaring a huge body: its answer, and what it cost the worker's memory."""
    figures = Figures("huge-body")
    pids = procfile.workers(master)
    before = {pid: procfile.peak_memory_kib(pid) for pid in pids}
    size = megabytes * 1024 * 1024
    started = time.perf_counter()
    status = 0
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(
            b"POST /voice HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: forged\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
        )
        chunk = b"A=" + b"b" * (1024 * 1024 - 2)
        try:
            while sent < size:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # refused before the body was read: the server stopped taking it
        try:
            head = s.recv(100)
            status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        except (OSError, ValueError, IndexError):
            status = 0
    elapsed = time.perf_counter() - started
    after = {pid: procfile.peak_memory_kib(pid) for pid in pids if os.path.exists(f"/proc/{pid}")}
    growth = max((after[p] - before[p] for p in after), default=0) // 1024
    figures.notes.append(
        f"declared={megabytes}MiB status={status} in {elapsed:.2f}s sent_before_refusal={sent // 1024}KiB "
        f"worker_peak_memory_growth={growth}MiB"
    )
    return figures
