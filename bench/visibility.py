"""Visibility: seconds from a report's 202 to the read API showing it, through the whole stack
(`python -m aggregator run`: gunicorn, one RQ worker, the scheduler, embedded Redis). Target: p99 < 2 s."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

from . import stack

TRICKLE = 100
"""Reports sent one at a time, each waited for: the worst case, every report needs a drain of its own."""

BURST = 2000


def _request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body, headers or {})
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def _total(conn) -> int:
    return _request(conn, "GET", "/api/v1/services/claude/summary?window=1h")[1]["total"]


def main() -> None:
    port = stack.free_port()
    with tempfile.TemporaryDirectory() as directory:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS")}
        # The waits poll the summary as fast as it answers, from one address.
        env.update(RADAR_VAR_DIR=directory, PORT=str(port), RADAR_DEMO_DATA="0", RADAR_READ_RATE_LIMIT="")
        with stack.process([sys.executable, "-m", "aggregator", "run"], env, port, "/healthz"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            latencies = []
            for n in range(TRICKLE):
                before = _total(conn)
                status, _ = _request(conn, "POST", "/api/v1/reports", json.dumps(
                    {"service": "claude", "surface": "website"}), {"Content-Type": "application/json",
                                                                    "User-Agent": f"bench-visibility-{n}",
                                                                    "X-Forwarded-For": f"198.18.0.{n + 1}"})
                assert status == 202
                accepted = time.perf_counter()
                while _total(conn) <= before:
                    time.sleep(0.002)
                latencies.append(time.perf_counter() - accepted)
            print(f"visibility, one report at a time ({TRICKLE}): p50 {stack.percentile(latencies, 50) * 1000:.0f} ms, "
                  f"p99 {stack.percentile(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
                  f"(target p99 < 2000 ms)")
            sim = subprocess.run([sys.executable, "-m", "aggregator", "simulate", "--url",
                                  f"http://127.0.0.1:{port}", "--count", str(BURST), "--rate", "2000",
                                  "--concurrency", "16"], env=env, capture_output=True, text=True, timeout=300)
            print("visibility, burst: " + " / ".join(sim.stdout.strip().splitlines()))


if __name__ == "__main__":
    main()
