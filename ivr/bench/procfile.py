"""Start the Procfile's `web:` command for real, bound to 127.0.0.1, and stop it by its own pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def web_command(root: Path = ROOT) -> list[str]:
    """The Procfile's `web:` line, with its bind address moved from 0.0.0.0 to loopback."""
    line = next(
        (raw for raw in (root / "Procfile").read_text(encoding="utf-8").splitlines() if raw.startswith("web: ")),
        None,
    )
    if line is None or "0.0.0.0:$PORT" not in line:
        raise RuntimeError("the Procfile has no `web:` line binding 0.0.0.0:$PORT")
    command = line.removeprefix("web: ").replace("0.0.0.0:$PORT", "127.0.0.1:$PORT")
    return ["sh", "-c", "exec " + command]  # exec: the pid we hold is gunicorn's master


def server_env(port: int, settings: Mapping[str, str]) -> dict[str, str]:
    """This environment without the developer's line settings, plus `settings` and PORT."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IVR_", "TWILIO_", "GUNICORN_"))}
    env.pop("PUBLIC_BASE_URL", None)
    env.pop("WEB_CONCURRENCY", None)
    bindir = str(Path(sys.executable).parent)
    return {**env, "PATH": f"{bindir}:{env.get('PATH', '')}", "PORT": str(port), **settings}


def start(port: int, settings: Mapping[str, str], root: Path = ROOT) -> subprocess.Popen[str]:
    """Start the Procfile's server in its own process group; `output(process)` is what it has printed."""
    return launch(web_command(root), server_env(port, settings), root)


def launch(command: list[str], env: Mapping[str, str], cwd: Path = ROOT) -> subprocess.Popen[str]:
    """Start a server in its own process group, for `wait_until_listening`, `output` and `stop`.

    Its output goes to a temporary file, not a pipe: under load a full pipe would stall the server.
    """
    log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", prefix="ivr-server-")  # noqa: SIM115 - closed by stop()
    process = subprocess.Popen(
        command, cwd=cwd, env=dict(env), start_new_session=True, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    _logs[process.pid] = log
    return process


_logs: dict[int, IO[str]] = {}


def output(process: subprocess.Popen[str]) -> str:
    """Everything the server has printed so far."""
    log = _logs[process.pid]
    log.flush()
    log.seek(0)
    return log.read()


def wait_until_listening(process: subprocess.Popen[str], port: int, timeout: float = 60) -> None:
    """Return once the port accepts connections; raise if the server exits or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{output(process)[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not listen on {port} within {timeout:.0f} s") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen[str], timeout: float = 15) -> str:
    """Stop the server (SIGTERM to its own group, then SIGKILL) and return what it printed."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    printed = output(process)
    _logs.pop(process.pid).close()
    return printed


@contextmanager
def running(settings: Mapping[str, str], port: int | None = None) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """The Procfile's server, listening on 127.0.0.1, for the duration of the block."""
    port = port or free_port()
    process = start(port, settings)
    try:
        wait_until_listening(process, port)
        yield port, process
    finally:
        stop(process)


def workers(master: int) -> list[int]:
    """The worker pids of a gunicorn master, from /proc (Linux)."""
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


def peak_memory_kib(pid: int) -> int:
    """A process's peak resident memory (VmHWM) in KiB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for {pid}")
