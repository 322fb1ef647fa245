"""Measure what counting costs: `python -m ivr.counts.bench [--postgres URL] [--rounds N]`.

Prints figures, asserts nothing:
- the time of a signed webhook with counting on and off, interleaved in the same run, and their ratio;
- concurrent increments from several processes: how many per second, and how many were lost
  (each process does single-row UPSERT transactions, the hardest case for the database).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from . import store
from .counter import Counter
from .week import iso_week

METRIC, LABEL = "bench", "increment"


def hammer(url: str, count: int, through_counter: bool = False, start: Any = None) -> None:
    """Add `count` to one counter: one UPSERT transaction each, or through a Counter (batched).

    `start`, a multiprocessing barrier, lines the processes up once their imports are done.
    """
    week = iso_week()
    if through_counter:
        counter = Counter(url)
        counter.engine()
        if start is not None:
            start.wait()
        for _ in range(count):
            counter.record([(METRIC, LABEL)])
        counter.close(120.0)
        return
    engine = store.make_engine(url)
    store.create_schema(engine, url)
    if start is not None:
        start.wait()
    for _ in range(count):
        store.add_weekly(engine, {(week, METRIC, LABEL): 1})
    engine.dispose()


def concurrent(url: str, processes: int = 4, each: int = 500, through_counter: bool = False) -> tuple[int, float]:
    """Run `processes` hammers at once; return the counter's final value and the seconds they took.

    The time runs from the moment all processes are ready (imports done) until the last one ends.
    """
    engine = store.make_engine(url)
    store.create_schema(engine, url)
    context = multiprocessing.get_context("spawn")  # no fork of a process that has threads
    start = context.Barrier(processes + 1)
    workers = [context.Process(target=hammer, args=(url, each, through_counter, start)) for _ in range(processes)]
    for w in workers:
        w.start()
    start.wait(120)
    started = time.perf_counter()
    for w in workers:
        w.join(300)
    elapsed = time.perf_counter() - started
    rows = store.read_weekly(engine, [iso_week()])
    engine.dispose()
    return sum(n for _, m, label, n in rows if (m, label) == (METRIC, LABEL)), elapsed


def webhook_latency(rounds: int, database_url: str) -> tuple[list[float], list[float]]:
    """Seconds per signed webhook (a call's first four answers), counting on and off, interleaved.

    With a dead `database_url` it shows that a database fault adds nothing either.
    """
    from ..app import create_app
    from ..security import sign

    token, base = "bench-token", "https://bench.invalid"
    common = {"TWILIO_AUTH_TOKEN": token, "PUBLIC_BASE_URL": base, "IVR_AUDIO_DIR": tempfile.mkdtemp()}
    apps = {
        "on": create_app({**common, "IVR_DATABASE_URL": database_url}),
        "off": create_app({**common, "IVR_COUNTS": "off"}),
    }
    params = {"CallSid": "CA" + "0" * 32, "From": "+4700000000", "To": "+4721000000", "FromCountry": "NO"}
    steps = [("/voice", {}), ("/voice/languages/key", {"Digits": "2"}), ("/voice/en/main/key", {"Digits": "4"}),
             ("/voice/en/help/key", {"Digits": "2"})]
    times: dict[str, list[float]] = {"on": [], "off": []}
    clients = {k: a.test_client() for k, a in apps.items()}
    for _ in range(rounds):
        for mode in ("on", "off"):
            for path, extra in steps:
                data = {**params, **extra}
                headers = {"X-Twilio-Signature": sign(token, base + path, data)}
                started = time.perf_counter()
                response = clients[mode].post(path, data=data, headers=headers)
                times[mode].append(time.perf_counter() - started)
                assert response.status_code == 200
    apps["on"].extensions["counts"].flush(30.0)
    return times["on"], times["off"]


def p99(times: list[float]) -> float:
    return sorted(times)[max(int(len(times) * 0.99) - 1, 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="also measure against this PostgreSQL URL (an empty test database)")
    parser.add_argument("--rounds", type=int, default=300, help="calls per mode for the latency figure")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--each", type=int, default=500)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ivr-counts-bench-"))
    on, off = webhook_latency(args.rounds, f"sqlite:///{folder / 'latency.sqlite'}")
    m_on, m_off = statistics.median(on), statistics.median(off)
    print(f"webhook, counting on (SQLite): median {m_on * 1e3:.3f} ms, p99 {p99(on) * 1e3:.3f} ms, n={len(on)}")
    print(f"webhook, counting off:         median {m_off * 1e3:.3f} ms, p99 {p99(off) * 1e3:.3f} ms, n={len(off)}")
    print(f"ratio on/off (medians): {m_on / m_off:.3f}")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    dead_on, dead_off = webhook_latency(args.rounds, f"postgresql://ivr@127.0.0.1:{dead_port}/gone")
    print(
        f"webhook, counting on (PostgreSQL refusing connections): median {statistics.median(dead_on) * 1e3:.3f} ms "
        f"vs off {statistics.median(dead_off) * 1e3:.3f} ms: ratio {statistics.median(dead_on) / statistics.median(dead_off):.3f}"
    )
    counter = Counter(f"sqlite:///{folder / 'record.sqlite'}")
    calls = 100_000
    started = time.perf_counter()
    for _ in range(calls):
        counter.record([("call", "started"), ("language", "nb")])
    spent = time.perf_counter() - started
    counter.close(60.0)
    written = sum(n for _, m, _, n in store.read_weekly(counter.engine(), [iso_week()]) if m == "call")
    print(f"Counter.record() on the call path: {spent / calls * 1e6:.2f} µs per call (n={calls}, "
          f"flooded as fast as one thread can: {written} written, {calls - written} dropped by the full queue)")
    counter.close()
    # A sustained rate far above a real line's (a webhook every few seconds per call in progress).
    counter, rate, calls = Counter(f"sqlite:///{folder / 'sustained.sqlite'}"), 2_000, 10_000
    started = time.perf_counter()
    for n in range(calls):
        counter.record([("call", "started"), ("language", "nb")])
        pause = started + (n + 1) / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    counter.close(60.0)
    written = sum(n for _, m, _, n in store.read_weekly(counter.engine(), [iso_week()]) if m == "call")
    print(f"Counter.record() at a steady {rate}/s for {calls / rate:.0f} s: {written} written, {calls - written} dropped")
    counter.close()
    targets = [("SQLite", f"sqlite:///{folder / 'concurrent.sqlite'}")]
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    expected = args.processes * args.each
    for name, url in targets:
        for through in (False, True):
            engine = store.make_engine(url)
            store.create_schema(engine, url)
            with engine.begin() as connection:
                connection.execute(store.weekly.delete().where(store.weekly.c.metric == METRIC))
            engine.dispose()
            total, seconds = concurrent(url, args.processes, args.each, through)
            how = "through Counter.record (batched)" if through else "one UPSERT transaction each"
            print(
                f"{name}, {args.processes} processes x {args.each} increments, {how}: "
                f"{total}/{expected} counted, lost {expected - total}, {seconds:.2f} s "
                f"({expected / seconds:.0f} increments/s)"
            )


if __name__ == "__main__":
    main()
