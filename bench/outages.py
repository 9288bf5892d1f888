"""Simulated outages: per-minute report counts of sparse, medium and busy services with daily and weekly curves,
outages of 3× to 300× lasting 15 minutes to 6 hours, and one-minute bot bursts that are not outages; and how
well detection finds the outages (found, delay from onset, false alarms per service-week). Seeded."""
from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass, field

from workers.detect import Config, Detector, State

DAY = 86400
START = 1_767_225_600
"""2026-01-01 00:00 UTC, a Thursday: where every simulated history begins."""

HISTORY_DAYS = 21
"""History given as hourly totals, as the live job reads it from hour buckets (one old outage inside)."""
WARMUP_DAYS = 3
"""Minutes replayed before the scored week, so the detector has recent days to calibrate from."""
SCORED_DAYS = 7
OUTAGES_PER_WEEK = 2
BURSTS_PER_WEEK = 3
DETECTABLE = 15
"""Reports an outage must add before any detector could tell it from chance (a sparse service's 3× for a
quarter of an hour adds one or two)."""
FOUND_WITHIN = 30 * 60
"""An incident opened up to this long after an outage ended still counts as finding it (not a false alarm)."""

TIERS = {"sparse": 0.05, "medium": 2.0, "busy": 50.0}
"""Typical reports per minute of each kind of service."""


@dataclass
class Outage:
    start: float
    minutes: int
    factor: float
    excess: float = 0.0
    """Reports the outage adds to the baseline over its whole length."""


@dataclass
class Series:
    """One simulated service: hourly history, then per-minute counts with the outages and bursts planted in them."""

    tier: str
    hourly: list[tuple[float, float]]
    minutes: list[tuple[float, float]]
    scored_from: float
    outages: list[Outage] = field(default_factory=list)
    bursts: list[float] = field(default_factory=list)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw; above a mean of 30 the normal approximation, rounded."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    # Inversion: walk up the cumulative distribution from 0.
    u, k, p = rng.random(), 0, math.exp(-mean)
    cumulative = p
    while u > cumulative and k < 1000:
        k += 1
        p *= mean / k
        cumulative += p
    return k


