"""The evaluate job: step each service's detectors minute by minute, keeping incidents and a status record."""
from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field

from aggregator.base.catalog import Service
from aggregator.base.settings import Settings
from aggregator.base.times import iso

from . import alerts, detect, incidents, keys, profiles
from .buckets import COUNTRY, Bucket, read_buckets
from .detect import Config, Profile, State, Track
from .profiles import OVERALL

CATCH_UP_MINUTES = 60
"""Minutes stepped at most in one run: after a longer pause, older minutes are skipped, not replayed."""

REFRESH_MINUTES = 5
"""Minutes already stepped that each run reads again, so reports drained late still count in later windows."""

SETTLE_SECONDS = 10
"""A minute counts as complete this long after its end, so reports still being drained are in its bucket."""

LOCK_SECONDS = 120
"""Upper bound on one run over a service; a job that dies holding the lock blocks the service this long."""

TRACK_TTL = 30 * 86400
"""Tracks are refreshed every run; a service left unevaluated this long starts afresh."""

STATUS_TTL = 7 * 86400
"""A status record outlives a stopped scheduler by a week; its evaluated_at shows how old it is."""

PROFILE_REBUILDS = 40
"""Services whose baseline is learned again in one run (each reads five weeks of hourly buckets)."""

# Deletes the lock only if this run still holds it: after LOCK_SECONDS another run may have taken it.
RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass
class Record:
    """One track as stored between runs: the state machine, the last minute it saw and what it last found."""

    track: Track = field(default_factory=Track)
    last: int | None = None
    incident_id: str | None = None
    since: float | None = None
    score: float | None = None
    current: float | None = None
    baseline: float | None = None
    quality: str | None = None
    recent: list[int] = field(default_factory=list)
    """Counts of the minutes up to `last`, as many as the longest window: next run reads only new buckets."""

    def to_json(self) -> str:
        # Zeros written as nothing: most minutes of most countries have no reports, and this is read every run.
        recent = ",".join(str(c) if c else "" for c in self.recent)
        return json.dumps({**self.track.to_dict(), "last": self.last, "incident_id": self.incident_id,
                           "since": self.since, "score": self.score, "current": self.current,
                           "baseline": self.baseline, "quality": self.quality, "recent": recent})

    @classmethod
    def from_json(cls, raw: str) -> "Record":
        data = json.loads(raw)
        recent = [int(c) if c else 0 for c in data["recent"].split(",")] if data.get("recent") else []
        return cls(Track.from_dict(data), data.get("last"), data.get("incident_id"), data.get("since"),
                   data.get("score"), data.get("current"), data.get("baseline"), data.get("quality"), recent)

    def covers(self, first: int, last: int) -> bool:
        """Whether `recent` holds the counts of minutes `first`..`last`."""
        return self.last is not None and self.last - len(self.recent) < first and last <= self.last

    @property
    def active(self) -> bool:
        return self.track.state is not State.OK or self.incident_id is not None

    def view(self) -> dict:
        """The status fields of this track."""
        return {"state": self.track.state.value,
                "score": None if self.score is None else round(self.score, 2),
                "current": self.current,
                "baseline": None if self.baseline is None else round(self.baseline, 2),
                "since": None if self.since is None else iso(self.since),
                "incident_id": self.incident_id, "baseline_quality": self.quality}


def never_evaluated(slug: str) -> dict:
    """The status of a service no run has evaluated yet: ok, with nothing known."""
    return {"service": slug, **Record().view(), "evaluated_at": None, "countries": []}


@dataclass
class _Plan:
    """What one run does for one service."""

    redis: object
    service: Service
    records: dict[str, Record]
    cached: profiles.Cached
    tracks: list[str]
    """Tracks this run looks after: the service, its top countries, and countries with an open incident."""
    starts: dict[str, int] = field(default_factory=dict)
    """First minute each track steps this run; tracks already up to date are not in it."""
    baselines: dict[str, Profile] = field(default_factory=dict)
    buckets: dict[int, Bucket] = field(default_factory=dict)
    incidents: dict[str, dict] = field(default_factory=dict)
    first: int = 0

    @property
    def slug(self) -> str:
        return self.service.slug

    def bucket(self, minute: int) -> Bucket:
        """A minute bucket: from the batch read, or read now for an older peak of an incident just opened."""
        if minute not in self.buckets:
            self.buckets[minute] = read_buckets(self.redis, self.slug, keys.MINUTE, minute, minute)[0]
        return self.buckets[minute]


