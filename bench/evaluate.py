"""The per-minute evaluate run over 1,000 services: seconds per run once every baseline is learned, against
the issue's target of 5 s, and what the first runs over a cold store cost."""
from __future__ import annotations

import random
import statistics
import tempfile
import time

from aggregator.base.catalog import Service
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client, queue_client
from aggregator.local_redis import start
from workers import evaluate, keys

from .outages import poisson

SERVICES = 1000
BUSY = 100
"""Services with tens of reports a minute from a dozen countries; the rest get a few an hour."""
COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR", "JP", "CA", "AU", "NL", "ES", "IT")
STEADY_RUNS = 10
TARGET_SECONDS = 5.0


def _rates(rng: random.Random, busy: bool) -> dict[str, float]:
    """Reports per minute by country."""
    if busy:
        total = rng.uniform(10, 100)
        weights = [rng.random() ** 2 for _ in COUNTRIES]
        return {c: total * w / sum(weights) for c, w in zip(COUNTRIES, weights)}
    return {rng.choice(COUNTRIES): rng.uniform(0.01, 0.5)}


def _minute(rng: random.Random, rates: dict[str, float]) -> dict[str, int]:
    fields: dict[str, int] = {}
    for country, rate in rates.items():
        n = poisson(rng, rate)
        if n:
            fields[f"c:{country}"] = n
            fields["s:website"] = fields.get("s:website", 0) + n
            fields[f"cs:{country}:website"] = n
    if fields:
        fields["total"] = sum(v for k, v in fields.items() if k.startswith("c:"))
    return fields


def _fill(redis, services: list[Service], rates: dict[str, dict], now: float, rng: random.Random) -> None:
    """Five weeks of hourly buckets and the last four hours of minute and quarter buckets."""
    hour, minute = keys.HOUR.index(now), keys.MINUTE.index(now)
    for service in services:
        with redis.pipeline(transaction=False) as pipe:
            for h in range(hour - 5 * 168, hour):
                per_hour = {k: v for k, v in ((f"c:{c}", round(r * 60)) for c, r in rates[service.slug].items()) if v}
                if per_hour:
                    pipe.hset(keys.bucket(service.slug, keys.HOUR, h), mapping={**per_hour,
                                                                                 "total": sum(per_hour.values())})
            for m in range(minute - 240, minute):
                _add_minute(pipe, service.slug, m, _minute(rng, rates[service.slug]))
            pipe.execute()


def _add_minute(pipe, slug: str, minute: int, fields: dict[str, int]) -> None:
    if not fields:
        return
    pipe.hset(keys.bucket(slug, keys.MINUTE, minute), mapping=fields)
    for name, value in fields.items():
        pipe.hincrby(keys.bucket(slug, keys.QUARTER, minute // 15), name, value)


def _run(redis, queue, settings, services, now) -> tuple[float, evaluate.Result]:
    started = time.perf_counter()
    result = evaluate.evaluate(redis, queue, settings, services, now)
    return time.perf_counter() - started, result


def main() -> None:
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as directory:
        server = start(directory, persist=False)
        try:
            settings = Settings.from_env(REDIS_URL=server.url)
            redis, queue = data_client(settings), queue_client(settings)
            services = [Service(f"svc-{n:04d}", f"Service {n}") for n in range(SERVICES)]
            rates = {s.slug: _rates(rng, n < BUSY) for n, s in enumerate(services)}
            now = time.time() // 60 * 60 + 15
            print(f"filling {SERVICES} services ({BUSY} busy): 5 weeks of hours, 4 hours of minutes…", flush=True)
            _fill(redis, services, rates, now - 60, rng)
            cold = []
            while True:
                seconds, result = _run(redis, queue, settings, services, now)
                cold.append(seconds)
                if result.learned == 0:
                    break
            print(f"cold store: {len(cold) - 1} runs of {evaluate.PROFILE_REBUILDS} baselines learned each, "
                  f"{statistics.median(cold[:-1]):.2f} s median a run")
            steady = []
            for _ in range(STEADY_RUNS):
                with redis.pipeline(transaction=False) as pipe:
                    for service in services:
                        _add_minute(pipe, service.slug, keys.MINUTE.index(now) - 1, _minute(rng, rates[service.slug]))
                    pipe.execute()
                now += 60
                seconds, result = _run(redis, queue, settings, services, now)
                steady.append(seconds)
            tracks = result.steps
            print(f"steady, one minute a run: {SERVICES} services, {tracks} tracks stepped — median "
                  f"{statistics.median(steady):.2f} s, max {max(steady):.2f} s (target {TARGET_SECONDS:.0f} s)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
