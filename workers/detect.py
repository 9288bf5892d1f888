"""Spike detection as pure functions: score the latest counts against the baseline, and a state machine.

The same code runs live (one bucket per service per minute) and offline (`Detector`, `run`, the backtest):
time is always passed in, nothing here reads a clock or talks to Redis.
"""
from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Iterable, Iterator, Sequence

from aggregator.base.times import iso

from .baseline import FLOOR_PER_HOUR, HOURS_PER_WEEK, WEEK, Profile, Quality, hour_of_week, learn_profile  # noqa: F401
from .score import poisson_tail_log10, tail_log10  # noqa: F401

_WORTH_A_LOOK = 2.0
"""Windows scoring less than this are not anomalous whatever their buckets, so they are not examined further."""

HISTORY_WEEKS = 5
"""Weeks of hourly counts a `Detector` keeps to learn its profile from (the profile uses the last three)."""


class State(str, Enum):
    """What a service (or a service in one country) looks like right now."""

    OK = "ok"
    DEGRADED = "degraded"
    OUTAGE = "outage"


PROBLEM_STATES = (State.OUTAGE.value, State.DEGRADED.value)
"""The states the public pages call problems, the worse first."""

@dataclass(frozen=True)
class Config:
    """One configuration for every series: durations in minutes, scores in -log10 probability, counts in reports."""

    windows: tuple[int, ...] = (1, 2, 5, 15, 60, 180)
    """Trailing windows (minutes) whose summed counts are scored; with coarser buckets they round to whole ones."""
    degraded_score: float = 7.0
    """A window this improbable under the baseline is anomalous: possible problems."""
    outage_score: float = 12.0
    outage_ratio: float = 3.0
    """An outage is also this many times the baseline over its window, not merely improbable."""
    min_excess: float = 5.0
    """Reports above the baseline a window needs before it counts: a handful is never an incident alone."""
    open_after: int = 2
    """Minutes a single anomalous bucket at a time must last before a state leaves ok (evidence that already
    spans several buckets opens at once)."""
    resolve_after: int = 15
    """Minutes of calm before a state returns to ok."""
    calm_score: float = 3.0
    """Windows up to `calm_window` minutes all below this score make a calm bucket."""
    calm_window: int = 15
    calibration_days: int = 14
    """Days of daily peak scores per window kept to learn what is ordinary for this series."""
    calibration_factor: float = 3.0
    """A window must also beat this many times its median daily peak: a series whose counts jump every day
    (bots, news, a flaky client) needs a far bigger jump before it is an incident."""
    calibration_min_days: int = 3
    """Days of peaks needed before the calibration applies."""
    refractory_minutes: int = 1440
    refractory_factor: float = 4.0
    """For this long after an incident resolves, a new one must score this many times the last one's peak: the
    after-shocks of a burst (people still talking about it) are not new incidents, a far bigger second wave is."""
    after_shock_minutes: int = 180
    """Only a rise that shows in windows shorter than this can be an after-shock: one that raises this long a
    window is a new level, not the tail of a burst."""
    after_shock_days: int = 14
    """After-shocks are remembered this many days, and a new incident must also score above the biggest: spikes
    that size have come and gone in this series without being an incident."""
    burst_days: int = 28
    burst_factor: float = 0.5
    """Bursts — incidents that were never sustained, and after-shocks refused — are remembered this many days,
    and an anomaly that is not sustained must score above this share of the biggest to open: in a series that
    had a burst that size lately, a smaller one is how it behaves. Sustained incidents are not remembered, so a
    big outage hides no later one."""


@dataclass(frozen=True)
class Assessment:
    """The score of the latest bucket and the evidence behind it."""

    score: float
    count: float
    expected: float
    level: State
    window: int = 1
    """Buckets in the window that decided the level (the most improbable one if none did)."""
    spread: bool = False
    """The anomaly is not carried by one bucket alone."""
    lead_seconds: float = 0.0
    """How long before this bucket the anomalous stretch began: where an incident's onset is backdated to."""
    recent_score: float = 0.0
    """The highest score over the short windows that decide whether it is calm again."""
    window_scores: tuple[float, ...] = ()
    """Score of each of `Config.windows`, a burst carried by one older bucket discounted: what calibration learns."""
    sustained: bool = False
    """A window of at least `Config.after_shock_minutes` is anomalous too: a new level, not a burst."""
    bucket_seconds: int = 60


