"""Burst: 1.5× the sustainable rate, offered open-loop for 60 s to the whole stack (`python -m aggregator run`):
every acknowledged report counted exactly, overload shed as fast 503s, no other 5xx, lag back under 2 s."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import redis

from aggregator.local_redis import start
from workers import keys
from workers.drain import intake_lag

from . import ingest, stack
from .load import open_loop

SECONDS = 60
FACTOR = 1.5
LAG_TARGET = 2.0


def counted_total(data: redis.Redis, slug: str) -> int:
    """Counted reports of the service in its hour buckets of the last two hours (a benchmark lasts minutes)."""
    hour = keys.HOUR.index(time.time())
    return sum(int(data.hget(keys.bucket(slug, keys.HOUR, h), "total") or 0) for h in (hour - 1, hour))


def settle(data: redis.Redis, slug: str, limit: float = 120) -> float:
    """Seconds until the intake stream is empty (every report counted), at most limit."""
    began = time.monotonic()
    while data.xlen(keys.intake(slug)) and time.monotonic() - began < limit:
        time.sleep(0.1)
    return time.monotonic() - began


def _ms(values: list[float], p: float) -> str:
    return f"{stack.percentile(values, p) * 1000:.0f} ms" if values else "—"


def main() -> None:
    if not ingest.have_wrk("burst"):
        return
    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory) / "redis", persist=False)
        try:
            data = redis.Redis.from_url(server.url, decode_responses=True)
            port = stack.free_port()
            env = {**os.environ, "REDIS_URL": server.url, "REDIS_DATA_URL": server.url, "RADAR_DEMO_DATA": "0",
                   "TRUSTED_PROXIES": "127.0.0.1", "RADAR_VAR_DIR": directory}
            with stack.process([sys.executable, "-m", "aggregator", "run", "--port", str(port)], env, port,
                               "/healthz") as run:
                parts = {**stack.parts(run.pid), "Redis": server.process.pid}
                sustainable = ingest.wrk(port, 10)["rate"]
                time.sleep(1)  # requests still in the server when wrk stopped land after it
                settle(data, "claude")
                before = counted_total(data, "claude")
                rate = sustainable * FACTOR
                used = {name: stack.cpu_seconds(pid) for name, pid in parts.items()}
                cpu = time.process_time()
                answers, failures, took = open_loop(port, rate, SECONDS)
                cpu = time.process_time() - cpu
                ended = time.monotonic()
                lag_back = None
                while time.monotonic() - ended < 60:
                    if intake_lag(data, ["claude"], time.time())["claude"] < LAG_TARGET:
                        lag_back = time.monotonic() - ended
                        break
                    time.sleep(0.25)
                settle(data, "claude")
                used = {name: stack.cpu_seconds(pid) - used[name] for name, pid in parts.items()}
                counted = counted_total(data, "claude") - before
        finally:
            server.stop()
    accepted = [a for a in answers if a.status == 202]
    shed = [a for a in answers if a.status == 503]
    others = sorted({a.status for a in answers} - {202, 503})
    print(f"burst: sustainable {sustainable:,.0f} reports/s (wrk, closed loop); offered {rate:,.0f}/s open-loop for "
          f"{SECONDS} s = {int(rate * SECONDS):,} requests, sent in {took:.1f} s")
    print(f"burst: {len(accepted):,} accepted (202, p50 {_ms([a.latency for a in accepted], 50)}, "
          f"p99 {_ms([a.latency for a in accepted], 99)}), {len(shed):,} shed (503, p50 "
          f"{_ms([a.latency for a in shed], 50)}, p99 {_ms([a.latency for a in shed], 99)}, Retry-After on "
          f"{sum(1 for a in shed if a.retry_after)}), other statuses {others or 'none'}, "
          f"{len(failures)} without an answer ({', '.join(sorted(set(failures))) or 'none'})")
    print(f"burst: the load generator itself sent late by p50 {_ms([a.late for a in answers], 50)}, p99 "
          f"{_ms([a.late for a in answers], 99)} (part of every latency above) and used {cpu:.1f} s of CPU "
          f"({cpu / took:.0%} of a core); from the real send: 503 p50 {_ms([a.latency - a.late for a in shed], 50)}, "
          f"p99 {_ms([a.latency - a.late for a in shed], 99)}")
    print(f"burst: counted {counted:,} of {len(accepted):,} accepted "
          f"({'exact' if counted == len(accepted) else 'MISMATCH'}); intake lag under {LAG_TARGET:.0f} s "
          + (f"{lag_back:.1f} s after the burst" if lag_back is not None else "NOT within 60 s"))
    print("burst: CPU seconds from its start until all was counted: " + ", ".join(
        f"{name} {seconds:.1f}" for name, seconds in used.items())
        + f"; the worker (drain jobs) {used['worker'] / max(1, counted) * 1e6:.0f} µs a counted report")


if __name__ == "__main__":
    main()
