"""Time ranges from query strings: resolutions, windows like '6h', and from/to instants."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from workers import keys

from .base.exceptions import ValidationError

MAX_BUCKETS = 2880
"""The most buckets one read returns (two days of minutes); larger ranges need a coarser resolution."""

DEFAULT_SPAN = {"1m": 3600, "15m": 86400, "1h": 7 * 86400}
_WINDOW = re.compile(r"([0-9]{1,4})([mhd])")
_UNIT = {"m": 60, "h": 3600, "d": 86400}
_EARLIEST, _LATEST = 0.0, datetime(9999, 1, 1, tzinfo=timezone.utc).timestamp()


@dataclass(frozen=True)
class Range:
    """Whole buckets `first`..`last` of one resolution."""

    resolution: keys.Resolution
    first: int
    last: int

    @property
    def start(self) -> int:
        return self.first * self.resolution.seconds

    @property
    def end(self) -> int:
        return (self.last + 1) * self.resolution.seconds


def parse_resolution(raw: str | None) -> keys.Resolution:
    name = raw or "1m"
    if name not in keys.RESOLUTIONS:
        raise ValidationError(f"'resolution' must be one of {', '.join(keys.RESOLUTIONS)} — got '{name}'",
                              field="resolution")
    return keys.RESOLUTIONS[name]


def parse_window(raw: str | None, name: str = "window", default: str = "1h") -> int:
    """Seconds in a window such as '15m', '6h' or '7d'."""
    match = _WINDOW.fullmatch(raw or default)
    if not match or int(match.group(1)) == 0:
        raise ValidationError(f"'{name}' must look like 15m, 6h or 7d — got '{raw}'", field=name)
    return int(match.group(1)) * _UNIT[match.group(2)]


def parse_instant(raw: str | None, name: str) -> float | None:
    """Unix seconds, or an ISO 8601 time (UTC unless it says otherwise); None when absent."""
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"'{name}' must be unix seconds or an ISO 8601 time like 2026-11-25T12:00:00Z "
                                  f"— got '{raw}'", field=name) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        value = parsed.timestamp()
    # float() takes 'nan' and 'inf', and far-off years parse too; neither can be bucketed or printed back.
    if not _EARLIEST <= value < _LATEST:
        raise ValidationError(f"'{name}' must be a time between 1970 and 9998 — got '{raw}'", field=name)
    return value


def parse_between(raw_from: str | None, raw_to: str | None) -> tuple[float | None, float | None]:
    """Optional `from` and `to` instants; when both are given, `from` must come first."""
    start, end = parse_instant(raw_from, "from"), parse_instant(raw_to, "to")
    if start is not None and end is not None and start >= end:
        raise ValidationError("'from' must be before 'to'", field="from")
    return start, end


def bucket_range(resolution: keys.Resolution, start: float | None, end: float | None, now: float) -> Range:
    """The buckets covering [start, end); `end` defaults to now, `start` to a span that suits the resolution."""
    end = now if end is None else end
    start = end - DEFAULT_SPAN[resolution.name] if start is None else start
    if start >= end:
        raise ValidationError("'from' must be before 'to'", field="from")
    first, last = resolution.index(start), resolution.index(end - 1e-6)
    if last - first + 1 > MAX_BUCKETS:
        raise ValidationError(f"the range holds {last - first + 1} buckets at {resolution.name}; at most "
                              f"{MAX_BUCKETS} — shorten it or use a coarser resolution", field="from")
    return Range(resolution, first, last)


def window_range(seconds: int, now: float) -> Range:
    """The finest resolution whose buckets still cover a window of `seconds` within MAX_BUCKETS and retention."""
    for resolution in keys.RESOLUTIONS.values():
        # A window that does not start on a bucket boundary touches one bucket more than it spans.
        if seconds / resolution.seconds + 1 <= MAX_BUCKETS and seconds <= resolution.retention:
            return bucket_range(resolution, now - seconds, now, now)
    longest = (MAX_BUCKETS - 1) * keys.HOUR.seconds // 3600
    raise ValidationError(f"'window' may be at most {longest}h (about {longest // 24} days); for longer spans "
                          "read /series with resolution=1h", field="window")