def _widths(config: Config, bucket_seconds: int) -> list[int]:
    """Each window of the configuration in buckets of this size."""
    return [max(1, round(minutes * 60 / bucket_seconds)) for minutes in config.windows]


def assess(counts: Sequence[float], expected: Sequence[float], config: Config = Config(), *,
           dispersion: float = 0.0, bars: Sequence[float] = (), bucket_seconds: int = 60) -> Assessment:
    """Score the latest bucket from trailing windows of counts and expectations, and say which state it points to."""
    # `counts` and `expected` end with the latest bucket. `dispersion` is the profile's (0 is Poisson); `bars`
    # are the scores each window must beat besides `degraded_score` (see `calibration`).
    n = len(counts)
    if n == 0:
        return Assessment(0.0, 0.0, 0.0, State.OK, bucket_seconds=bucket_seconds)
    best, best_width, recent, longest = 0.0, 1, 0.0, 0
    chosen: tuple[int, float, int] | None = None  # (rank, score, width) of the window that decides the level
    calm_width = max(1, round(config.calm_window * 60 / bucket_seconds))
    done: dict[int, tuple[float, float, float, float]] = {}
    scores = []
    for index, nominal in enumerate(_widths(config, bucket_seconds)):
        width = min(nominal, n)
        if width not in done:
            window = counts[-width:]
            total, mean = sum(window), sum(expected[-width:])
            score = robust = tail_log10(total, mean, dispersion)
            if width > 1 and score >= _WORTH_A_LOOK:
                # The largest bucket counts only as much as the next largest: a burst in one bucket adds
                # nothing, while an anomaly spread over buckets keeps its score.
                top, second = heapq.nlargest(2, window)
                robust = min(score, tail_log10(total - top + second, mean, dispersion))
            done[width] = (score, robust, total, mean)
        score, robust, total, mean = done[width]
        scores.append(robust)
        if score > best:
            best, best_width = score, width
        if width <= calm_width:
            recent = max(recent, score)
        bar = bars[index] if index < len(bars) else 0.0
        if robust < max(config.degraded_score, bar) or robust <= bar or total - mean < config.min_excess:
            continue
        rank = 2 if score >= config.outage_score and total >= config.outage_ratio * mean else 1
        longest = max(longest, nominal)
        if chosen is None or (rank, score) > chosen[:2]:
            chosen = (rank, score, width)
    level, width, lead = State.OK, best_width, 0.0
    if chosen is not None:
        level = State.OUTAGE if chosen[0] == 2 else State.DEGRADED
        width = chosen[2]
        lead = _lead(counts[-width:], expected[-width:], dispersion) * bucket_seconds
    return Assessment(best, counts[-1], expected[-1], level, window=width, spread=chosen is not None and width > 1,
                      lead_seconds=lead, recent_score=recent, window_scores=tuple(scores),
                      sustained=longest * bucket_seconds >= config.after_shock_minutes * 60,
                      bucket_seconds=bucket_seconds)


def _lead(window: Sequence[float], expected: Sequence[float], dispersion: float) -> int:
    """Buckets between the first clearly raised bucket of the window (above two standard deviations) and its end."""
    for i, (count, mean) in enumerate(zip(window, expected)):
        if count > mean + 2.0 * math.sqrt(mean + dispersion * mean * mean):
            return len(window) - 1 - i
    return 0


