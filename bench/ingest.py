"""Ingest: POST /api/v1/reports requests/s and latency under the production server, loaded by wrk, beside a
bare Flask app that parses the same JSON and does one XADD under the same gunicorn settings. Target ≥ 0.8."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from aggregator.embedded import start

from . import stack

SECONDS = 15
CONNECTIONS = stack.WEB_WORKERS * stack.THREADS
"""One connection a thread: more would only queue (and be shed past RADAR_SHED_AFTER_MS)."""
SCRIPT = Path(__file__).with_name("ingest.lua")


def wrk(port: int, seconds: int = SECONDS, connections: int = CONNECTIONS, env: dict | None = None) -> dict:
    """wrk's summary of one closed-loop run of ingest.lua (single reports; batches when env says so)."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
                          "-s", str(SCRIPT), f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True,
                          env=env)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    summary["rate"] = summary["accepted"] / summary["seconds"]
    return summary


def _line(name: str, s: dict) -> str:
    return (f"{name}: {s['rate']:,.0f} reports/s accepted (202), p50 {s['p50_us'] / 1000:.1f} ms, p99 {s['p99_us'] / 1000:.1f} ms,"
            f" {s['requests'] - s['accepted']} answered otherwise, {s['errors']} socket errors or non-2xx")


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench ingest needs wrk (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory), persist=False)
        try:
            env = {**os.environ, "REDIS_URL": server.url, "REDIS_DATA_URL": server.url,
                   "TRUSTED_PROXIES": "127.0.0.1", "PYTHONPATH": str(Path(__file__).parent.parent)}
            port = stack.free_port()
            with stack.gunicorn("bench.bare:app", port, env):
                wrk(port, 3)
                baseline = wrk(port)
            port = stack.free_port()
            with stack.radar_web(port, env):
                wrk(port, 3)
                project = wrk(port)
        finally:
            server.stop()
    print(_line("ingest baseline (bare Flask, one XADD)", baseline))
    print(_line("ingest project", project))
    print(f"ingest ratio project ÷ baseline: {project['rate'] / baseline['rate']:.2f} (target ≥ 0.8); "
          f"gunicorn gthread, {stack.WEB_WORKERS} workers × {stack.THREADS} threads, wrk 1 thread "
          f"{CONNECTIONS} connections {SECONDS} s, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
