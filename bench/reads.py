"""Reads under a surge: 8 loops of `GET .../summary?window=119d` against `python -m aggregator web` beside a few
report senders, with the read cache headers and the per-client read limit on. Target: no report shed (503)."""
from __future__ import annotations

import http.client
import json
import os
import random
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import redis

from aggregator import ranges
from aggregator.local_redis import start
from workers import keys
from workers.buckets import Entry, read_buckets, tally
from workers.daysums import read_sums
from workers.summary import summarize

from . import stack

SECONDS = 10
LOOPS = 8
SENDERS = 3
SEND_PAUSE = 0.05
"""Seconds a report sender waits between its reports: a few dozen reports a second in all, as people send."""
WINDOW = "119d"
PATH = f"/api/v1/services/claude/summary?window={WINDOW}"
REPORTS_PER_HOUR = 40
COUNTRIES = ("US", "GB", "DE", "IN", "BR", "JP", "FR", "CA", "AU", "unknown")
REGIONS = ("US-CA", "US-NY", "GB-ENG", "DE-BE", "IN-MH", "BR-SP", "JP-13", "FR-IDF", "CA-ON", "AU-NSW")
SURFACES = ("website", "mobile", "desktop", "api")
SYMPTOMS = ("", "errors", "slow", "login", "blank_response", "other")


def seed_hours(data: redis.Redis, now: float) -> None:
    """Hour buckets of claude for the 120 days before now, every breakdown filled as the drain fills it."""
    rng = random.Random(2026)
    hour = keys.HOUR.index(now)
    with data.pipeline(transaction=False) as pipe:
        for h in range(hour - 120 * 24, hour + 1):
            entries = []
            for n in range(REPORTS_PER_HOUR):
                country = rng.choice(COUNTRIES)
                region = rng.choice([country, *(r for r in REGIONS if r.startswith(country))])
                entries.append(Entry(h * 3600 + n * 60, rng.choice(SURFACES), rng.choice(SYMPTOMS),
                                     "unknown" if country == "unknown" else region))
            for name, fields in tally("claude", entries).increments.items():
                if f":{keys.HOUR.letter}:" in name:
                    pipe.hset(name, mapping=dict(fields))
        pipe.execute()


def in_process(data: redis.Redis) -> tuple[float, float, float]:
    """Milliseconds of one 119-day summary from its hour buckets, from day sums made on the way, and kept."""
    now = time.time()
    span = ranges.window_range(ranges.parse_window(WINDOW), now)
    began = time.perf_counter()
    summarize(read_buckets(data, "claude", span.resolution, span.first, span.last))
    hours = time.perf_counter() - began
    began = time.perf_counter()
    read_sums(data, "claude", span.resolution, span.first, span.last, now)
    cold = time.perf_counter() - began
    warm = []
    for _ in range(10):
        began = time.perf_counter()
        read_sums(data, "claude", span.resolution, span.first, span.last, now)
        warm.append(time.perf_counter() - began)
    return hours * 1000, cold * 1000, stack.percentile(warm, 50) * 1000


