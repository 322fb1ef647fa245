"""Counts without identity: what a call counts, in SQLite and PostgreSQL; nothing lost, nothing delayed."""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect

from ivr.counts import bench, store
from ivr.counts.counter import Counter
from ivr.counts.week import iso_week
from ivr.simulator import Simulator

from .conftest import CALLER, Twilio, dial, gather, redirect
from .pg import free_port

LEGEVAKT = "+4721000001"  # a test number for the legevakt service, so its transfer can be dialled
Step = tuple[str, str]  # ("key", digits) | ("silence", "") | ("dial", DialCallStatus)


def walk(twilio: Twilio, steps: list[Step]) -> None:
    """One call as Twilio makes it: follow the TwiML's own URLs, key by key."""
    root = twilio.twiml("/voice")
    for what, value in steps:
        if what == "key":
            root = twilio.twiml(gather(root).get("action", ""), Digits=value)
        elif what == "silence":
            root = twilio.twiml(redirect(root))
        else:
            found = dial(root)
            assert found is not None, "expected a transfer"
            root = twilio.twiml(found.get("action", ""), DialCallStatus=value, DialCallDuration="30")


CALLS: list[list[Step]] = [
    # English; help → health care → its legevakt transfer, unanswered; back, repeat, a wrong key; ROSA answers.
    [("key", "2"), ("key", "4"), ("key", "2"), ("key", "1"), ("dial", "no-answer"), ("key", "*"),
     ("key", "#"), ("key", "9"), ("key", "0"), ("dial", "completed")],
    # Norwegian; "talk to someone" (a transfer node); ROSA busy; silence until the line says goodbye.
    [("key", "1"), ("key", "2"), ("dial", "busy"), ("silence", ""), ("silence", "")],
    # Silence in the language menu until the line puts the caller through to ROSA, who does not answer.
    [("silence", ""), ("silence", ""), ("dial", "no-answer")],
]
EXPECTED = {
    ("call", "started"): 3,
    ("language", "en"): 1, ("language", "nb"): 1,
    ("topic", "help"): 1, ("topic", "help_health"): 1, ("topic", "rosa"): 1,  # back (*) to help is no topic
    ("transfer", "legevakt"): 1, ("transfer", "rosa"): 3,
    ("transfer_end", "legevakt:no-answer"): 1, ("transfer_end", "rosa:answered"): 1,
    ("transfer_end", "rosa:busy"): 1, ("transfer_end", "rosa:no-answer"): 1,
    ("silent", "retry"): 1, ("silent", "languages"): 1,
    ("ended", "transfer"): 1, ("ended", "retry"): 1,
}


def counted(app: Flask) -> dict[tuple[str, str], int]:
    counter: Counter = app.extensions["counts"]
    assert counter.flush(30.0), "the writer did not finish"
    rows = store.read_weekly(counter.engine(), [iso_week()])
    return {(metric, label): n for _, metric, label, n in rows}


@pytest.fixture
def line(make_app: Callable[..., Flask], database_url: str) -> Flask:
    return make_app(IVR_DATABASE_URL=database_url, IVR_DIAL_LEGEVAKT=LEGEVAKT)


def test_a_walk_of_calls_counts_exactly_this_in_the_week(line: Flask) -> None:
    for steps in CALLS:
        walk(Twilio(line), steps)
    assert counted(line) == EXPECTED


def test_simulated_calls_are_not_counted(line: Flask) -> None:
    sim = Simulator(line)
    turn = sim.press(sim.start(), "2")
    sim.keys(turn)  # presses every key
    sim.dial_ended(sim.press(turn, "0"), "completed")
    walk(Twilio(line), [("key", "1")])  # one real call, for contrast
    assert counted(line) == {("call", "started"): 1, ("language", "nb"): 1}


