"""Freshness: seconds from a report's 202 to the read API counting it, at a steady 500 reports/s offered
open-loop to the whole stack (`python -m aggregator run`). Target: p99 ≤ 2 s."""
from __future__ import annotations

import bisect
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from aggregator.local_redis import start

from . import stack
from .load import open_loop

RATE = 500
SECONDS = 30
POLL = 0.05


def _poll_totals(port: int, stop: threading.Event, seen: list[tuple[float, int]]) -> None:
    """(time, counted total) of claude's last hour, every POLL seconds until stopped."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not stop.is_set():
        conn.request("GET", "/api/v1/services/claude/summary?window=1h")
        answer = json.loads(conn.getresponse().read())
        if "total" in answer:  # a poll the busy server refused (503) tells nothing
            seen.append((time.monotonic(), answer["total"]))
        time.sleep(POLL)


def delays(acks: list[float], seen: list[tuple[float, int]], before: int) -> list[float]:
    """For the k-th acknowledged report, the first poll whose total reached before + k, minus its 202."""
    totals = [total - before for _, total in seen]
    out = []
    for k, acked in enumerate(sorted(acks), start=1):
        at = bisect.bisect_left(totals, k)  # totals only grow: drains count in stream order
        if at < len(seen):
            out.append(max(0.0, seen[at][0] - acked))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory) / "redis", persist=False)
        try:
            port = stack.free_port()
            env = {**os.environ, "REDIS_URL": server.url, "REDIS_DATA_URL": server.url, "RADAR_DEMO_DATA": "0",
                   "TRUSTED_PROXIES": "127.0.0.1", "RADAR_VAR_DIR": directory,
                   "RADAR_READ_RATE_LIMIT": ""}  # the poller reads 20 times a second from one address
            with stack.process([sys.executable, "-m", "aggregator", "run", "--port", str(port)], env, port,
                               "/healthz"):
                seen: list[tuple[float, int]] = []
                stop = threading.Event()
                poller = threading.Thread(target=_poll_totals, args=(port, stop, seen))
                poller.start()
                time.sleep(0.5)
                before = seen[-1][1]
                answers, failures, _ = open_loop(port, RATE, SECONDS)
                time.sleep(5)
                stop.set()
                poller.join()
        finally:
            server.stop()
    acks = [a.due + a.latency for a in answers if a.status == 202]
    waits = delays(acks, seen, before)
    print(f"freshness at {RATE} reports/s offered for {SECONDS} s: {len(acks):,} accepted, "
          f"{len(answers) - len(acks)} refused, {len(failures)} unanswered; report 202 → summary counts it: "
          f"p50 {stack.percentile(waits, 50) * 1000:.0f} ms, p99 {stack.percentile(waits, 99) * 1000:.0f} ms, "
          f"max {max(waits) * 1000:.0f} ms over {len(waits):,} reports (target p99 ≤ 2000 ms; polled every "
          f"{POLL * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