@dataclass(frozen=True)
class Track:
    """The state machine's memory between buckets; plain values so it can be stored anywhere."""

    state: State = State.OK
    hot: int = 0
    calm: int = 0
    run_start: float | None = None
    """Start of the first anomalous bucket of the current run: the onset an incident is backdated to."""
    quiet_from: float | None = None
    """Where the last incident ended: later assessments look at nothing before it, so the tail of an outage
    still inside a long window does not open a second incident right after the first resolves."""
    peaks: tuple[tuple[int, tuple[float, ...]], ...] = ()
    """(day number, highest score of each window that day) for the last `Config.calibration_days` days."""
    bars: tuple[float, ...] = ()
    """`calibration` for the day of the last peaks, worked out once when that day began."""
    last_peak: float = 0.0
    """Highest score of the open incident, or of the last one once it resolved (see `Config.refractory_factor`)."""
    shocks: tuple[tuple[int, float], ...] = ()
    """(day number, highest score refused as an after-shock that day) for the last `Config.after_shock_days` days."""
    bursts: tuple[tuple[int, float], ...] = ()
    """(day number, highest peak of a burst that day: an incident never sustained, or a refused after-shock) for
    the last `Config.burst_days` days."""
    sustained: bool = False
    """The open incident has been sustained at some point, so it will not be remembered as a burst."""

    def to_dict(self) -> dict:
        """Flat values only (the peaks as text), so the track fits a Redis hash as well as JSON."""
        peaks = ";".join(f"{day}:" + ",".join(f"{s:.2f}" for s in scores) for day, scores in self.peaks)
        return {**asdict(self), "state": self.state.value, "peaks": peaks,
                "bars": ",".join(f"{b:.2f}" for b in self.bars),
                "shocks": _days_to_text(self.shocks), "bursts": _days_to_text(self.bursts),
                "sustained": int(self.sustained)}

    @classmethod
    def from_dict(cls, data: dict) -> "Track":
        def _time(value):
            return None if value in (None, "", "None") else float(value)

        peaks = []
        for part in str(data.get("peaks") or "").split(";"):
            if part:
                day, _, scores = part.partition(":")
                peaks.append((int(day), tuple(float(s) for s in scores.split(",") if s)))
        return cls(state=State(data.get("state", "ok")), hot=int(data.get("hot", 0)), calm=int(data.get("calm", 0)),
                   run_start=_time(data.get("run_start")), quiet_from=_time(data.get("quiet_from")),
                   peaks=tuple(peaks), bars=tuple(float(b) for b in str(data.get("bars") or "").split(",") if b),
                   last_peak=float(data.get("last_peak") or 0.0), shocks=_days_from_text(data.get("shocks")),
                   bursts=_days_from_text(data.get("bursts")), sustained=bool(int(data.get("sustained") or 0)))


def _days_to_text(memory: tuple[tuple[int, float], ...]) -> str:
    return ";".join(f"{day}:{score:.2f}" for day, score in memory)


def _days_from_text(text) -> tuple[tuple[int, float], ...]:
    return tuple((int(day), float(score)) for day, _, score in
                 (part.partition(":") for part in str(text or "").split(";") if part))


_RANK = {State.OK: 0, State.DEGRADED: 1, State.OUTAGE: 2}


