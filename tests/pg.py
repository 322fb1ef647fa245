"""A real PostgreSQL for the counting tests: IVR_TEST_POSTGRES_URL, or a throwaway local cluster.

Without either, PostgreSQL tests skip with the reason; under CI (CI=true) they fail instead,
so a CI run can never pass without having tested PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ivr.counts.store import engine_url

PG_ENV = "IVR_TEST_POSTGRES_URL"
NO_POSTGRES = (
    f"no PostgreSQL: set {PG_ENV}=postgresql://user@127.0.0.1:port/db, or install PostgreSQL's binaries "
    "(apt-get install postgresql) for a throwaway local cluster; .ci/run does the latter"
)


def pg_bin() -> Path | None:
    """The folder of PostgreSQL's server binaries (initdb, pg_ctl), if installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(args: list[str]) -> list[str]:
    """initdb refuses to run as root: run PostgreSQL as its own user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    """A PostgreSQL server URL for the session, or None when there is none to be had."""
    url = os.environ.get(PG_ENV)
    if url:
        yield url
        return
    binaries = pg_bin()
    if binaries is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        yield None
        return
    home = Path(tempfile.mkdtemp(prefix="ivr-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    port = free_port()
    data = home / "data"
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            _as_owner([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "ivr", "--no-sync"]),
            check=True, capture_output=True, timeout=120,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {home} -c fsync=off"
        subprocess.run(
            _as_owner([*pg_ctl, "-o", options, "-l", str(home / "log"), "-w", "-t", "60", "start"]),
            check=True, capture_output=True, timeout=90,
        )
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(home, ignore_errors=True)
        yield None
        return
    try:
        yield f"postgresql://ivr@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([*pg_ctl, "-m", "immediate", "-w", "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


def require(server: str | None) -> str:
    """The server URL, or skip (fail under CI) naming what is missing."""
    if server is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"CI=true but {NO_POSTGRES}")
        pytest.skip(NO_POSTGRES)
    return server


@pytest.fixture
def postgres_url(postgres_server: str | None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped after it."""
    server = require(postgres_server)
    admin = create_engine(engine_url(server), isolation_level="AUTOCOMMIT")
    name = "ivr_test_" + secrets.token_hex(4)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each counting test runs against a SQLite file and against PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'counts.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))
