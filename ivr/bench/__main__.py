"""`python -m ivr.bench`: start the Procfile's server on 127.0.0.1, load it, break it, print figures.

Bounded: each run lasts --seconds (default 10) and at most --most requests; the server is
started and stopped by this script alone, by its own process group.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from . import procfile
from .clients import PUBLIC, TOKEN, call_states, post
from .load import huge_body, kill_a_worker, load, slow_clients


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ivr.bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run (default 10)")
    parser.add_argument("--threads", type=int, default=16, help="concurrent callers under load (default 16)")
    parser.add_argument("--most", type=int, default=20_000, help="at most this many requests per run")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY for the server (default 2)")
    parser.add_argument("--states", type=int, default=400, help="at most this many call states (default 400)")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 120 or not 0 < args.threads <= 256 or not 0 < args.workers <= 16 or args.states < 1:
        parser.error("keep it bounded: 0 < --seconds <= 120, 0 < --threads <= 256, 0 < --workers <= 16, --states >= 1")

    started = time.monotonic()
    hooks = call_states(args.states)
    settings = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC, "WEB_CONCURRENCY": str(args.workers)}
    extra = os.environ.get("GUNICORN_CMD_ARGS")
    if extra:
        settings["GUNICORN_CMD_ARGS"] = extra  # e.g. "--worker-class sync --threads 1" to compare
    # The server's other knobs, passed through (and where its counts go).
    for name in ("WEB_THREADS", "WEB_REQUEST_DEADLINE", "IVR_DATABASE_URL", "IVR_COUNTS"):
        if os.environ.get(name):
            settings[name] = os.environ[name]
    print(f"server: the Procfile's web: line on 127.0.0.1, WEB_CONCURRENCY={args.workers}"
          + (f", GUNICORN_CMD_ARGS={extra!r}" if extra else ""))
    print(f"states: {len(hooks)} signed webhooks over the call's states; {args.threads} callers; "
          f"{args.seconds:.0f} s a run; cpus={os.cpu_count()}")
    with procfile.running(settings) as (port, process):
        for hook in hooks[:50]:  # warm every worker's caches
            post(port, hook)
        print(load(port, hooks, args.seconds, args.threads, args.most).line(), flush=True)
        print(kill_a_worker(port, process.pid, hooks, args.seconds, args.threads, args.most).line(), flush=True)
        procfile.wait_until_listening(process, port)
        time.sleep(1.0)  # the replacement worker has booted
        print(slow_clients(port, hooks, each=4 * args.workers, seconds=min(args.seconds, 10)).line(), flush=True)
        # More slow clients than the server has threads: how long a signed request then waits.
        threads = int(os.environ.get("WEB_THREADS") or 32)
        beyond = (args.workers * threads) // 2 + 4
        print(slow_clients(port, hooks, each=beyond, seconds=min(args.seconds, 10), name="beyond-threads",
                           silent=False).line(), flush=True)
        print(huge_body(port, process.pid).line(), flush=True)
    print(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