def calibration(track: Track, day: int, config: Config = Config(), bucket_seconds: int = 60) -> tuple[float, ...]:
    """The score each window must beat on `day`, from its median daily peak over the days before (see Config)."""
    past = [scores for d, scores in track.peaks if day - config.calibration_days <= d < day]
    if len(past) < config.calibration_min_days:
        return ()
    bars = []
    for index in range(len(config.windows)):
        values = sorted(scores[index] for scores in past if index < len(scores))
        median = values[len(values) // 2] if values else 0.0
        bars.append(config.calibration_factor * median)
    return tuple(bars)


def _bars(track: Track, day: int, config: Config, bucket_seconds: int) -> tuple[float, ...]:
    """The calibration of `day`: the one worked out when the day began, or worked out now."""
    if track.peaks and track.peaks[-1][0] == day:
        return track.bars
    return calibration(track, day, config, bucket_seconds)


def _peaks(track: Track, bucket_start: float, assessment: Assessment, config: Config) -> dict:
    """The track's peaks (and bars) with this bucket's window scores added to its day."""
    day = int(bucket_start // 86400)
    scores = assessment.window_scores
    peaks = track.peaks
    if peaks and peaks[-1][0] == day:
        last = peaks[-1][1]
        if all(s <= p for s, p in zip(scores, last)):
            return {"peaks": peaks, "bars": track.bars}
        return {"peaks": peaks[:-1] + ((day, tuple(max(s, p) for s, p in zip(scores, last))),), "bars": track.bars}
    kept = tuple(p for p in peaks if p[0] >= day - config.calibration_days) + ((day, scores),)
    return {"peaks": kept, "bars": calibration(track, day, config, assessment.bucket_seconds)}


def _after_shock(track: Track, bucket_start: float, assessment: Assessment, config: Config) -> bool:
    """Whether an anomaly soon after the last incident is no bigger than its after-shocks (see Config)."""
    return (track.quiet_from is not None and bucket_start - track.quiet_from < config.refractory_minutes * 60
            and not assessment.sustained and assessment.score <= config.refractory_factor * track.last_peak)


def _biggest(memory: tuple[tuple[int, float], ...], day: int, days: int) -> float:
    """The highest score remembered for the last `days` days (0 if none)."""
    return max((score for d, score in memory if d >= day - days), default=0.0)


def _like_past_shocks(track: Track, day: int, assessment: Assessment, config: Config) -> bool:
    """Whether an anomaly is no bigger than the after-shocks this series has had lately (see Config)."""
    biggest = _biggest(track.shocks, day, config.after_shock_days)
    return biggest > 0 and assessment.score <= biggest


def _smaller_than_past_bursts(track: Track, day: int, assessment: Assessment, config: Config) -> bool:
    """Whether an anomaly that is not sustained is small beside the bursts this series has had lately (see Config)."""
    biggest = _biggest(track.bursts, day, config.burst_days)
    return not assessment.sustained and biggest > 0 and assessment.score <= config.burst_factor * biggest


def _remember(memory: tuple[tuple[int, float], ...], day: int, score: float,
              days: int) -> tuple[tuple[int, float], ...]:
    """A memory of (day, highest score) with this score added to its day, days past `days` dropped."""
    kept = tuple((d, s) for d, s in memory if day - days <= d < day)
    return kept + ((day, max([s for d, s in memory if d == day] + [score])),)


def step(track: Track, bucket_start: float, assessment: Assessment, config: Config = Config()) -> Track:
    """Advance the state machine by one bucket; hysteresis: slow to open, slower to resolve."""
    seconds = assessment.bucket_seconds
    peaks = {**_peaks(track, bucket_start, assessment, config), "shocks": track.shocks, "bursts": track.bursts}
    anomalous = assessment.level is not State.OK
    day = int(bucket_start // 86400)
    if track.state is State.OK:
        if anomalous and _after_shock(track, bucket_start, assessment, config):
            anomalous = False
            peaks["shocks"] = _remember(track.shocks, day, assessment.score, config.after_shock_days)
            peaks["bursts"] = _remember(track.bursts, day, assessment.score, config.burst_days)
        elif anomalous and (_like_past_shocks(track, day, assessment, config)
                            or _smaller_than_past_bursts(track, day, assessment, config)):
            anomalous = False
        if not anomalous:
            return Track(quiet_from=track.quiet_from, last_peak=track.last_peak, **peaks)
        onset = bucket_start - assessment.lead_seconds
        run_start = onset if track.hot == 0 or track.run_start is None else min(track.run_start, onset)
        hot = track.hot + 1
        held = assessment.spread or hot * seconds >= config.open_after * 60
        state = assessment.level if held else State.OK
        # The peak of the last incident stays until a new one opens.
        peak = assessment.score if held else track.last_peak
        return Track(state=state, hot=hot, calm=0, run_start=run_start, quiet_from=track.quiet_from, last_peak=peak,
                     sustained=assessment.sustained, **peaks)
    # An open incident: it may get worse; it resolves once the short windows have been calm for long enough.
    state = track.state
    peak = max(track.last_peak, assessment.score)
    sustained = track.sustained or assessment.sustained
    if anomalous and _RANK[assessment.level] > _RANK[state]:
        state = assessment.level
    if assessment.recent_score < config.calm_score:
        calm = track.calm + 1
        if calm * seconds >= config.resolve_after * 60:
            if not sustained:
                peaks["bursts"] = _remember(track.bursts, day, peak, config.burst_days)
            return Track(quiet_from=bucket_start - (calm - 1) * seconds, last_peak=peak, **peaks)
    else:
        calm = 0
    return replace(track, state=state, hot=track.hot + 1 if anomalous else 0, calm=calm, last_peak=peak,
                   sustained=sustained, **peaks)


def evaluate(profile: Profile, starts: Sequence[float], counts: Sequence[float], track: Track,
             config: Config = Config(), bucket_seconds: int = 60,
             expected: Sequence[float] | None = None) -> tuple[Assessment, Track]:
    """Score the latest bucket of one series and advance its state: the step live evaluation and backtests share."""
    # `starts` and `counts` are the recent buckets (at least the longest window), ending with the latest;
    # `expected` may be passed when already computed from the same profile.
    if expected is None:
        expected = [profile.expected(start, bucket_seconds) for start in starts]
    if track.quiet_from is not None and starts and starts[0] < track.quiet_from:
        first = next((i for i, start in enumerate(starts) if start >= track.quiet_from), len(starts) - 1)
        counts, expected = counts[first:], expected[first:]
    bars = _bars(track, int(starts[-1] // 86400), config, bucket_seconds)
    assessment = assess(counts, expected, config, dispersion=profile.dispersion, bars=bars,
                        bucket_seconds=bucket_seconds)
    return assessment, step(track, starts[-1], assessment, config)


def history_buckets(config: Config, bucket_seconds: int) -> int:
    """Recent buckets `evaluate` needs: the longest window."""
    return max(_widths(config, bucket_seconds))


class Detector:
    """One series replayed bucket by bucket: profile learned hourly from what came before, buckets evaluated."""

    def __init__(self, bucket_seconds: int, config: Config = Config(), hourly: Iterable[tuple[float, float]] = ()):
        self.bucket_seconds = int(bucket_seconds)
        self.config = config
        self.track = Track()
        self.profile: Profile | None = None
        self._keep = history_buckets(config, self.bucket_seconds)
        self._per_hour = max(1.0, 3600 / self.bucket_seconds)
        self._done: deque[tuple[float, float]] = deque((float(start), float(count)) for start, count in hourly)
        self._hour: float | None = None
        self._total = self._seen = 0.0
        self._starts: list[float] = []
        self._counts: list[float] = []
        self._expected: list[float] = []

    def _close_hour(self) -> None:
        """File the hour just finished: scaled up to a full hour if some buckets are missing, left out if most are."""
        if self._hour is not None and self._seen >= self._per_hour / 2:
            scale = max(1.0, self._per_hour / self._seen) * min(1.0, 3600 / self.bucket_seconds)
            self._done.append((self._hour, self._total * scale))
        self._total = self._seen = 0.0

    def observe(self, bucket_start: float, count: float) -> tuple[Assessment, Track]:
        """Evaluate the bucket starting at `bucket_start` (later than every bucket before it)."""
        seconds = self.bucket_seconds
        hour = bucket_start // 3600 * 3600
        if hour != self._hour:
            self._close_hour()
            self._hour = hour
            while self._done and self._done[0][0] < hour - HISTORY_WEEKS * WEEK:
                self._done.popleft()
            self.profile = learn_profile(self._done, hour)
            self._expected = [self.profile.expected(s, seconds) for s in self._starts]
        if len(self._starts) >= 2 * self._keep:
            del self._starts[:-self._keep], self._counts[:-self._keep], self._expected[:-self._keep]
        # Buckets older than the longest window (after a gap in the data) do not belong in any window.
        if self._starts and self._starts[-1] < bucket_start - self._keep * seconds:
            self._starts.clear(), self._counts.clear(), self._expected.clear()
        self._starts.append(bucket_start)
        self._counts.append(count)
        self._expected.append(self.profile.expected(bucket_start, seconds))
        keep = -self._keep
        assessment, self.track = evaluate(self.profile, self._starts[keep:], self._counts[keep:], self.track,
                                          self.config, seconds, self._expected[keep:])
        self._total += count
        self._seen += 1
        return assessment, self.track


def run(points: Iterable[tuple[float, float]], bucket_seconds: int, config: Config = Config(),
        hourly: Iterable[tuple[float, float]] = ()) -> Iterator[tuple[float, Assessment, Track]]:
    """Replay (bucket start, count) points in time order: (bucket start, assessment, track) for each."""
    detector = Detector(bucket_seconds, config, hourly)
    for start, count in points:
        assessment, track = detector.observe(start, count)
        yield start, assessment, track


def incidents_from(results: Iterable[tuple[float, Assessment, Track]]) -> list[dict]:
    """Incidents of a replay: start (backdated onset), end (start of the calm; None if open), peak, worst state."""
    out: list[dict] = []
    recent: deque[tuple[float, float]] = deque()
    current: dict | None = None
    for start, assessment, track in results:
        recent.append((start, assessment.count))
        while recent and recent[0][0] < start - 6 * 3600:
            recent.popleft()
        if current is None and track.state is not State.OK:
            onset = track.run_start if track.run_start is not None else start
            before = [(count, ts) for ts, count in recent if ts >= onset] or [(assessment.count, start)]
            peak, peak_at = max(before, key=lambda pair: (pair[0], -pair[1]))
            current = {"start": onset, "end": None, "peak": peak, "peak_at": peak_at, "state": track.state}
        elif current is not None:
            if assessment.count > current["peak"]:
                current["peak"], current["peak_at"] = assessment.count, start
            if track.state is State.OK:
                current["end"] = track.quiet_from if track.quiet_from is not None else start
                out.append(current)
                current = None
            elif _RANK[track.state] > _RANK[current["state"]]:
                current["state"] = track.state
    if current is not None:
        out.append(current)
    return [{"start": iso(i["start"]), "end": None if i["end"] is None else iso(i["end"]),
             "peak": i["peak"], "peak_at": iso(i["peak_at"]), "state": i["state"].value} for i in out]