@dataclass
class _Outcome:
    """What stepping one service changed."""

    plan: _Plan
    stepped: dict[str, Record] = field(default_factory=dict)
    changed: dict[str, dict] = field(default_factory=dict)
    events: list[tuple[str, dict]] = field(default_factory=list)
    steps: int = 0


@dataclass(frozen=True)
class Result:
    """What one run did: services stepped, minutes stepped over all tracks, services another run held, alerts."""

    services: int
    steps: int
    skipped: list[str]
    events: int
    learned: int


def _begin(redis, services: list[Service], now: float, token: str, top: int) -> tuple[list[_Plan], list[str]]:
    """Take each service's lock and read its tracks, baseline meta and last hour's countries in one round trip."""
    quarters = range(keys.QUARTER.index(now - 3600), keys.QUARTER.index(now) + 1)
    with redis.pipeline(transaction=False) as pipe:
        for service in services:
            pipe.set(keys.evaluating(service.slug), token, nx=True, ex=LOCK_SECONDS)
            pipe.hgetall(keys.tracks(service.slug))
            profiles.read_meta(pipe, service.slug)
            for q in quarters:
                pipe.hgetall(keys.bucket(service.slug, keys.QUARTER, q))
        raw = pipe.execute()
    plans, skipped, width = [], [], 3 + len(quarters)
    for n, service in enumerate(services):
        locked, tracks, meta, *recent = raw[n * width:(n + 1) * width]
        if not locked:
            skipped.append(service.slug)
            continue
        records = {name: Record.from_json(value) for name, value in tracks.items()}
        counts = Counter()
        for q, bucket in zip(quarters, recent):
            counts.update(Bucket.from_hash(q * keys.QUARTER.seconds, bucket).countries)
        ranked = sorted((c for c in counts if COUNTRY.fullmatch(c)), key=lambda c: (-counts[c], c))[:top]
        active = {name for name, record in records.items() if name != OVERALL and record.active}
        tracks = [OVERALL, *sorted(set(ranked) | active)]
        plans.append(_Plan(redis, service, records, profiles.parse_meta(meta), tracks))
    return plans, skipped


def _learn(redis, plans: list[_Plan], now: float, top: int) -> int:
    """Learn the profiles that are missing, stale or lack a country, oldest first, at most PROFILE_REBUILDS."""
    due = [p for p in plans if not p.cached.fresh(now) or not all(map(p.cached.covers, p.tracks))]
    due.sort(key=lambda p: (p.cached.learned_at is not None, p.cached.learned_at or 0))
    for plan in due[:PROFILE_REBUILDS]:
        plan.baselines = profiles.learn(redis, plan.slug, now, set(plan.tracks) - {OVERALL}, top)
        with redis.pipeline(transaction=False) as pipe:
            profiles.store(pipe, plan.slug, plan.baselines, now)
            pipe.execute()
    for plan in due[PROFILE_REBUILDS:]:
        # A stale baseline is still good for a while; a track without one waits for a later run.
        plan.tracks = [t for t in plan.tracks if plan.cached.covers(t)]
    return min(len(due), PROFILE_REBUILDS)


def _start(record: Record, cur: int) -> int:
    """The first minute a track steps this run: the one after its last, but no more than CATCH_UP_MINUTES back."""
    floor = cur - CATCH_UP_MINUTES + 1
    return floor if record.last is None else max(record.last + 1, floor)


def _first_read(record: Record, start: int, history: int) -> int:
    """The first minute bucket a track needs read: only the latest few when its stored counts cover the rest."""
    if record.covers(start - history + 1, start - 1):
        return start - REFRESH_MINUTES
    return start - history + 1