def _read_loop(port: int, address: str, until: float, statuses: Counter, latencies: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.monotonic() < until:
        began = time.monotonic()
        try:
            conn.request("GET", PATH, headers={"X-Forwarded-For": address})
            response = conn.getresponse()
            response.read()
            statuses[response.status] += 1
            if response.status == 200:
                latencies.append(time.monotonic() - began)
        except (OSError, http.client.HTTPException):
            statuses["no answer"] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def _send_loop(port: int, first: int, until: float, statuses: Counter) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = first
    while time.monotonic() < until:
        body = json.dumps({"service": "claude", "surface": SURFACES[n % 4]})
        try:
            conn.request("POST", "/api/v1/reports", body=body, headers={
                "Content-Type": "application/json", "User-Agent": f"bench-reads-{n}",
                "X-Forwarded-For": f"198.18.{n // 250 % 256}.{n % 250 + 1}"})
            response = conn.getresponse()
            response.read()
            statuses[response.status] += 1
        except (OSError, http.client.HTTPException):
            statuses["no answer"] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n += SENDERS
        time.sleep(SEND_PAUSE)


def surge(port: int, addresses: list[str]) -> tuple[Counter, list[float], Counter]:
    """LOOPS read loops (loop i from addresses[i]) and SENDERS report senders for SECONDS; their answers."""
    until = time.monotonic() + SECONDS
    reads = [(Counter(), []) for _ in range(LOOPS)]  # one per thread: Counter's += is no atomic step
    reports = [Counter() for _ in range(SENDERS)]
    threads = [threading.Thread(target=_read_loop, args=(port, addresses[i], until, *reads[i])) for i in range(LOOPS)]
    threads += [threading.Thread(target=_send_loop, args=(port, i, until, reports[i])) for i in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (sum((c for c, _ in reads), Counter()), [t for _, ts in reads for t in ts],
            sum(reports, Counter()))


def _others(statuses: Counter, *named) -> str:
    return ", ".join(f"{status}: {n}" for status, n in statuses.items() if status not in named) or "none"


def _line(name: str, reads: Counter, latencies: list[float], reports: Counter, cpu: float) -> str:
    p50 = f"{stack.percentile(latencies, 50) * 1000:.0f} ms" if latencies else "—"
    p99 = f"{stack.percentile(latencies, 99) * 1000:.0f} ms" if latencies else "—"
    return (f"reads: {name}: {sum(reads.values()):,} reads — {reads[200]:,} answered (200, p50 {p50}, p99 {p99}), "
            f"{reads[429]:,} limited (429), {reads[503]:,} shed (503), other {_others(reads, 200, 429, 503)}; "
            f"{sum(reports.values()):,} reports — {reports[202]:,} answered (202), {reports[503]:,} shed (503), "
            f"other {_others(reports, 202, 503)}; web CPU {cpu:.1f} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory) / "redis", persist=False)
        try:
            data = redis.Redis.from_url(server.url, decode_responses=True)
            seed_hours(data, time.time())
            hours, cold, warm = in_process(data)
            env = {**os.environ, "REDIS_URL": server.url, "REDIS_DATA_URL": server.url,
                   "TRUSTED_PROXIES": "127.0.0.1", "RADAR_VAR_DIR": directory}
            env.pop("RADAR_READ_RATE_LIMIT", None)
            lines = []
            rounds = (("8 loops from one address, as shipped (120/minute)", {}, ["203.0.113.9"] * LOOPS),
                      ("8 loops from 8 addresses, read limit off", {"RADAR_READ_RATE_LIMIT": ""},
                       [f"203.0.113.{10 + i}" for i in range(LOOPS)]))
            for name, extra, addresses in rounds:
                for counter in data.scan_iter("radar:{reads:*"):
                    data.delete(counter)
                port = stack.free_port()
                with stack.radar_web(port, {**env, **extra}) as web:
                    stack.wait_for(port, PATH)  # the day sums are made by the first read, not timed
                    used = stack.cpu_seconds(web.pid)
                    reads, latencies, reports = surge(port, addresses)
                    lines.append(_line(name, reads, latencies, reports, stack.cpu_seconds(web.pid) - used))
        finally:
            server.stop()
    print(f"reads: one summary?window={WINDOW} in process: {hours:.0f} ms from its 2,857 hour buckets, "
          f"{cold:.0f} ms making its day sums, {warm:.1f} ms from the kept day sums (median of 10)")
    for line in lines:
        print(line)
    print(f"reads: {SECONDS} s a round, {LOOPS} closed read loops and {SENDERS} report senders "
          f"({SEND_PAUSE * 1000:.0f} ms between reports) on 2 web processes × {stack.THREADS} threads")


if __name__ == "__main__":
    main()