def test_a_smoke_walk_of_a_deployed_line_is_not_counted(line: Flask) -> None:
    walk(Twilio(line), [("key", "1")])  # one real call: its answers are now cached
    smoke = Twilio(line)
    smoke.client.environ_base["HTTP_X_IVR_SMOKE"] = "1"  # what `ivr smoke` sends
    walk(smoke, [("key", "1"), ("key", "2")])  # cached answers and fresh ones alike
    assert counted(line) == {("call", "started"): 1, ("language", "nb"): 1}


def test_repeats_and_wrong_keys_count_no_topic(line: Flask) -> None:
    walk(Twilio(line), [("key", "2"), ("key", "#"), ("key", "9"), ("key", "8"), ("key", "3"), ("silence", "")])
    assert counted(line) == {("call", "started"): 1, ("language", "en"): 1, ("topic", "trafficking"): 1}


def test_the_tables_hold_counts_and_nothing_else(line: Flask, database_url: str, tmp_path: Path) -> None:
    twilio = Twilio(line)
    twilio.call.update(FromCity="DRAMMEN", FromZip="3015")
    walk(twilio, CALLS[0])
    counted(line)
    columns = {t: [c["name"] for c in inspect(line.extensions["counts"].engine()).get_columns(t)]
               for t in ("weekly_counts", "alert_counts")}
    assert columns == {
        "weekly_counts": ["week", "metric", "label", "count"],
        "alert_counts": ["day", "code", "level", "path", "message", "count"],
    }
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (CALLER[3:], twilio.call["CallSid"], "DRAMMEN", "3015"):
                assert secret.encode() not in data, path


def test_increments_are_upserts_that_add_up(database_url: str) -> None:
    engine = store.make_engine(database_url)
    store.create_schema(engine, database_url)
    store.create_schema(engine, database_url)  # a second start finds the tables
    store.add_weekly(engine, {("2026-W49", "call", "started"): 2})
    store.add_weekly(engine, {("2026-W49", "call", "started"): 3, ("2026-W50", "call", "started"): 1})
    assert sorted(store.read_weekly(engine, ["2026-W49", "2026-W50"])) == [
        ("2026-W49", "call", "started", 5), ("2026-W50", "call", "started", 1),
    ]
    engine.dispose()


@pytest.mark.slow  # real processes: `pytest -m 'not slow'` leaves it out
@pytest.mark.parametrize("through_counter", [False, True], ids=["one-upsert-each", "counter"])
def test_concurrent_increments_from_four_processes_lose_none(database_url: str, through_counter: bool) -> None:
    total, _ = bench.concurrent(database_url, processes=4, each=500, through_counter=through_counter)
    assert total == 2000


