"""Where the counts live: two tables of counters, written only by single UPSERTs.

`weekly_counts` holds (ISO week, metric, label) → count; `alert_counts` holds Twilio's
debugger alerts as (day, error code, level, URL path, short message) → count. Nothing in
either table can tie two counts to one call: no call SID, no number, no sequence, no time
finer than the week (calls) or the day (Twilio's own errors).

SQLite (one machine) and PostgreSQL (several instances) both do `INSERT … ON CONFLICT DO
UPDATE SET count = count + n`, which is atomic across processes and machines.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3  # seconds: only the background writer and the console ever wait on it
STATEMENT_TIMEOUT_MS = 5000  # PostgreSQL: a lock held elsewhere makes a write fail, not hang
SQLITE_BUSY_TIMEOUT = 5  # seconds the writer waits for another process's write lock

metadata = MetaData()
weekly = Table(
    "weekly_counts",
    metadata,
    Column("week", String(8), nullable=False),  # "2026-W49"
    Column("metric", String(32), nullable=False),
    Column("label", String(80), nullable=False),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("week", "metric", "label", name="weekly_counts_key"),
)
alerts = Table(
    "alert_counts",
    metadata,
    Column("day", String(10), nullable=False),  # "2026-12-01"
    Column("code", String(8), nullable=False),
    Column("level", String(10), nullable=False),
    Column("path", String(200), nullable=False),
    Column("message", String(200), nullable=False),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "code", "level", "path", "message", name="alert_counts_key"),
)
WEEKLY_KEY = ("week", "metric", "label")
ALERT_KEY = ("day", "code", "level", "path", "message")


def engine_url(url: str) -> str:
    """The URL SQLAlchemy should open: PostgreSQL always through psycopg 3 (`postgres://` too)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for PostgreSQL or an in-memory database."""
    parsed = make_url(engine_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database.removeprefix("file:"))


def make_engine(url: str) -> Engine:
    """An engine with short timeouts, so a dead or locked database fails fast instead of waiting."""
    full = engine_url(url)
    if make_url(full).get_backend_name() == "sqlite":
        engine = create_engine(full, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})

        @event.listens_for(engine, "connect")
        def _sqlite(dbapi_connection: Any, _record: object) -> None:
            try:  # WAL: readers (the console) never block the writer; fails harmlessly when read-only
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
                dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            except Exception:  # noqa: BLE001 - a read-only file still opens for reading
                pass

        return engine
    engine = create_engine(
        full,
        connect_args={"connect_timeout": CONNECT_TIMEOUT},
        pool_size=2,
        max_overflow=2,
        pool_pre_ping=True,
        pool_timeout=CONNECT_TIMEOUT,
    )

    @event.listens_for(engine, "connect")
    def _postgres(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        dbapi_connection.execute(f"SET lock_timeout = {STATEMENT_TIMEOUT_MS}")
        dbapi_connection.commit()

    return engine


def create_schema(engine: Engine, url: str) -> None:
    """Create the tables (and a SQLite file's folder) if they do not exist yet."""
    path = sqlite_path(url)
    if path is not None and "mode=ro" not in url:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        metadata.create_all(engine)
    except SQLAlchemyError:
        # Another process may have created them between the check and the CREATE (PostgreSQL).
        metadata.create_all(engine)


def _upsert(engine: Engine, table: Table, key: Sequence[str], rows: Mapping[Any, int]) -> None:
    """Add each row's n to its counter: one INSERT … ON CONFLICT DO UPDATE, in one transaction."""
    if not rows:
        return
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={"count": table.c["count"] + statement.excluded["count"]}
    )
    # Sorted, so two writers always take the rows' locks in the same order (no deadlock).
    values = [{**dict(zip(key, k, strict=True)), "count": n} for k, n in sorted(rows.items())]
    with engine.begin() as connection:
        connection.execute(statement, values)


def add_weekly(engine: Engine, rows: Mapping[tuple[str, ...], int]) -> None:
    """Add to weekly counters: {(week, metric, label): n}."""
    _upsert(engine, weekly, WEEKLY_KEY, rows)


def add_alerts(engine: Engine, rows: Mapping[tuple[str, ...], int]) -> None:
    """Add to alert counters: {(day, code, level, path, message): n}."""
    _upsert(engine, alerts, ALERT_KEY, rows)


def read_weekly(engine: Engine, weeks: Iterable[str]) -> list[tuple[str, str, str, int]]:
    """(week, metric, label, count) for these weeks."""
    wanted = list(weeks)
    query = select(weekly.c.week, weekly.c.metric, weekly.c.label, weekly.c["count"]).where(weekly.c.week.in_(wanted))
    with engine.connect() as connection:
        return [(r[0], r[1], r[2], int(r[3])) for r in connection.execute(query)]


def read_alerts(engine: Engine) -> list[tuple[str, str, str, str, str, int]]:
    """Every alert counter: (day, code, level, path, message, count), newest day first."""
    query = select(alerts.c.day, alerts.c.code, alerts.c.level, alerts.c.path, alerts.c.message, alerts.c["count"])
    with engine.connect() as connection:
        rows = [(r[0], r[1], r[2], r[3], r[4], int(r[5])) for r in connection.execute(query)]
    return sorted(rows, key=lambda r: r[0], reverse=True)


def ping(engine: Engine) -> None:
    """Raise unless the database answers and has its tables."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        connection.execute(select(func.count()).select_from(weekly))
