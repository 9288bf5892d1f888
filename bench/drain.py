"""Drain throughput: reports/s one drain moves from the intake stream into buckets, against the plain way to make
the same increments on the same Redis: each batch added up in memory, then one pipeline of HINCRBY and EXPIREAT."""
from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass

from aggregator.base.settings import Settings
from aggregator.base.stores import data_client
from aggregator.local_redis import start
from workers import keys
from workers.buckets import Entry, tally
from workers.drain import drain

REPORTS = 15_000
BATCH = 1000
ROUNDS = 5
OTHER_BATCHES = (100, 5000)
TARGET_RATE = 40_000
TARGET_RATIO = 0.5
SURFACES = ("website", "desktop", "mobile", "api")
REGIONS = ("US-CA", "US-NY", "GB-ENG", "DE-BE", "IN-MH", "BR-SP", "JP", "unknown")
SYMPTOMS = ("", "login", "errors", "slow")


def synthetic_entries(count: int, now: float, seed: int = 7) -> list[Entry]:
    """A burst of reports spread over the last ten minutes with a realistic surface and region mix."""
    rng = random.Random(seed)
    return [Entry(ts=now - rng.random() * 600, surface=rng.choices(SURFACES, (62, 15, 13, 10))[0],
                  symptom=rng.choice(SYMPTOMS), region=rng.choice(REGIONS)) for _ in range(count)]


def fill(redis, slug: str, entries: list[Entry]) -> None:
    with redis.pipeline(transaction=False) as pipe:
        for n, entry in enumerate(entries, start=1):
            pipe.xadd(keys.intake(slug), entry.to_fields())
            if n % 5000 == 0:
                pipe.execute()
        pipe.execute()


@dataclass
class Run:
    """One side's round: wall seconds, and CPU seconds of this process and of Redis."""

    seconds: float
    client_cpu: float
    redis_cpu: float


def _redis_cpu(redis) -> float:
    info = redis.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


def measured(redis, work) -> Run:
    """Run `work()` and measure it; the embedded Redis serves only this benchmark, so its CPU is the work's."""
    wall, cpu, server = time.perf_counter(), time.process_time(), _redis_cpu(redis)
    work()
    return Run(time.perf_counter() - wall, time.process_time() - cpu, _redis_cpu(redis) - server)


def baseline(redis, slug: str, entries: list[Entry], batch_size: int) -> Run:
    """Add up each batch in memory and write its sums as one pipeline of HINCRBY + EXPIREAT a key."""
    def work():
        for first in range(0, len(entries), batch_size):
            batch = tally(slug, entries[first:first + batch_size])
            with redis.pipeline(transaction=False) as pipe:
                for key, counts in batch.increments.items():
                    for name, count in counts.items():
                        pipe.hincrby(key, name, count)
                    pipe.expireat(key, batch.expire_at[key])
                pipe.execute()
    return measured(redis, work)


def project(redis, slug: str, entries: list[Entry], batch_size: int) -> Run:
    """One drain counting the reports already waiting in the service's intake stream."""
    fill(redis, slug, entries)
    results = []
    run = measured(redis, lambda: results.append(drain(redis, slug, batch_size=batch_size, max_seconds=600)))
    assert results[0].entries == len(entries), results
    return run


def _cpu(runs: list[Run]) -> str:
    client = statistics.median(r.client_cpu for r in runs) / REPORTS * 1e6
    server = statistics.median(r.redis_cpu for r in runs) / REPORTS * 1e6
    return f"CPU a report: Python {client:.1f} µs + Redis {server:.1f} µs"


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        server = start(directory, persist=False)
        try:
            redis = data_client(Settings.from_env(environ={}, REDIS_URL=server.url))
            entries = synthetic_entries(REPORTS, time.time())
            print(f"drain: {REPORTS:,} reports a round, batch {BATCH:,}, {ROUNDS} rounds alternating; "
                  f"load average {os.getloadavg()[0]:.2f}")
            runs, base_runs = [], []
            for n in range(ROUNDS):
                base_runs.append(baseline(redis, f"baseline-{n}", entries, BATCH))
                runs.append(project(redis, f"bench-{n}", entries, BATCH))
                print(f"drain: round {n + 1}: project {REPORTS / runs[-1].seconds:,.0f}/s, "
                      f"baseline {REPORTS / base_runs[-1].seconds:,.0f}/s")
            rate = REPORTS / statistics.median(r.seconds for r in runs)
            base_rate = REPORTS / statistics.median(r.seconds for r in base_runs)
            ratio = rate / base_rate
            print(f"drain: batch {BATCH:,} (medians): project {rate:,.0f} reports/s, baseline (summed, pipelined "
                  f"HINCRBY + EXPIREAT) {base_rate:,.0f} reports/s, ratio {ratio:.2f}; "
                  f"target ≥ {TARGET_RATE:,}/s {'✓' if rate >= TARGET_RATE else '✗'}, "
                  f"≥ {TARGET_RATIO}× {'✓' if ratio >= TARGET_RATIO else '✗'}")
            print(f"drain: project {_cpu(runs)}; baseline {_cpu(base_runs)}")
            for batch in OTHER_BATCHES:
                run = project(redis, f"bench-{batch}", entries, batch)
                print(f"drain: batch {batch:>5,}: {REPORTS / run.seconds:,.0f} reports/s (one round)")
            print(f"drain: load average {os.getloadavg()[0]:.2f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
