"""Drain throughput: reports/s one drain moves from the intake stream into buckets, against the raw
pipelined HINCRBY rate of one Python process on the same Redis (the data layer's limit)."""
from __future__ import annotations

import random
import tempfile
import time

from aggregator.base.settings import Settings
from aggregator.base.stores import data_client
from aggregator.local_redis import start
from workers import keys
from workers.buckets import Entry, entry_fields
from workers.drain import drain

REPORTS = 50_000
BATCHES = (100, 1000, 5000)
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


def baseline(redis, slug: str, entries: list[Entry]) -> float:
    """Seconds to apply every report as plain pipelined HINCRBYs, 1,000 commands a round trip."""
    started = time.perf_counter()
    with redis.pipeline(transaction=False) as pipe:
        queued = 0
        for entry in entries:
            for resolution in keys.RESOLUTIONS.values():
                key = keys.bucket(f"{slug}-baseline", resolution, resolution.index(entry.ts))
                for name in entry_fields(entry):
                    pipe.hincrby(key, name, 1)
                    queued += 1
            if queued >= 1000:
                pipe.execute()
                queued = 0
        pipe.execute()
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        server = start(directory, persist=False)
        try:
            redis = data_client(Settings.from_env(environ={}, REDIS_URL=server.url))
            entries = synthetic_entries(REPORTS, time.time())
            base_seconds = baseline(redis, "bench", entries)
            base_rate = REPORTS / base_seconds
            print(f"drain: {REPORTS:,} reports; baseline (pipelined HINCRBY, no stream): {base_rate:,.0f} reports/s")
            for batch in BATCHES:
                slug = f"bench-{batch}"
                fill(redis, slug, entries)
                started = time.perf_counter()
                result = drain(redis, slug, batch_size=batch, max_seconds=600)
                seconds = time.perf_counter() - started
                assert result.entries == REPORTS, result
                rate = REPORTS / seconds
                print(f"drain: batch {batch:>5}: {rate:,.0f} reports/s, {seconds / result.batches * 1000:.1f} ms "
                      f"a batch; ratio to baseline {rate / base_rate:.2f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
