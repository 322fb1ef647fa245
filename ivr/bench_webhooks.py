"""Benchmark: the webhooks against a bare Flask app returning the same bytes.

    python -m ivr.bench_webhooks [--seconds 10] [--connections 32] [--workers 2]

Both run under gunicorn with the same workers on 127.0.0.1; the load is signed POSTs as Twilio
sends them (a mix of a call's steps), from wrk when it is installed (apt-get install wrk),
else from a Python load generator. Prints requests a second and latency percentiles of each,
and the ratio. A script that prints figures: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, request

from .bench import procfile
from .security import sign

TOKEN = "bench-token-0123456789abcdef"
# As in production: the public URL set (signatures are checked against it alone).
BASE_ENV = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": "{base}"}
HELPLINE = "+4721000000"
# One call's steps: the greeting, a language, a topic, a message, back, silence, ROSA, no answer.
STEPS = [
    ("/voice", {}),
    ("/voice/languages/key", {"Digits": "2"}),
    ("/voice/en/main/key", {"Digits": "4"}),
    ("/voice/en/help/key", {"Digits": "3"}),
    ("/voice/en/help_housing/key", {"Digits": "*"}),
    ("/voice/en/help?s=1", {}),
    ("/voice/en/main/key", {"Digits": "0"}),
    ("/voice/en/connect/rosa/done", {"DialCallStatus": "no-answer"}),
]


def params(extra: dict[str, str]) -> dict[str, str]:
    return {
        "CallSid": "CA" + "0" * 32, "AccountSid": "AC" + "0" * 32, "From": "+4798765432", "To": HELPLINE,
        "FromCountry": "NO", "Direction": "inbound", "CallStatus": "in-progress", **extra,
    }


def signed_requests(base: str) -> list[tuple[str, str, str]]:
    """(path, body, signature) for each step, signed for `base` as Twilio signs."""
    found = []
    for path, extra in STEPS:
        data = params(extra)
        found.append((path, urlencode(data), sign(TOKEN, base + path, data)))
    return found


def baseline() -> Flask:
    """A bare Flask app answering each step's path with the bytes the line answers (BENCH_ANSWERS)."""
    answers: dict[str, bytes] = {k: v.encode() for k, v in json.loads(os.environ["BENCH_ANSWERS"]).items()}
    app = Flask("baseline")

    @app.route("/<path:rest>", methods=["POST"])
    def answer(rest: str) -> Response:
        return Response(answers[request.full_path.rstrip("?")], mimetype="text/xml")

    return app


@contextmanager
def gunicorn(app: str, workers: int, env: dict[str, str]) -> Iterator[str]:
    """Serve `app` (module:callable) on 127.0.0.1 until the block ends; yields its base URL."""
    port = procfile.free_port()
    env = {key: value.replace("{base}", f"http://127.0.0.1:{port}") for key, value in env.items()}
    command = [sys.executable, "-m", "gunicorn", "--config", "python:ivr.gunicorn_conf",
               "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--log-level", "warning", app]
    process = procfile.launch(command, {**os.environ, **env})
    try:
        procfile.wait_until_listening(process, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        procfile.stop(process)


def answers_of(base: str, requests: list[tuple[str, str, str]]) -> dict[str, str]:
    """What the line answers to each step (for the baseline to return the same bytes)."""
    host, port = base.removeprefix("http://").split(":")
    found = {}
    for path, body, signature in requests:
        conn = HTTPConnection(host, int(port), timeout=10)
        conn.request("POST", path, body, {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        found[path] = data.decode()
        conn.close()
    return found


WRK_SCRIPT = """
local requests = %s
local i = 0
request = function()
  i = i %% #requests + 1
  local r = requests[i]
  return wrk.format("POST", r[1], {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["X-Twilio-Signature"] = r[3]}, r[2])
end
"""


def load_wrk(base: str, requests: list[tuple[str, str, str]], seconds: int, connections: int) -> dict[str, float]:
    table = "{" + ",".join("{" + ",".join(json.dumps(x) for x in r) + "}" for r in requests) + "}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % table)
    try:
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", f.name, base],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        Path(f.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    figures = {"rps": rps}
    for pct in ("50", "90", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out)
        if m:
            figures[f"p{pct}"] = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = float(errors.group(1)) if errors else 0.0
    return figures


def load_python(base: str, requests: list[tuple[str, str, str]], seconds: int, connections: int) -> dict[str, float]:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(offset: int) -> None:
        conn = HTTPConnection(host, int(port), timeout=10)
        mine, i = [], offset
        while time.monotonic() < stop:
            path, body, signature = requests[i % len(requests)]
            i += 1
            began = time.perf_counter()
            conn.request("POST", path, body, {"X-Twilio-Signature": signature,
                                              "Content-Type": "application/x-www-form-urlencoded"})
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - began) * 1000)
            if response.status != 200:
                errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))]

    return {"rps": len(latencies) / seconds, "p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "errors": float(errors[0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="Alternate the two this many times (a busy machine drifts).")
    args = parser.parse_args()
    load = load_wrk if shutil.which("wrk") else load_python
    print(f"signed POSTs, {len(STEPS)} steps of a call in turn; gunicorn --workers {args.workers} (ivr/gunicorn_conf.py); "
          f"{args.connections} connections for {args.seconds} s; load from {'wrk' if load is load_wrk else 'Python'}")
    print(f"{'':<34} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7}")
    ratios = []
    with gunicorn("ivr:create_app()", args.workers, BASE_ENV) as line_base:
        line_requests = signed_requests(line_base)
        answers = answers_of(line_base, line_requests)
        with gunicorn("ivr.bench_webhooks:baseline()", args.workers, {"BENCH_ANSWERS": json.dumps(answers)}) as flask_base:
            flask_requests = signed_requests(flask_base)
            for n in range(1, args.rounds + 1):
                line = load(line_base, line_requests, args.seconds, args.connections)
                flask = load(flask_base, flask_requests, args.seconds, args.connections)
                for r, label in ((line, "the line (signature + cache)"), (flask, "Flask returning the same bytes")):
                    print(f"{label + f' #{n}':<34} {r['rps']:>8.0f} {r.get('p50', 0):>8.1f} {r.get('p90', 0):>8.1f} "
                          f"{r.get('p99', 0):>8.1f} {r['errors']:>7.0f}")
                ratios.append(line["rps"] / flask["rps"])
    ratios.sort()
    print(f"ratio: {', '.join(f'{r:.2f}' for r in ratios)}; median {ratios[len(ratios) // 2]:.2f}x the bare Flask app")


if __name__ == "__main__":
    main()
