"""Learned profiles cached in Redis: the hour-of-week baseline of a service and of each of its countries."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from enum import Enum

from . import keys
from .buckets import UNKNOWN, read_buckets
from .detect import FLOOR_PER_HOUR, HOURS_PER_WEEK, Profile, Quality, hour_of_week, learn_profile

OVERALL = "*"
"""The track name of a service as a whole; country tracks are named by their ISO code."""

_PROFILE_FIELDS = {f.name for f in fields(Profile)}

HISTORY_HOURS = 5 * 7 * 24
"""Hourly buckets read to learn a profile: five weeks, as the backtest's detector keeps."""

MAX_AGE = 6 * 3600
"""Seconds a learned profile is used before it is learned again; an hour more of five weeks barely moves it."""

TTL = 7 * 86400
"""A cached profile of a service nobody evaluates any more goes away after this."""

_META = ("learned_at", "tracks")


def _meta(profile: Profile) -> dict:
    """Everything of a profile but its rates, as JSON values."""
    out = {}
    for f in fields(profile):
        if f.name != "rates":
            value = getattr(profile, f.name)
            out[f.name] = value.value if isinstance(value, Enum) else value
    return out


@dataclass(frozen=True)
class Cached:
    """What a service's cached profile covers: when it was learned and each track's profile less its rates."""

    learned_at: float | None = None
    tracks: dict[str, dict] = field(default_factory=dict)

    def fresh(self, now: float) -> bool:
        return self.learned_at is not None and 0 <= now - self.learned_at < MAX_AGE

    def covers(self, track: str) -> bool:
        return track in self.tracks


def read_meta(pipe, slug: str) -> None:
    """Queue the read of a cached profile's meta on a pipeline; `parse_meta` turns the answer into Cached."""
    pipe.hmget(keys.baseline(slug), *_META)


def parse_meta(raw: list) -> Cached:
    learned_at, tracks = raw
    if learned_at is None or tracks is None:
        return Cached()
    return Cached(float(learned_at), json.loads(tracks))


def learn(redis, slug: str, now: float, countries: set[str], top: int) -> dict[str, Profile]:
    """Profiles of the service and of `countries` plus its `top` countries of the history, from five weeks of hours."""
    last = keys.HOUR.index(now) - 1
    buckets = read_buckets(redis, slug, keys.HOUR, last - HISTORY_HOURS + 1, last)
    # History starts at the first hour with a report: hours before the service was watched are not quiet hours.
    first = next((i for i, b in enumerate(buckets) if b.total), len(buckets))
    history = buckets[first:]
    totals = Counter()
    for b in history:
        totals.update(b.countries)
    totals.pop(UNKNOWN, None)
    wanted = set(countries) | {c for c, _ in totals.most_common(top)}
    # Learned as of the start of the hour, as the backtest's detector learns it, from complete hours only.
    hour = keys.HOUR.index(now) * 3600
    profiles = {OVERALL: learn_profile([(b.start, b.total) for b in history], hour)}
    for country in sorted(wanted):
        profiles[country] = learn_profile([(b.start, b.countries.get(country, 0)) for b in history], hour)
    return profiles


def store(pipe, slug: str, profiles: dict[str, Profile], now: float) -> None:
    """Queue the write of learned profiles: one hash field per hour of the week holding every track's rate."""
    key = keys.baseline(slug)
    mapping = {"learned_at": repr(now), "tracks": json.dumps({t: _meta(p) for t, p in profiles.items()})}
    for how in range(HOURS_PER_WEEK):
        mapping[f"h:{how}"] = json.dumps({t: round(p.rates[how], 4) for t, p in profiles.items()})
    pipe.delete(key)
    pipe.hset(key, mapping=mapping)
    pipe.expire(key, TTL)


def hours_of(first_minute: int, last_minute: int) -> list[int]:
    """The hours of the week that minutes `first_minute`..`last_minute` fall in."""
    hours = range(first_minute * 60 // 3600, last_minute * 60 // 3600 + 1)
    return sorted({hour_of_week(h * 3600) for h in hours})


def read_rates(pipe, slug: str, hows: list[int]) -> None:
    """Queue the read of the rates of a few hours of the week; `profiles_from` rebuilds profiles from them."""
    pipe.hmget(keys.baseline(slug), *(f"h:{how}" for how in hows))


def profiles_from(cached: Cached, hows: list[int], raw: list) -> dict[str, Profile]:
    """Profiles holding only the hours read: enough for the minutes being evaluated, a fraction of the bytes."""
    # Hours not read are never looked at; the floor keeps a missing field from meaning "expect nothing".
    rates = {track: [FLOOR_PER_HOUR] * HOURS_PER_WEEK for track in cached.tracks}
    for how, value in zip(hows, raw):
        for track, rate in json.loads(value or "{}").items():
            if track in rates:
                rates[track][how] = rate
    out = {}
    for track, values in rates.items():
        meta = cached.tracks[track]
        # Only the fields Profile has today: a cache written by an older version must not break the run.
        known = {k: v for k, v in meta.items() if k in _PROFILE_FIELDS}
        out[track] = Profile(**{**known, "rates": tuple(values), "quality": Quality(meta["quality"])})
    return out
