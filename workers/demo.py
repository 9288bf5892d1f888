"""Demo data for `run`: days of ordinary reports for every service and, for one, a replayed midday outage."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from aggregator.base.catalog import Service
from aggregator.base.settings import Settings
from aggregator.base.times import iso

from . import evaluate, keys
from .buckets import UNKNOWN, Entry, tally
from .daysums import DAY
from .official import store_components, store_incidents
from .statuspage import parse_incident

DAYS = 4
"""Days of history written before now: enough for detection to learn an hour-of-day baseline (two days)."""

OUTAGE_SERVICE = "claude"
OUTAGE_START = 12 * 3600 + 3 * 60
"""Seconds into the UTC day the replayed outage begins (12:03 GMT)."""
RAMP, PLATEAU, DECAY = 6, 70, 25
"""Minutes in which reports rise to the peak, stay there, and fall back."""
OUTAGE_PEAK = 260
"""Reports per minute at the height of the outage."""

NORMAL_SURFACES = {"website": 45, "mobile": 25, "desktop": 15, "api": 15}
OUTAGE_SURFACES = {"website": 64, "desktop": 14, "mobile": 13, "api": 9}
"""A little over 62 % website, so that with the ordinary reports mixed in the outage reads as about 62 %."""
NORMAL_SYMPTOMS = {"": 40, "errors": 20, "slow": 15, "login": 12, "blank_response": 6, "other": 7}
OUTAGE_SYMPTOMS = {"": 30, "errors": 32, "login": 18, "blank_response": 14, "slow": 6}
COUNTRIES = {"US": 34, "GB": 12, "DE": 10, "IN": 10, "BR": 7, "JP": 6, "FR": 6, "CA": 5, "AU": 4, UNKNOWN: 6}

OFFICIAL_NAME = "Elevated errors on claude.ai"
OFFICIAL_POSTS = ((62, "investigating", 10, "We are investigating elevated error rates on claude.ai."),
                  (161, "identified", None, "The issue has been identified and a fix is being rolled out."),
                  (232, "resolved", None, "This incident has been resolved."))
"""The vendor's posts about the outage: minutes after its onset, status, the minute the page shows (the first is
backdated), text. As in the story behind the project, the crowd knew an hour before the vendor said anything."""
OFFICIAL_COMPONENTS = ("claude.ai", "Claude API", "Claude Code")

PEAK_RATES = {"claude": 4.0, "chatgpt": 6.0, "gemini": 2.0, "copilot": 1.5, "github": 3.0, "slack": 2.0,
              "discord": 3.0, "aws": 1.0}
"""Ordinary reports per minute at a service's busiest hour; a service not listed gets one."""


@dataclass(frozen=True)
class Seeded:
    """What one call wrote: reports, the span they cover, and the outage replayed (its start), if any."""

    reports: int
    start: float
    end: float
    outage: float | None


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    count, product, limit = 0, rng.random(), math.exp(-mean)
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def normal_rate(peak: float, ts: float) -> float:
    """Ordinary reports per minute at `ts`: busiest mid-afternoon UTC, a third of that at night."""
    hour = ts % 86400 / 3600
    return peak * (0.35 + 0.65 * (1 + math.cos((hour - 15) / 24 * 2 * math.pi)) / 2)


def outage_rate(minute: int) -> float:
    """Extra reports per minute `minute` minutes after the outage began: a steep rise, a plateau, a tail."""
    if minute < 0:
        return 0.0
    if minute < RAMP:
        return OUTAGE_PEAK * (minute + 1) / RAMP
    if minute < RAMP + PLATEAU:
        return OUTAGE_PEAK * (0.9 + 0.1 * math.sin(minute / 7))
    if minute < RAMP + PLATEAU + DECAY:
        return OUTAGE_PEAK * (1 - (minute - RAMP - PLATEAU) / DECAY) ** 2
    return 0.0


def last_outage(start: float, end: float) -> float | None:
    """The start of the latest replayed outage that lies wholly in [start, end), if one does."""
    length = (RAMP + PLATEAU + DECAY) * 60
    onset = (end - length) // 86400 * 86400 + OUTAGE_START
    if onset + length > end:
        onset -= 86400
    return onset if onset >= start else None


