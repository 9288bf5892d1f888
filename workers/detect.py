"""Spike detection as pure functions: baseline profile, tail-probability score, and a state machine."""
from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Iterable, Sequence

HOURS_PER_WEEK = 168
WEEK = HOURS_PER_WEEK * 3600

FLOOR_PER_HOUR = 3.0
"""Expected reports per hour of a service with no history: a few stray reports are normal anywhere."""


class State(str, Enum):
    """What a service (or a service in one country) looks like right now."""

    OK = "ok"
    DEGRADED = "degraded"
    OUTAGE = "outage"


class Quality(str, Enum):
    """How much history the baseline was learned from."""

    WEEKLY = "weekly"
    DAILY = "daily"
    FLOOR = "floor"


def hour_of_week(ts: float) -> int:
    """0 for Monday 00:00-01:00 UTC … 167 for Sunday 23:00-24:00 UTC (1970-01-01 was a Thursday)."""
    hours = int(ts // 3600)
    return (hours + 3 * 24) % HOURS_PER_WEEK


@dataclass(frozen=True)
class Profile:
    """Expected reports per hour for each hour of the week, and what it was learned from."""

    rates: tuple[float, ...]
    quality: Quality

    def expected(self, ts: float, bucket_seconds: int) -> float:
        """Expected count of the bucket starting at `ts`."""
        return self.rates[hour_of_week(ts)] * bucket_seconds / 3600


def learn_profile(hourly: Iterable[tuple[float, float]], now: float) -> Profile:
    """Hour-of-week profile from (hour start, count) pairs before `now`; medians, so past outages do not count."""
    by_slot: dict[int, list[float]] = {}
    by_hour_of_day: dict[int, list[float]] = {}
    first = now
    for start, count in hourly:
        if start >= now:
            continue
        first = min(first, start)
        by_slot.setdefault(hour_of_week(start), []).append(count)
        by_hour_of_day.setdefault(int(start // 3600) % 24, []).append(count)
    span = now - first
    if span >= 3 * WEEK:
        rates = [statistics.median(by_slot.get(slot, [0.0])) for slot in range(HOURS_PER_WEEK)]
        quality = Quality.WEEKLY
    elif span >= 2 * 86400:
        rates = [statistics.median(by_hour_of_day.get(slot % 24, [0.0])) for slot in range(HOURS_PER_WEEK)]
        quality = Quality.DAILY
    else:
        return Profile(tuple([FLOOR_PER_HOUR] * HOURS_PER_WEEK), Quality.FLOOR)
    smoothed = [(rates[i - 1] + 2 * rates[i] + rates[(i + 1) % HOURS_PER_WEEK]) / 4 for i in range(HOURS_PER_WEEK)]
    return Profile(tuple(max(rate, FLOOR_PER_HOUR) for rate in smoothed), quality)


def poisson_tail_log10(count: float, mean: float) -> float:
    """-log10 P(X >= count) for X ~ Poisson(mean): 0 when unsurprising, 10 for a one-in-ten-billion count."""
    if count <= mean:
        return 0.0
    k = math.floor(count)
    # Sum the upper tail in log space from its first term; terms shrink fast once k > mean.
    log_term = -mean + k * math.log(mean) - math.lgamma(k + 1)
    log_sum, term, j = log_term, log_term, k
    while True:
        j += 1
        term += math.log(mean) - math.log(j)
        if term < log_sum - 40:
            break
        log_sum = max(log_sum, term) + math.log1p(math.exp(-abs(log_sum - term)))
    return max(0.0, -log_sum / math.log(10))


@dataclass(frozen=True)
class Config:
    """One configuration for every series: thresholds in -log10 probability, counts in reports."""

    window: int = 3
    """Buckets summed for the score, besides the latest bucket alone."""
    degraded_score: float = 6.0
    outage_score: float = 12.0
    outage_ratio: float = 3.0
    """An outage is also this many times the baseline, not merely improbable."""
    min_excess: float = 8.0
    """Reports above the baseline needed before anything counts as anomalous."""
    open_after: int = 2
    """Consecutive anomalous buckets before a state leaves ok."""
    resolve_after: int = 10
    """Consecutive calm buckets before a state returns to ok."""
    calm_score: float = 3.0


@dataclass(frozen=True)
class Assessment:
    """The score of the latest bucket and the evidence behind it."""

    score: float
    count: float
    expected: float
    level: State


def assess(counts: Sequence[float], expected: Sequence[float], config: Config = Config()) -> Assessment:
    """Score the latest bucket from the last `config.window` buckets and say which state it points to."""
    best = 0.0
    for width in (1, config.window):
        total, mean = sum(counts[-width:]), sum(expected[-width:])
        if total - mean >= config.min_excess * (1 if width == 1 else 1.5):
            best = max(best, poisson_tail_log10(total, mean))
    count, mean = counts[-1], expected[-1]
    if best >= config.outage_score and count >= config.outage_ratio * mean:
        level = State.OUTAGE
    elif best >= config.degraded_score:
        level = State.DEGRADED
    else:
        level = State.OK
    return Assessment(best, count, mean, level)


@dataclass(frozen=True)
class Track:
    """The state machine's memory between buckets; plain values so it can be stored anywhere."""

    state: State = State.OK
    hot: int = 0
    calm: int = 0
    run_start: float | None = None
    """Start of the first anomalous bucket of the current run: the onset an incident is backdated to."""

    def to_dict(self) -> dict:
        return {**asdict(self), "state": self.state.value}

    @classmethod
    def from_dict(cls, data: dict) -> "Track":
        run_start = data.get("run_start")
        return cls(state=State(data.get("state", "ok")), hot=int(data.get("hot", 0)), calm=int(data.get("calm", 0)),
                   run_start=None if run_start in (None, "", "None") else float(run_start))


_RANK = {State.OK: 0, State.DEGRADED: 1, State.OUTAGE: 2}


def step(track: Track, bucket_start: float, assessment: Assessment, config: Config = Config()) -> Track:
    """Advance the state machine by one bucket; hysteresis: slow to open, slower to resolve."""
    anomalous = assessment.level is not State.OK
    if anomalous:
        run_start = track.run_start if track.hot or track.state is not State.OK else bucket_start
        hot = track.hot + 1
        state = track.state
        if hot >= config.open_after and _RANK[assessment.level] > _RANK[state]:
            state = assessment.level
        return Track(state=state, hot=hot, calm=0, run_start=run_start)
    if track.state is State.OK:
        return Track()
    calm = track.calm + 1 if assessment.score < config.calm_score else 0
    if calm >= config.resolve_after:
        return Track()
    return replace(track, hot=0, calm=calm)
