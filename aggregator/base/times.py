"""Times as the product writes them — UTC ISO 8601 to the second with a Z — and back to unix seconds."""
from __future__ import annotations

import calendar
import functools
import time
from datetime import datetime, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso(ts: float) -> str:
    """`2026-11-26T12:03:00Z` for unix seconds."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime(FORMAT)


@functools.lru_cache(maxsize=8192)
def epoch(stamp: str) -> int:
    """Unix seconds of a time `iso` wrote; cached, since matching incidents reads the same times again and again."""
    return calendar.timegm(time.strptime(stamp, FORMAT))