def _rate_curve(rng: random.Random, base: float):
    """Reports per minute at time t: a daily swing (peak in the afternoon somewhere), quieter weekends."""
    swing = rng.uniform(0.4, 0.75)
    peak = rng.uniform(12, 20)
    weekend = rng.uniform(0.6, 0.9)

    def rate(ts: float) -> float:
        hour = (ts % DAY) / 3600
        weekday = (int(ts // DAY) + 3) % 7  # 0 = Monday; 1970-01-01 was a Thursday
        daily = 1 + swing * math.cos(2 * math.pi * (hour - peak) / 24)
        return base * daily * (weekend if weekday >= 5 else 1.0)

    return rate


def make_series(rng: random.Random, tier: str) -> Series:
    """A service of this tier with its history, an old outage, and the outages and bursts of the scored week."""
    base = TIERS[tier] * math.exp(rng.gauss(0, 0.3))
    rate = _rate_curve(rng, base)
    day_level: dict[int, float] = {}

    def level(ts: float) -> float:
        # Some days are busier than others (±10 %), and so is every hour a little (±5 %).
        day = int(ts // DAY)
        if day not in day_level:
            day_level[day] = math.exp(rng.gauss(0, 0.1))
        return day_level[day]

    minutes_from = START + HISTORY_DAYS * DAY
    scored_from = minutes_from + WARMUP_DAYS * DAY
    end = scored_from + SCORED_DAYS * DAY
    old = Outage(START + rng.uniform(7, HISTORY_DAYS - 2) * DAY, rng.randint(60, 360), rng.uniform(5, 50))
    hourly = []
    for hour in range(START, minutes_from, 3600):
        mean = sum(rate(hour + m * 60) for m in range(0, 60, 10)) * 10 * level(hour) * math.exp(rng.gauss(0, 0.05))
        if old.start <= hour < old.start + old.minutes * 60:
            mean *= old.factor
        hourly.append((float(hour), float(poisson(rng, mean))))
    outages = []
    for _ in range(OUTAGES_PER_WEEK):
        while True:
            start = scored_from + rng.randrange(0, SCORED_DAYS * DAY - 6 * 3600, 60)
            if all(abs(start - o.start) > DAY for o in outages):
                break
        minutes = round(math.exp(rng.uniform(math.log(15), math.log(360))))
        outages.append(Outage(float(start), minutes, math.exp(rng.uniform(math.log(3), math.log(300)))))
    bursts = [float(scored_from + rng.randrange(0, SCORED_DAYS * DAY, 60)) for _ in range(BURSTS_PER_WEEK)]
    burst_sizes = {b: rng.randint(4, 12) for b in bursts}
    minutes = []
    hour_noise = 1.0
    for ts in range(minutes_from, end, 60):
        if ts % 3600 == 0:
            hour_noise = math.exp(rng.gauss(0, 0.05))
        mean = rate(ts) * level(ts) * hour_noise
        for o in outages:
            if o.start <= ts < o.start + o.minutes * 60:
                mean *= o.factor
        for o in outages:
            if o.start <= ts < o.start + o.minutes * 60:
                o.excess += mean * (1 - 1 / o.factor)
        count = poisson(rng, mean) + burst_sizes.get(float(ts), 0)
        minutes.append((float(ts), float(count)))
    return Series(tier, hourly, minutes, scored_from, sorted(outages, key=lambda o: o.start), sorted(bursts))


@dataclass
class Result:
    """What detection made of a set of simulated services."""

    outages: int = 0
    found: int = 0
    delays: list[float] = field(default_factory=list)
    onset_errors: list[float] = field(default_factory=list)
    false_alarms: int = 0
    service_weeks: float = 0.0
    bursts: int = 0
    bursts_opened: int = 0
    by_tier: dict[str, list[int]] = field(default_factory=dict)
    missed: list[tuple[str, int, float, float]] = field(default_factory=list)
    detectable: list[int] = field(default_factory=lambda: [0, 0])
    """Outages adding at least `DETECTABLE` reports, and how many of them were found."""

    @property
    def found_share(self) -> float:
        return self.found / self.outages if self.outages else 0.0

    @property
    def false_alarms_per_week(self) -> float:
        return self.false_alarms / self.service_weeks if self.service_weeks else 0.0


def evaluate_series(series: Series, config: Config, result: Result) -> None:
    """Replay one service through the detector and score what it opened against what was planted."""
    detector = Detector(60, config, series.hourly)
    opened: list[tuple[float, float]] = []  # (when it was noticed: end of the opening minute, backdated onset)
    before = State.OK
    for ts, count in series.minutes:
        _, track = detector.observe(ts, count)
        if before is State.OK and track.state is not State.OK and ts >= series.scored_from:
            opened.append((ts + 60, track.run_start if track.run_start is not None else ts))
        before = track.state
    tier = result.by_tier.setdefault(series.tier, [0, 0])
    used = set()
    for outage in series.outages:
        result.outages += 1
        tier[0] += 1
        big = outage.excess >= DETECTABLE
        result.detectable[0] += big
        end = outage.start + outage.minutes * 60
        hits = [(i, seen, onset) for i, (seen, onset) in enumerate(opened) if outage.start < seen <= end + FOUND_WITHIN]
        used.update(i for i, _, _ in hits)
        if hits:
            _, seen, onset = hits[0]
            result.found += 1
            tier[1] += 1
            result.detectable[1] += big
            result.delays.append((seen - outage.start) / 60)
            result.onset_errors.append((onset - outage.start) / 60)
        else:
            result.missed.append((series.tier, outage.minutes, outage.factor, outage.excess))
    false = [i for i in range(len(opened)) if i not in used]
    result.false_alarms += len(false)
    result.service_weeks += SCORED_DAYS / 7
    for burst in series.bursts:
        result.bursts += 1
        if any(burst < opened[i][0] <= burst + 600 for i in false):
            result.bursts_opened += 1


def simulate(services: int = 60, seed: int = 3, config: Config = Config()) -> Result:
    """Make `services` services (a third of each tier) and evaluate detection on each."""
    rng = random.Random(seed)
    result = Result()
    tiers = list(TIERS)
    for n in range(services):
        evaluate_series(make_series(rng, tiers[n % len(tiers)]), config, result)
    return result


def describe(result: Result) -> str:
    delay = statistics.median(result.delays) if result.delays else float("nan")
    onset = statistics.median(result.onset_errors) if result.onset_errors else float("nan")
    tiers = ", ".join(f"{tier} {found}/{total}" for tier, (total, found) in result.by_tier.items())
    big, found_big = result.detectable
    return (f"outages found {result.found}/{result.outages} ({100 * result.found_share:.1f} %: {tiers}; "
            f"{found_big}/{big} of those adding {DETECTABLE}+ reports); "
            f"median delay {delay:.0f} min from onset (backdated onset {onset:+.0f} min); "
            f"false alarms {result.false_alarms} in {result.service_weeks:.0f} service-weeks "
            f"({result.false_alarms_per_week:.2f} per service-week); "
            f"bot bursts that opened an incident {result.bursts_opened}/{result.bursts}")
