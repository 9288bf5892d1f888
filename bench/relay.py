"""Relay: reports/s through POST /api/v1/reports/batch (1,000 reports a request, wrk) under the production
server, in rounds alternating with the single-report endpoint on the same server. Target: 50,000 reports/s."""
from __future__ import annotations

import os
import resource
import secrets
import tempfile
from pathlib import Path

from aggregator.local_redis import start

from . import ingest, stack

SECONDS = 15
"""Per side, split over the rounds."""
ROUNDS = 3
PER_REQUEST = 1000
CONNECTIONS = stack.WEB_WORKERS * 2


def _wrk_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _summary(runs: list[dict]) -> dict:
    return {"rate": sum(r["accepted"] for r in runs) / sum(r["seconds"] for r in runs),
            "rates": [r["rate"] for r in runs], "p50_us": sorted(r["p50_us"] for r in runs)[len(runs) // 2],
            "p99_us": max(r["p99_us"] for r in runs), "errors": sum(r["errors"] for r in runs)}


def main() -> None:
    if not ingest.have_wrk("relay"):
        return
    key = secrets.token_hex(16)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory), persist=False)
        try:
            env = {**os.environ, "REDIS_URL": server.url, "REDIS_DATA_URL": server.url, "RADAR_RELAY_KEYS": key,
                   "TRUSTED_PROXIES": "127.0.0.1", "RADAR_BENCH_RELAY_KEY": key,
                   "RADAR_BENCH_BATCH": str(PER_REQUEST)}
            port = stack.free_port()
            singles, batches = [], []
            # CPU seconds the batches cost the web server, Redis and wrk: unlike reports/s, they hardly
            # depend on how much else the machine is running.
            cpu = {"web": 0.0, "Redis": 0.0, "wrk": 0.0}
            with stack.radar_web(port, env) as web:
                ingest.wrk(port, 2)
                ingest.wrk(port, 2, connections=CONNECTIONS, env=env)
                for _ in range(ROUNDS):
                    singles.append(ingest.wrk(port, SECONDS // ROUNDS))
                    before = stack.cpu_seconds(web.pid), stack.cpu_seconds(server.process.pid), _wrk_seconds()
                    batches.append(ingest.wrk(port, SECONDS // ROUNDS, connections=CONNECTIONS, env=env))
                    after = stack.cpu_seconds(web.pid), stack.cpu_seconds(server.process.pid), _wrk_seconds()
                    for name, b, a in zip(cpu, before, after):
                        cpu[name] += a - b
        finally:
            server.stop()
    single, batch = _summary(singles), _summary(batches)
    rate = batch["rate"] * PER_REQUEST
    print(f"relay: single reports {single['rate']:,.0f}/s; batches of {PER_REQUEST:,}: {rate:,.0f} reports/s "
          f"({batch['rate']:,.1f} requests/s, p50 {batch['p50_us'] / 1000:.0f} ms, p99 {batch['p99_us'] / 1000:.0f} ms,"
          f" {batch['errors']} errors); ratio batch ÷ single {rate / single['rate']:.1f} (target 50,000 reports/s)")
    reports = sum(r["accepted"] for r in batches) * PER_REQUEST
    each = {name: seconds / reports * 1e6 for name, seconds in cpu.items()}
    print("relay: CPU a report in batches: " + ", ".join(f"{name} {us:.1f} µs" for name, us in each.items())
          + f"; all {os.cpu_count()} cores would take at most {os.cpu_count() * 1e6 / sum(each.values()):,.0f} "
          "reports/s with nothing else running")
    print("relay: per round, batches " + ", ".join(f"{r * PER_REQUEST:,.0f}" for r in batch["rates"])
          + " reports/s; single " + ", ".join(f"{r:,.0f}" for r in single["rates"])
          + f"/s; {ROUNDS} rounds of {SECONDS // ROUNDS} s a side, load average {load:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
