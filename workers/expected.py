"""The learned baseline read back for display: expected reports per bucket and the count at which one is flagged."""
from __future__ import annotations

import math

from . import profiles
from .baseline import Profile
from .detect import Config
from .profiles import OVERALL
from .score import tail_log10


def read_profiles(redis, slugs: list[str], start: float, end: float) -> dict[str, Profile | None]:
    """Each service's overall profile holding the hours of [start, end); None where none has been learned yet."""
    hows = profiles.hours_of(int(start // 60), int((end - 1) // 60))
    with redis.pipeline(transaction=False) as pipe:
        for slug in slugs:
            profiles.read_meta(pipe, slug)
            profiles.read_rates(pipe, slug, hows)
        raws = pipe.execute()
    out = {}
    for n, slug in enumerate(slugs):
        cached = profiles.parse_meta(raws[2 * n])
        if not cached.covers(OVERALL):
            out[slug] = None
            continue
        # Only the service's own track: its countries' profiles would be built and thrown away.
        overall = profiles.Cached(cached.learned_at, {OVERALL: cached.tracks[OVERALL]})
        out[slug] = profiles.profiles_from(overall, hows, raws[2 * n + 1])[OVERALL]
    return out


def expected_counts(profile: Profile, starts: list[float], seconds: int) -> list[float]:
    """Expected reports of each bucket starting at `starts`, `seconds` long."""
    return [profile.expected(start, seconds) for start in starts]


def _flagged(count: int, mean: float, profile: Profile, config: Config) -> bool:
    """Whether `count` reports where `mean` were expected are anomalous by the detector's base rule."""
    # A service whose counts jump every day gets a higher bar from the detector's calibration; the band shows
    # the rule every service shares, so it is the same for every service with the same baseline.
    return count - mean >= config.min_excess and tail_log10(count, mean, profile.dispersion) >= config.degraded_score


def threshold(profile: Profile, mean: float, config: Config = Config()) -> int:
    """The fewest reports that make a bucket anomalous by itself where `mean` were expected: the top of the band."""
    low = max(0, math.ceil(mean + config.min_excess))
    if _flagged(low, mean, profile, config):
        return low
    high = max(low + 1, 2 * low)
    while not _flagged(high, mean, profile, config):
        low, high = high, 2 * high
    # Invariant: `low` is not flagged, `high` is; the tail only grows with the count.
    while high - low > 1:
        middle = (low + high) // 2
        if _flagged(middle, mean, profile, config):
            high = middle
        else:
            low = middle
    return high


def thresholds(profile: Profile, expected: list[float], config: Config = Config()) -> list[int]:
    """`threshold` of each bucket; buckets of one hour of the week share an expectation, so each is solved once."""
    solved: dict[float, int] = {}
    for mean in expected:
        if mean not in solved:
            solved[mean] = threshold(profile, mean, config)
    return [solved[mean] for mean in expected]