def test_counting_off_opens_no_database(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app(IVR_COUNTS="off", IVR_DATABASE_URL=f"sqlite:///{tmp_path / 'never.sqlite'}", IVR_DIAL_LEGEVAKT=LEGEVAKT)
    walk(Twilio(app), CALLS[0])
    assert app.extensions["counts"].flush(5.0)
    assert not (tmp_path / "never.sqlite").exists()


def test_a_bad_counts_setting_is_refused_without_echoing_the_url(make_app: Callable[..., Flask]) -> None:
    from ivr.errors import ConfigError

    with pytest.raises(ConfigError, match="IVR_COUNTS") as refused:
        make_app(IVR_COUNTS="sometimes")
    with pytest.raises(ConfigError, match="IVR_DATABASE_URL") as refused:
        make_app(IVR_DATABASE_URL="mysql://user:s3cret@db/counts")
    assert "s3cret" not in str(refused.value)


def test_postgres_urls_go_through_psycopg_3() -> None:
    assert store.engine_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert store.engine_url("postgresql://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert store.engine_url("sqlite:////x/counts.sqlite") == "sqlite:////x/counts.sqlite"


# A dead database: every webhook still answers TwiML, without waiting -------------------------


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung database server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    for s in held:
        s.close()
    server.close()


def every_answer_is_prompt(app: Flask, budget: float) -> float:
    """Walk all the calls; every answer must be TwiML, and the whole walk faster than `budget` seconds."""
    started = time.perf_counter()
    for steps in CALLS:
        walk(Twilio(app), steps)
    elapsed = time.perf_counter() - started
    # The writer waits store.CONNECT_TIMEOUT (3 s) or SQLite's busy timeout (5 s) per attempt;
    # ~25 webhooks in under that budget means not one of them waited for the database.
    assert elapsed < budget, f"the walk took {elapsed:.2f} s"
    return elapsed


@pytest.mark.slow  # real processes: `pytest -m 'not slow'` leaves it out
@pytest.mark.parametrize("dead", ["refused", "hung"])
def test_an_unreachable_postgres_leaves_every_webhook_answering(
    make_app: Callable[..., Flask], black_hole: int, dead: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port() if dead == "refused" else black_hole
    app = make_app(IVR_DATABASE_URL=f"postgresql://ivr:pw@127.0.0.1:{port}/counts", IVR_DIAL_LEGEVAKT=LEGEVAKT)
    every_answer_is_prompt(app, budget=store.CONNECT_TIMEOUT)
    health = app.test_client().get("/healthz")
    assert health.status_code == 200 and health.get_json()["database"] is False


def test_a_locked_sqlite_file_leaves_every_webhook_answering(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite"
    url = f"sqlite:///{path}"
    store.create_schema(store.make_engine(url), url)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # nobody else may write (or, outside WAL, read)
    try:
        app = make_app(IVR_DATABASE_URL=url, IVR_DIAL_LEGEVAKT=LEGEVAKT)
        every_answer_is_prompt(app, budget=store.SQLITE_BUSY_TIMEOUT)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_read_only_sqlite_file_drops_counts_and_says_so_once(
    make_app: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "read-only.sqlite"
    store.create_schema(store.make_engine(f"sqlite:///{path}"), f"sqlite:///{path}")
    caplog.set_level(logging.WARNING, logger="ivr.counts")
    app = make_app(IVR_DATABASE_URL=f"sqlite:///file:{path}?mode=ro&uri=true", IVR_DIAL_LEGEVAKT=LEGEVAKT)
    counter: Counter = app.extensions["counts"]
    for steps in CALLS:  # each webhook's counts written (and refused) on their own
        walk(Twilio(app), steps)
        assert counter.flush(30.0)
    every_answer_is_prompt(app, budget=store.SQLITE_BUSY_TIMEOUT)
    assert counter.flush(30.0)
    reports = [r.getMessage() for r in caplog.records if "counts not written" in r.getMessage()]
    assert len(reports) == 1, reports  # at most once a minute, however many were dropped
    assert "OperationalError" in reports[0]
    assert store.read_weekly(store.make_engine(f"sqlite:///{path}"), [iso_week()]) == []


def test_a_full_queue_drops_counts_without_waiting(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.counts import counter as module

    monkeypatch.setattr(module, "QUEUE_SIZE", 10)
    counter = Counter(f"sqlite:///{tmp_path / 'c.sqlite'}")
    gate = threading.Event()
    monkeypatch.setattr(counter, "_write", lambda items: gate.wait(10))  # a writer stuck on the database
    caplog.set_level(logging.WARNING, logger="ivr.counts")
    started = time.perf_counter()
    for _ in range(1000):
        counter.record([("call", "started")])
    assert time.perf_counter() - started < 2.0  # nothing waited for the stuck writer
    gate.set()
    assert counter.flush(10.0)
    assert [r.getMessage() for r in caplog.records if "queue is full" in r.getMessage()]


def test_record_never_raises_and_ignores_what_is_not_a_tally(tmp_path: Path) -> None:
    counter = Counter(f"sqlite:///{tmp_path / 'c.sqlite'}")
    counter.record([("call", "started"), ("x" * 40, "too long a metric"), (None, "x"), ("topic", "")])  # type: ignore[list-item]
    counter.record(None)  # type: ignore[arg-type]
    counter.record([("call",)])  # type: ignore[list-item]
    assert counter.flush(10.0)
    assert store.read_weekly(counter.engine(), [iso_week()]) == [(iso_week(), "call", "started", 1)]


def test_drops_are_reported_at_most_once_a_minute_and_none_is_forgotten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ivr.counts import counter as module

    monkeypatch.setattr(module, "LOG_EVERY", 0.5)  # "a minute", shortened for the test
    path = tmp_path / "ro.sqlite"
    store.create_schema(store.make_engine(f"sqlite:///{path}"), f"sqlite:///{path}")
    counter = Counter(f"sqlite:///file:{path}?mode=ro&uri=true", idle=0.2)
    caplog.set_level(logging.WARNING, logger="ivr.counts")

    def reports() -> list[str]:
        return [r.getMessage() for r in caplog.records if "counts not written" in r.getMessage()]

    counter.record([("call", "started")])
    assert counter.flush(10.0)
    for _ in range(3):  # within the same "minute": counted as dropped, not logged
        counter.record([("call", "started"), ("language", "nb")])
        assert counter.flush(10.0)
    assert reports() == [
        "counts not written (the database failed: OperationalError); 1 count(s) dropped since the last report"
    ]
    deadline = time.monotonic() + 10
    while len(reports()) < 2 and time.monotonic() < deadline:  # the idle writer reports the rest
        time.sleep(0.05)
    assert reports()[1:] == [
        "counts not written (the database failed: OperationalError); 6 count(s) dropped since the last report"
    ]
    counter.close()


# Under the production server: the Procfile's gunicorn, several workers and threads ----------------


@pytest.mark.slow  # real processes: `pytest -m 'not slow'` leaves it out
@pytest.mark.parametrize("preload", [False, True], ids=["fork-then-load", "preload"])
def test_the_procfile_server_counts_every_call_and_flushes_on_shutdown(
    database_url: str, tmp_path: Path, preload: bool
) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode
    from urllib.request import Request, urlopen

    from twilio.request_validator import RequestValidator

    from ivr.bench import procfile

    from .conftest import BASE, HELPLINE, TOKEN

    settings = {
        "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE, "IVR_DATABASE_URL": database_url,
        "IVR_AUDIO_DIR": str(tmp_path / "no-audio"), "WEB_CONCURRENCY": "3", "WEB_THREADS": "8",
        **({"GUNICORN_CMD_ARGS": "--preload"} if preload else {}),
    }

    def post(port: int, path: str, **extra: str) -> bytes:
        params = {"CallSid": "CA" + "3" * 32, "From": CALLER, "To": HELPLINE, "FromCountry": "NO", **extra}
        signature = RequestValidator(TOKEN).compute_signature(BASE + path, params)
        request = Request(f"http://127.0.0.1:{port}{path}", data=urlencode(params).encode(),
                          headers={"X-Twilio-Signature": signature})
        with urlopen(request, timeout=10) as response:
            return bytes(response.read())

    port = procfile.free_port()
    process = procfile.start(port, settings)
    try:
        procfile.wait_until_listening(process, port)
        with ThreadPoolExecutor(8) as pool:  # concurrent calls, spread over the workers' threads
            started = list(pool.map(lambda _: post(port, "/voice"), range(30)))
            chosen = list(pool.map(lambda _: post(port, "/voice/languages/key", Digits="2"), range(30)))
        assert all(b"<Gather" in answer for answer in started + chosen)
    finally:
        output = procfile.stop(process)  # SIGTERM: a graceful stop, as a platform does on deploy
    assert process.returncode == 0, output
    assert CALLER not in output and CALLER[3:] not in output
    engine = store.make_engine(database_url)
    counts = {(m, label): n for _, m, label, n in store.read_weekly(engine, [iso_week()])}
    engine.dispose()
    assert counts == {("call", "started"): 30, ("language", "en"): 30}, output


def test_without_postgresql_ci_fails_and_a_local_run_skips_naming_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from .pg import PG_ENV, require

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=f"CI=true but no PostgreSQL: set {PG_ENV}"):
        require(None)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"):
        require(None)
    assert require("postgresql://ivr@127.0.0.1:1/x") == "postgresql://ivr@127.0.0.1:1/x"