def entries(slug: str, start: float, end: float, outage: float | None, rng: random.Random) -> list[Entry]:
    """Reports of one service for each minute of [start, end), with the outage's on top when given."""
    peak = PEAK_RATES.get(slug, 1.0)
    out = []
    for minute in range(int(start // 60), int(math.ceil(end / 60))):
        ts = minute * 60.0
        extra = outage_rate(int((ts - outage) // 60)) if outage is not None and ts >= outage else 0.0
        ordinary, spike = _poisson(rng, normal_rate(peak, ts)), _poisson(rng, extra)
        for n in range(ordinary + spike):
            surfaces, symptoms = (NORMAL_SURFACES, NORMAL_SYMPTOMS) if n < ordinary else (OUTAGE_SURFACES,
                                                                                         OUTAGE_SYMPTOMS)
            at = ts + rng.random() * 60
            if start <= at < end:
                out.append(Entry(ts=at, surface=_pick(rng, surfaces), symptom=_pick(rng, symptoms),
                                 region=_pick(rng, COUNTRIES)))
    return out


def _write(redis, slug: str, batch: list[Entry]) -> None:
    counts = tally(slug, batch)
    # One pipeline, not a round trip per bucket field; nothing reads demo data until `run` has written it all.
    with redis.pipeline(transaction=False) as pipe:
        for name, fields in counts.increments.items():
            for field, count in fields.items():
                pipe.hincrby(name, field, count)
            pipe.expireat(name, counts.expire_at[name])
        # Sums of past days made before these reports were written would leave them out of long summaries.
        for day in {int(entry.ts // DAY) for entry in batch}:
            pipe.delete(keys.day_sums(slug, day))
        pipe.execute()


def seed(redis, services: list[Service], now: float, seed_value: int = 2026) -> Seeded:
    """Write ordinary reports since the last seeding (at most DAYS back) and the outage, straight into buckets."""
    since = redis.get(keys.DEMO_WRITTEN_UNTIL)
    start = max(float(since) if since else 0.0, now - DAYS * 86400)
    outage = last_outage(start, now)
    rng = random.Random(seed_value + int(start))
    total = 0
    for service in services:
        batch = entries(service.slug, start, now, outage if service.slug == OUTAGE_SERVICE else None, rng)
        _write(redis, service.slug, batch)
        total += len(batch)
    redis.set(keys.DEMO_WRITTEN_UNTIL, repr(now), ex=DAYS * 86400)
    return Seeded(total, start, now, outage if any(s.slug == OUTAGE_SERVICE for s in services) else None)


def replay_detection(redis, queue_redis, settings: Settings, services: list[Service], outage: float,
                     now: float) -> int:
    """Step detection through the replayed outage hour by hour, as if it had run then, so its incident exists."""
    # No alert goes out: the demo's outage is history, not news.
    quiet = replace(settings, RADAR_WEBHOOK_URLS=(), RADAR_SLACK_WEBHOOK_URLS=())
    muted = [replace(s, webhooks=(), slack_webhooks=()) for s in services if s.slug == OUTAGE_SERVICE]
    steps = 0
    moment = outage - 3600
    while moment < min(now, outage + (RAMP + PLATEAU + DECAY + 60) * 60):
        moment += 3600
        steps += evaluate.evaluate(redis, queue_redis, quiet, muted, min(moment, now)).steps
    return steps


def official_incident(onset: float, now: float) -> dict | None:
    """The vendor's incident about the outage at `onset` as its status page lists it at `now`; None before it posts."""
    posts = [(onset + after * 60, status, onset + (after if shown is None else shown) * 60, body)
             for after, status, shown, body in OFFICIAL_POSTS if onset + after * 60 <= now]
    if not posts:
        return None
    uid = "demo" + iso(onset)[:10].replace("-", "")
    newest = posts[-1]
    # Built as the page's JSON and read by the poller's parser, so the demo stores exactly what a poll would.
    return parse_incident({
        "id": uid, "name": OFFICIAL_NAME, "status": newest[1], "impact": "major", "shortlink": None,
        "created_at": iso(posts[0][0]), "started_at": iso(posts[0][2]),
        "resolved_at": iso(newest[0]) if newest[1] == "resolved" else None,
        "incident_updates": [{"id": f"{uid}-{status}", "status": status, "created_at": iso(at),
                              "display_at": iso(shown), "body": body} for at, status, shown, body in posts]})


def official_components(incident: dict | None) -> list[dict]:
    """The outage service's component statuses: claude.ai down while the vendor's incident is open."""
    down = incident is not None and incident["resolved_at"] is None
    return [{"id": f"demo{n}", "name": name, "status": "major_outage" if down and n == 0 else "operational"}
            for n, name in enumerate(OFFICIAL_COMPONENTS)]


def seed_official(redis, services: list[Service], now: float) -> dict | None:
    """What the status pages say at `now`: the vendor's posts about the latest outage, else all operational."""
    onset = last_outage(now - DAYS * 86400, now)
    posted = None
    for service in services:
        if service.statuspage_api is None:
            continue
        listed = [{"id": "demo0", "name": service.name, "status": "operational"}]
        if service.slug == OUTAGE_SERVICE:
            posted = None if onset is None else official_incident(onset, now)
            store_incidents(redis, service.slug, [posted] if posted else [], now)
            listed = official_components(posted)
        store_components(redis, service.slug, listed, now)
    return posted


def seed_catalog(settings: Settings, now: float) -> str:
    """Seed every service of the catalog and replay the outage's detection; a line saying what was written."""
    from aggregator.base.catalog import load_catalog
    from aggregator.base.stores import data_client, queue_client

    services = list(load_catalog(settings.RADAR_SERVICES_FILE, allow_http=settings.RADAR_STATUSPAGE_ALLOW_HTTP))
    with data_client(settings) as redis, queue_client(settings) as queue_redis:
        seeded = seed(redis, services, now)
        if seeded.outage is not None:
            replay_detection(redis, queue_redis, settings, services, seeded.outage, now)
        posted = seed_official(redis, services, now)
    hours = (seeded.end - seeded.start) / 3600
    outage = f"; {OUTAGE_SERVICE} outage replayed from {iso(seeded.outage)}" if seeded.outage else ""
    vendor = f"; its status page posted '{posted['status']}' at {posted['updates'][-1]['created_at']}" if posted else ""
    return f"demo data: {seeded.reports:,} reports over the last {hours:.1f} h{outage}{vendor}"