def _read(redis, plans: list[_Plan], cur: int, history: int) -> None:
    """Read the minute buckets, baseline rates and open incidents every plan needs, in one round trip."""
    reads = []
    with redis.pipeline(transaction=False) as pipe:
        for plan in plans:
            records = {t: plan.records.get(t) or Record() for t in plan.tracks}
            plan.starts = {t: _start(r, cur) for t, r in records.items() if _start(r, cur) <= cur}
            if not plan.starts:
                continue
            plan.first = min(_first_read(records[t], start, history) for t, start in plan.starts.items())
            for minute in range(plan.first, cur + 1):
                pipe.hgetall(keys.bucket(plan.slug, keys.MINUTE, minute))
            hows = [] if plan.baselines else profiles.hours_of(min(plan.starts.values()) - history + 1, cur)
            if hows:
                profiles.read_rates(pipe, plan.slug, hows)
            open_ids = [records[t].incident_id for t in plan.starts if records[t].incident_id]
            for incident_id in open_ids:
                pipe.get(keys.incident(plan.slug, incident_id))
            reads.append((plan, hows, open_ids))
        raw = iter(pipe.execute())
    for plan, hows, open_ids in reads:
        plan.buckets = {m: Bucket.from_hash(m * 60, next(raw)) for m in range(plan.first, cur + 1)}
        if hows:
            plan.baselines = profiles.profiles_from(plan.cached, hows, next(raw))
        for incident_id in open_ids:
            value = next(raw)
            if value:
                plan.incidents[incident_id] = json.loads(value)


def _count(bucket: Bucket, country: str | None) -> int:
    return bucket.total if country is None else bucket.countries.get(country, 0)


def _series(plan: _Plan, record: Record, country: str | None, first: int, cur: int) -> list[int]:
    """Counts of minutes `first`..`cur`: stored ones, overwritten by every bucket read this run."""
    series = [0] * (cur - first + 1)
    if record.last is not None:
        for minute, count in enumerate(record.recent, start=record.last - len(record.recent) + 1):
            if first <= minute <= cur:
                series[minute - first] = count
    for minute in range(max(plan.first, first), cur + 1):
        series[minute - first] = _count(plan.buckets[minute], country)
    return series


