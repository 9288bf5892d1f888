"""The dashboard's data with 200 services in Redis: a 24-hour chart by the minute (50 ms), the overview (200 ms)."""
from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from aggregator import create_app
from aggregator.base.times import iso
from aggregator.local_redis import start
from workers import incidents, keys, profiles
from workers.baseline import Profile, Quality
from workers.buckets import Bucket
from workers.detect import State

from .stack import SECRET

SERVICES = 200
RUNS = 30
CHART_TARGET_MS, OVERVIEW_TARGET_MS = 50.0, 200.0
COUNTRIES = ("US", "GB", "DE", "IN", "BR", "JP", "FR", "CA", "unknown")
SURFACES = ("website", "desktop", "mobile", "api")
SYMPTOMS = ("errors", "slow", "login", "blank_response")


def _catalog(directory: str) -> str:
    path = Path(directory) / "services.toml"
    path.write_text("".join(f'[[service]]\nslug = "svc-{n:03d}"\nname = "Service {n}"\n\n' for n in range(SERVICES)))
    return str(path)


def _minute(rng: random.Random, rate: float) -> dict[str, int]:
    """The fields of one minute bucket with about `rate` reports, every breakdown filled as the drain fills it."""
    fields: Counter = Counter()
    for _ in range(max(0, round(rng.gauss(rate, rate ** 0.5)))):
        country, surface = rng.choice(COUNTRIES), rng.choice(SURFACES)
        fields.update(["total", f"s:{surface}", f"c:{country}", f"cs:{country}:{surface}"])
        if rng.random() < 0.6:
            fields[f"y:{rng.choice(SYMPTOMS)}"] += 1
    return dict(fields)


def _fill(redis, slugs: list[str], now: float, rng: random.Random) -> None:
    """A day of minute buckets (and their quarters), a learned baseline and a status record per service."""
    last = keys.MINUTE.index(now)
    rates = {slug: rng.uniform(1, 40) for slug in slugs}
    for slug in slugs:
        quarters: dict[int, Counter] = {}
        with redis.pipeline(transaction=False) as pipe:
            for minute in range(last - 1440, last + 1):
                fields = _minute(rng, rates[slug])
                if fields:
                    pipe.hset(keys.bucket(slug, keys.MINUTE, minute), mapping=fields)
                    quarters.setdefault(minute // 15, Counter()).update(fields)
            for quarter, fields in quarters.items():
                pipe.hset(keys.bucket(slug, keys.QUARTER, quarter), mapping=dict(fields))
            tracks = {profiles.OVERALL: Profile(tuple([rates[slug] * 60] * 168), Quality.WEEKLY, 0.02)}
            tracks.update({c: Profile(tuple([rates[slug] * 6] * 168), Quality.WEEKLY, 0.05)
                           for c in COUNTRIES[:6]})
            profiles.store(pipe, slug, tracks, now)
            pipe.set(keys.status(slug), '{"service": "%s", "state": "ok", "score": 0.4, "current": 3, '
                     '"baseline": 3.1, "since": null, "incident_id": null, "baseline_quality": "weekly", '
                     '"evaluated_at": "%s", "countries": []}' % (slug, iso(now)))
            pipe.execute()


def _incident(redis, slug: str, now: float) -> None:
    """A resolved outage six hours ago, shaded on the chart."""
    incident = incidents.open_incident(slug, None, State.OUTAGE, now - 6 * 3600, now - 6 * 3600 + 120)
    incidents.observe(incident, Bucket(int(now - 6 * 3600 + 600), total=300, surfaces={"website": 186, "api": 114}),
                      300, 4.0)
    incidents.resolve(incident, now - 5 * 3600)
    with redis.pipeline(transaction=False) as pipe:
        incidents.save(pipe, incident, now)
        pipe.execute()


def _median_ms(action) -> float:
    for _ in range(3):
        action()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    from dashboards import reads, render

    with tempfile.TemporaryDirectory() as directory:
        server = start(directory, persist=False)
        try:
            app = create_app({"REDIS_URL": server.url, "RADAR_SERVICES_FILE": _catalog(directory), "GEOIP_DB": "",
                              "RADAR_SECRET": SECRET})
            radar = app.extensions["radar"]
            now = time.time()
            print(f"filling {SERVICES} services with a day of minute buckets…", flush=True)
            _fill(radar.data, radar.catalog.slugs, now, random.Random(4))
            _incident(radar.data, "svc-000", now)
            client = app.test_client()
            with app.test_request_context():
                snapshot = _median_ms(lambda: reads.service_snapshot("svc-000", "24h", None))
                figures = _median_ms(lambda: render.payload(reads.service_snapshot("svc-000", "24h", None)))
                overview = _median_ms(lambda: reads.overview_rows())
            chart = _median_ms(lambda: client.get("/dashboard/svc-000/data?range=24h").get_data())
            everything = _median_ms(lambda: client.get("/dashboard/data").get_data())
            print(f"24 h chart at 1 m, {SERVICES} services in Redis: snapshot (reads + assembly) {snapshot:.1f} ms, "
                  f"with figures and panels {figures:.1f} ms, whole /data response {chart:.1f} ms median "
                  f"(target {CHART_TARGET_MS:.0f} ms)")
            print(f"overview of {SERVICES} services: rows (reads + assembly) {overview:.1f} ms, whole /dashboard/data "
                  f"response {everything:.1f} ms median (target {OVERVIEW_TARGET_MS:.0f} ms)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
