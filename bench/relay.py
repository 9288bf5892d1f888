"""Relay: reports/s through POST /api/v1/reports/batch (1,000 reports a request, wrk) under the production
server, beside the single-report endpoint in the same run. Target: 50,000 reports/s."""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from aggregator.embedded import start

from . import ingest, stack

SECONDS = 15
PER_REQUEST = 1000


def main() -> None:
    if not ingest.have_wrk("relay"):
        return
    key = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory), persist=False)
        try:
            env = {**os.environ, "REDIS_URL": server.url, "REDIS_DATA_URL": server.url, "RADAR_RELAY_KEYS": key,
                   "TRUSTED_PROXIES": "127.0.0.1", "RADAR_BENCH_RELAY_KEY": key,
                   "RADAR_BENCH_BATCH": str(PER_REQUEST)}
            port = stack.free_port()
            with stack.radar_web(port, env):
                single = ingest.wrk(port, SECONDS)
                batch = ingest.wrk(port, SECONDS, connections=stack.WEB_WORKERS * 2, env=env)
        finally:
            server.stop()
    rate = batch["rate"] * PER_REQUEST
    print(f"relay: single reports {single['rate']:,.0f}/s; batches of {PER_REQUEST:,}: {rate:,.0f} reports/s "
          f"({batch['rate']:,.1f} requests/s, p50 {batch['p50_us'] / 1000:.0f} ms, p99 {batch['p99_us'] / 1000:.0f} ms,"
          f" {batch['errors']} errors); ratio batch ÷ single {rate / single['rate']:.1f} (target 50,000 reports/s)")


if __name__ == "__main__":
    main()
