"""What normal looks like: an hour-of-week profile of expected reports, learned robustly from hourly counts."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from enum import Enum
from typing import Iterable

HOURS_PER_WEEK = 168
WEEK = HOURS_PER_WEEK * 3600
DAY = 86400

FLOOR_PER_HOUR = 1.0
"""Expected reports per hour of a service with no history: a few stray reports are normal anywhere."""

WEEKLY_AFTER = 3 * WEEK
"""History needed before each hour of the week gets its own expectation (three of each)."""

DAILY_AFTER = 2 * DAY
"""History needed before the hour of the day is learned; until then the floor (or the level seen so far)."""

WEEKS_KEPT = 3
"""Weeks of history a weekly profile looks at: recent enough to follow a service that grows."""

DAYS_KEPT = 14
"""Days of history a daily profile looks at."""

FLOOR_MIN_HOURS = 1
"""Hours seen before a cold-start floor is raised to the level of the service so far."""

COLD_DISPERSION = 0.25
"""Relative variance assumed before it can be measured: a cold profile is a guess, so wide (±50 %)."""

BLIND_DISPERSION = 100.0
"""Relative variance with no history at all: the floor is a pure guess (a gamma of shape 0.01 is nearly
scale-free), so only a flood stands out of it."""

MIN_DISPERSION = 0.003
"""Least relative variance: even a perfect history predicts an hour only to a few per cent."""

MAX_DISPERSION = 4.0

OUTLIER_FACTOR = 2.0
"""A value above this many times the typical one (plus Poisson room) is a past incident and is left out."""

_CHI2_MEDIAN = 0.4549
"""Median of a squared standard normal: what a squared standardized residual is half the time."""


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
    """Expected reports per hour for each hour of the week, what it was learned from, and how noisy counts are."""

    # `dispersion` is the relative variance of counts around the profile: a count with expectation m varies by
    # m + dispersion × m² (0 is pure Poisson; 0.1 means the rate itself wanders by about ±30 %).

    rates: tuple[float, ...]
    quality: Quality
    dispersion: float = 0.0

    def expected(self, ts: float, bucket_seconds: int) -> float:
        """Expected count of the bucket starting at `ts`."""
        return self.rates[hour_of_week(ts)] * bucket_seconds / 3600

    def to_dict(self) -> dict:
        return {"rates": list(self.rates), "quality": self.quality.value, "dispersion": self.dispersion}

    @classmethod
    def from_dict(cls, data: dict) -> "Profile":
        return cls(tuple(float(r) for r in data["rates"]), Quality(data["quality"]),
                   float(data.get("dispersion", 0.0)))


def floor_profile(rate: float = FLOOR_PER_HOUR, dispersion: float = COLD_DISPERSION) -> Profile:
    """The profile of a service without enough history: flat, and wide."""
    return Profile(tuple([max(rate, FLOOR_PER_HOUR)] * HOURS_PER_WEEK), Quality.FLOOR, dispersion)


def _typical(values: list[float]) -> float:
    """Mean of the values that are not past incidents: robust like a median, but not stuck at 0 for rare counts."""
    values = sorted(values)
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    limit = OUTLIER_FACTOR * median + 3.0 * median ** 0.5 + 3.0
    kept = [v for v in values if v <= limit]
    return sum(kept) / len(kept)


def _dispersion(pairs: list[tuple[float, float]]) -> float:
    """Relative variance that makes the median squared standardized residual what it is under that variance."""
    if len(pairs) < 24:
        return COLD_DISPERSION
    squares = [((count - mean) ** 2, mean) for count, mean in pairs if mean > 0]
    if not squares:  # nothing but zeros learned (a country's first reports ever): no noise to measure
        return COLD_DISPERSION

    def median_z2(phi: float) -> float:
        return statistics.median([sq / (m + phi * m * m) for sq, m in squares])

    if median_z2(MIN_DISPERSION) <= _CHI2_MEDIAN:
        return MIN_DISPERSION
    if median_z2(MAX_DISPERSION) >= _CHI2_MEDIAN:
        return MAX_DISPERSION
    low, high = MIN_DISPERSION, MAX_DISPERSION
    for _ in range(10):
        middle = (low * high) ** 0.5
        if median_z2(middle) > _CHI2_MEDIAN:
            low = middle
        else:
            high = middle
    return (low * high) ** 0.5


def learn_profile(hourly: Iterable[tuple[float, float]], now: float) -> Profile:
    """Hour-of-week profile from (hour start, count) pairs before `now`, robust to past outages."""
    # Each hour of the week (or of the day, with less history) takes the mean of its recent values and its
    # neighbours' after the values far above the median are dropped, so last Tuesday's outage does not raise
    # this Tuesday's baseline. The dispersion is measured from how far the last week's hours strayed from it.
    hourly = [(start, count) for start, count in hourly if start < now]
    pairs = [(start, count) for start, count in hourly if start >= now - WEEKS_KEPT * WEEK]
    if not pairs:
        return floor_profile(dispersion=BLIND_DISPERSION)
    span = now - min(start for start, _ in hourly)
    if span < DAILY_AFTER:
        if len(pairs) < FLOOR_MIN_HOURS:
            return floor_profile(dispersion=BLIND_DISPERSION)
        counts = sorted(count for _, count in pairs)
        return floor_profile(counts[3 * len(counts) // 4])
    weekly = span >= WEEKLY_AFTER
    slots = HOURS_PER_WEEK if weekly else 24
    by_slot: list[list[float]] = [[] for _ in range(slots)]
    for start, count in pairs:
        if weekly:
            by_slot[hour_of_week(start)].append(count)
        elif start >= now - DAYS_KEPT * DAY:
            by_slot[int(start // 3600) % 24].append(count)
    # A slot borrows its neighbours' values (an hour either side), counted once to its own twice.
    rates = []
    for slot in range(slots):
        own, before, after = by_slot[slot], by_slot[slot - 1], by_slot[(slot + 1) % slots]
        values = own + own + before + after
        rates.append(_typical(values) if values else 0.0)
    if not weekly:
        # Hour 0 of the week is midnight, so the hour of the day of a slot is the slot modulo 24.
        rates = [rates[slot % 24] for slot in range(HOURS_PER_WEEK)]
    # The noise is measured against the rates as learned: against the floor, a quiet service's hours would all
    # look too low, and that would pass for a wandering rate.
    residuals = [(count, rates[hour_of_week(start)]) for start, count in pairs if start >= now - 7 * DAY]
    return Profile(tuple(max(rate, FLOOR_PER_HOUR) for rate in rates), Quality.WEEKLY if weekly else Quality.DAILY,
                   _dispersion(residuals))
