"""Memory: Redis bytes per bucket, per service-day and for 1,000 services at the default retention, from
MEMORY USAGE of buckets that the real drain filled; beside it, the same day kept as raw stream entries."""
from __future__ import annotations

import random
import tempfile
import time

from aggregator.base.settings import Settings
from aggregator.base.stores import data_client
from aggregator.local_redis import start
from workers import demo, keys
from workers.buckets import Entry
from workers.drain import drain

from .drain import SURFACES, fill

SERVICES = 1000
DAY = 86400
HEAVY_REGIONS = [f"{c}-{n}" for c in ("US", "GB", "DE", "IN", "BR", "FR") for n in range(5)] + ["JP", "unknown"]


def typical_day(slug: str, end: float) -> list[Entry]:
    """A day of the demo's ordinary traffic for a busy service (a few reports a minute, ten countries)."""
    return demo.entries(slug, end - DAY, end, None, random.Random(5))


def heavy_day(end: float, per_minute: int = 60) -> list[Entry]:
    """An outage-sized day: every minute holds every surface, symptom and 32 regions."""
    rng = random.Random(6)
    return [Entry(ts=end - DAY + m * 60 + rng.random() * 60, surface=rng.choice(SURFACES),
                  symptom=rng.choice(("login", "errors", "slow", "other")),
                  region=HEAVY_REGIONS[n % len(HEAVY_REGIONS)]) for m in range(DAY // 60) for n in range(per_minute)]


def bucket_bytes(redis, slug: str, resolution: keys.Resolution, end: float) -> list[int]:
    """MEMORY USAGE of every bucket of the day before end at one resolution (missing buckets left out)."""
    first, last = resolution.index(end - DAY), resolution.index(end - 1)
    with redis.pipeline(transaction=False) as pipe:
        for index in range(first, last + 1):
            pipe.memory_usage(keys.bucket(slug, resolution, index), samples=0)
        return [size for size in pipe.execute() if size]


def measure(redis, slug: str, entries: list[Entry], end: float) -> None:
    fill(redis, slug, entries)
    raw = redis.memory_usage(keys.intake(slug), samples=0)
    drain(redis, slug, batch_size=5000, max_seconds=600)
    sizes = {r: bucket_bytes(redis, slug, r, end) for r in keys.RESOLUTIONS.values()}
    day = sum(sum(s) for s in sizes.values())
    retained = sum(sum(s) / len(s) * (r.retention // r.seconds) for r, s in sizes.items() if s)
    per = ", ".join(f"{r.name} {sum(s) / len(s):,.0f} B ({len(s)} buckets)" for r, s in sizes.items() if s)
    print(f"memory, {slug}: {len(entries):,} reports a day; average bucket: {per}")
    print(f"memory, {slug}: one service-day {day / 1024:,.0f} KiB in buckets vs {raw / 1024:,.0f} KiB as raw stream "
          f"entries (ratio {day / raw:.3f}); one service at the default retention (48 h of minutes, 90 d of "
          f"quarters, 2 y of hours) {retained / 2**20:,.1f} MiB; {SERVICES:,} services "
          f"{retained * SERVICES / 2**30:,.1f} GiB")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        server = start(directory, persist=False)
        try:
            redis = data_client(Settings.from_env(environ={}, REDIS_URL=server.url))
            end = time.time() // 3600 * 3600
            measure(redis, "typical", typical_day("chatgpt", end), end)
            measure(redis, "heavy", heavy_day(end), end)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
