"""The per-client limit on POST /api/v1/reports: moving windows, checked inside the report's own Redis call.

The check and the append are one Lua call (`intake._SUBMIT`): a limiter keeping its windows apart, such as
Flask-Limiter, costs a report a second round trip and a large share of the endpoint's time (bench/README.md).
The windows sit under the service's hash tag, so a client's allowance is per service, like its dedupe.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT = re.compile(r"(\d+)\s*(?:/|\s+per\s+)\s*(\d+\s+)?(second|minute|hour|day)s?", re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    """At most `amount` reports in any `seconds` long stretch."""

    amount: int
    seconds: int


def parse(value: str) -> tuple[Window, ...]:
    """Windows from `10/minute;100/hour` (`per` for `/`, a count before the unit: `30 per 5 minutes`)."""
    windows = []
    for part in filter(None, (p.strip() for p in value.split(";"))):
        match = _LIMIT.fullmatch(part)
        if not match or int(match.group(1)) == 0:
            raise ValueError(f"'{part}' is not a limit")
        amount, count, unit = match.groups()
        windows.append(Window(int(amount), int(count or 1) * _UNITS[unit.lower()]))
    return tuple(windows)


def arguments(windows: tuple[Window, ...]) -> list[int]:
    """The windows as `intake._SUBMIT` reads them: their number, then amount and seconds of each."""
    return [len(windows), *(n for w in windows for n in (w.amount, w.seconds))]