def _step_track(plan: _Plan, out: _Outcome, name: str, cur: int, history: int, config: Config) -> None:
    """Step one track over the minutes it has not seen, opening, updating and resolving its incident."""
    record = plan.records.get(name) or Record()
    country = None if name == OVERALL else name
    profile = plan.baselines[name]
    incident = plan.incidents.get(record.incident_id) if record.incident_id else None
    start = plan.starts[name]
    first = start - history + 1
    counts = _series(plan, record, country, first, cur)
    starts = [float(m * 60) for m in range(first, cur + 1)]
    expected = [profile.expected(ts, 60) for ts in starts]
    for minute in range(start, cur + 1):
        window = slice(minute - history + 1 - first, minute + 1 - first)
        found, after = detect.evaluate(profile, starts[window], counts[window], record.track, config, 60,
                                       expected[window])
        before = record.track
        record.track, record.score, record.current, record.baseline = after, found.score, found.count, found.expected
        out.steps += 1
        event = None
        if before.state is State.OK and after.state is not State.OK:
            incident = incidents.open_incident(plan.slug, country, after.state, after.run_start, (minute + 1) * 60)
            # The peak so far may lie anywhere since the backdated onset.
            onset = max(int(after.run_start // 60), first)
            peak = max(range(onset, minute + 1), key=lambda m: (counts[m - first], -m))
            incidents.observe(incident, plan.bucket(peak), counts[peak - first], expected[peak - first])
            record.incident_id, record.since, event = incident["id"], after.run_start, "opened"
        elif before.state is not State.OK and after.state is State.OK:
            # Backdated like the onset: resolved where the calm stretch that closed it began.
            resolved_at = after.quiet_from if after.quiet_from is not None else minute * 60
            if incident is not None:
                incidents.resolve(incident, resolved_at)
                out.changed[incident["id"]] = incident
                out.events.append(("resolved", json.loads(json.dumps(incident))))
            record.incident_id, record.since, incident = None, resolved_at, None
        elif after.state is not before.state and incident is not None:
            incidents.change_state(incident, after.state, minute * 60)
            event = "state_changed"
        if incident is not None:
            if incidents.observe(incident, plan.bucket(minute), found.count, found.expected) or event:
                out.changed[incident["id"]] = incident
            if event:
                out.events.append((event, json.loads(json.dumps(incident))))
    record.last, record.recent = cur, counts[-history:]
    record.quality = profile.quality.value
    out.stepped[name] = record


def _step_service(plan: _Plan, cur: int, history: int, config: Config) -> _Outcome:
    out = _Outcome(plan)
    for name in plan.starts:
        _step_track(plan, out, name, cur, history, config)
    return out


def _status(out: _Outcome, now: float) -> dict:
    """The service's status record: its overall track, and every country that is not ok."""
    records = {**out.plan.records, **out.stepped}
    countries = [{"country": name, **record.view()} for name, record in sorted(records.items())
                 if name in out.plan.tracks and name != OVERALL and record.track.state is not State.OK]
    return {"service": out.plan.slug, **records[OVERALL].view(), "evaluated_at": iso(now), "countries": countries}


def _write(redis, outcomes: list[_Outcome], now: float) -> None:
    """Store tracks, status records and changed incidents of every service in one round trip."""
    with redis.pipeline(transaction=False) as pipe:
        for out in outcomes:
            if not out.stepped:
                continue
            slug = out.plan.slug
            pipe.hset(keys.tracks(slug), mapping={name: r.to_json() for name, r in out.stepped.items()})
            # Countries that fell out of the top and are calm carry nothing worth keeping.
            dropped = [n for n, r in out.plan.records.items() if n not in out.plan.tracks and not r.active]
            if dropped:
                pipe.hdel(keys.tracks(slug), *dropped)
            pipe.expire(keys.tracks(slug), TRACK_TTL)
            pipe.set(keys.status(slug), json.dumps(_status(out, now), separators=(",", ":")), ex=STATUS_TTL)
            for incident in out.changed.values():
                incidents.save(pipe, incident, now)
        pipe.execute()


def _release(redis, slugs: list[str], token: str) -> None:
    release = redis.register_script(RELEASE_LOCK)
    with redis.pipeline(transaction=False) as pipe:
        for slug in slugs:
            release(keys=[keys.evaluating(slug)], args=[token], client=pipe)
        pipe.execute()


def evaluate(redis, queue_redis, settings: Settings, services: list[Service], now: float,
             config: Config = Config()) -> Result:
    """Step every service (and its top countries) over each completed minute since its last run, up to `now`."""
    cur = keys.MINUTE.index(now - SETTLE_SECONDS) - 1
    history = detect.history_buckets(config, 60)
    token = uuid.uuid4().hex
    plans, skipped = _begin(redis, services, now, token, settings.RADAR_DETECT_COUNTRIES)
    try:
        learned = _learn(redis, plans, now, settings.RADAR_DETECT_COUNTRIES)
        _read(redis, plans, cur, history)
        outcomes = [_step_service(plan, cur, history, config) for plan in plans if plan.starts]
        _write(redis, outcomes, now)
    finally:
        _release(redis, [plan.slug for plan in plans], token)
    pending = [(out.plan.service, event, incident) for out in outcomes for event, incident in out.events]
    known = alerts.with_lead_times(redis, settings, [incident for _, _, incident in pending], now)
    for (service, event, _), incident in zip(pending, known):
        alerts.notify(queue_redis, settings, service, incident, event)
    return Result(services=len(outcomes), steps=sum(o.steps for o in outcomes), skipped=skipped,
                  events=len(pending), learned=learned)


def read_statuses(redis, slugs: list[str]) -> list[dict]:
    """The status records of many services in one round trip; a service never evaluated reads as ok."""
    with redis.pipeline(transaction=False) as pipe:
        for slug in slugs:
            pipe.get(keys.status(slug))
        raws = pipe.execute()
    return [json.loads(raw) if raw else never_evaluated(slug) for slug, raw in zip(slugs, raws)]
