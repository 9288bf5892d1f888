"""The service page's chart as plain SVG geometry: scales, paths, the baseline band, incident spans and axis ticks.

Pure functions of numbers and times; the template draws what `chart` returns, so the page needs no script.
"""
from __future__ import annotations

import math
from typing import Sequence

from babel.numbers import format_decimal
from flask_babel import LazyString

from .base.times import epoch, iso
from .i18n import current_language

WIDTH, HEIGHT = 400, 180
"""The chart's viewBox: the SVG is as wide as the page, so these are proportions, not pixels."""
LEFT, RIGHT, TOP, BOTTOM = 34, 394, 8, 160
"""The plot area inside the viewBox: room on the left for the counts, below for the times."""
SLOT = 900
"""Seconds each point of the chart adds up: a day of minutes as 96 points keeps the page light."""
TIME_TICK = 6 * 3600
"""Seconds between the time axis' labels: 00:00, 06:00, 12:00, 18:00 UTC."""
VALUE_TICKS = 2
"""Intervals of the count axis: 0, half the top and the top, all round numbers since the top is 1, 2 or 5 × 10^k."""


def regroup(starts: Sequence[float], bucket: int, slot: int) -> list[tuple[float, float, list[int]]]:
    """The buckets (starting at `starts`, `bucket` seconds long) gathered by clock-aligned slots of `slot`
    seconds: (first start, last end, indexes) of each slot, in time order; the slots at the ends may be partial."""
    out: list[tuple[float, float, list[int]]] = []
    for n, start in enumerate(starts):
        if out and math.floor(out[-1][0] / slot) == math.floor(start / slot):
            first, _, indexes = out[-1]
            out[-1] = (first, start + bucket, indexes + [n])
        else:
            out.append((start, start + bucket, [n]))
    return out


def totals(values: Sequence[float], groups: list[tuple[float, float, list[int]]]) -> list[float]:
    """The sum of `values` over each group's indexes."""
    return [sum(values[n] for n in indexes) for _, _, indexes in groups]


def nice_ceiling(value: float) -> float:
    """The least of 1, 2, 5 × 10^k (k ≥ 0) at or above `value`: a round top for the count axis."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def scale(value: float, domain: tuple[float, float], span: tuple[float, float]) -> float:
    """`value` mapped linearly from `domain` onto `span`, rounded to a tenth (enough for a viewBox this size)."""
    low, high = domain
    share = 0.0 if high == low else (value - low) / (high - low)
    return round(span[0] + share * (span[1] - span[0]), 1)


def line_path(xs: Sequence[float], ys: Sequence[float]) -> str:
    """An SVG path through the points, in order."""
    return "M" + "L".join(f"{x:g},{y:g}" for x, y in zip(xs, ys)) if xs else ""


def band_path(xs: Sequence[float], lows: Sequence[float], highs: Sequence[float]) -> str:
    """A closed SVG path between two lines: along `highs` forwards and back along `lows`."""
    if not xs:
        return ""
    return line_path([*xs, *reversed(xs)], [*highs, *reversed(lows)]) + "Z"


def spans(segments: list[dict], start: float, end: float) -> list[dict]:
    """Each incident segment ({start, end, state}, ISO times) as a rectangle across the plot, clipped to it."""
    out = []
    for segment in segments:
        begin, stop = max(epoch(segment["start"]), start), min(epoch(segment["end"]), end)
        if begin >= stop:
            continue
        x0, x1 = scale(begin, (start, end), (LEFT, RIGHT)), scale(stop, (start, end), (LEFT, RIGHT))
        out.append({"x": x0, "width": round(max(x1 - x0, 1.0), 1), "state": segment["state"],
                    "start": segment["start"], "end": segment["end"]})
    return out


def time_ticks(start: float, end: float, every: int = TIME_TICK) -> list[dict]:
    """The instants in [start, end] on a multiple of `every` seconds, with their x and their UTC 'HH:MM'."""
    first = math.ceil(start / every) * every
    return [{"x": scale(at, (start, end), (LEFT, RIGHT)), "label": iso(at)[11:16], "at": iso(at)}
            for at in range(int(first), int(end) + 1, every)]


def short_count(value: float, locale: str = "en") -> str:
    """A count as the axis writes it in `locale`: '40', '1.5k', '20k' (German '1,5k')."""
    if value < 1000:
        return format_decimal(value, locale=locale)
    return format_decimal(value / 1000, locale=locale) + "k"


def _axis_label(value: float) -> str:
    return short_count(value, current_language())


def value_ticks(top: float, count: int = VALUE_TICKS) -> list[dict]:
    """`count` + 1 evenly spaced counts from 0 to `top`, with their y and label; the label is written when the page
    is, in its reader's language, as the chart is kept for readers of every language."""
    values = [top * n / count for n in range(count + 1)]
    return [{"y": scale(v, (0, top), (BOTTOM, TOP)), "label": LazyString(_axis_label, round(v, 1))} for v in values]


def chart(starts: Sequence[float], bucket: int, reports: Sequence[int], baseline: Sequence[float] | None,
          threshold: Sequence[float] | None, segments: list[dict], start: float, end: float,
          slot: int = SLOT) -> dict:
    """Everything the template draws: reports per slot as a line and area, the band from the baseline to the
    alert threshold, incident spans ({start, end, state}, ISO times) and ticks."""
    groups = regroup(starts, bucket, max(slot, bucket))
    counts = totals(reports, groups)
    lows = totals(baseline, groups) if baseline else None
    highs = totals(threshold, groups) if threshold else None
    top = nice_ceiling(max([*counts, *(highs or []), 1]))
    xs = [scale((first + last) / 2, (start, end), (LEFT, RIGHT)) for first, last, _ in groups]
    ys = [scale(c, (0, top), (BOTTOM, TOP)) for c in counts]
    peak = max(range(len(counts)), key=lambda n: (counts[n], n)) if any(counts) else None
    band = None
    if lows is not None and highs is not None:
        band = band_path(xs, [scale(v, (0, top), (BOTTOM, TOP)) for v in lows],
                         [scale(v, (0, top), (BOTTOM, TOP)) for v in highs])
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": RIGHT, "top": TOP, "bottom": BOTTOM,
        "slot_minutes": max(slot, bucket) // 60,
        "reports": line_path(xs, ys),
        "area": band_path(xs, [BOTTOM] * len(xs), ys),
        "band": band,
        "baseline": None if lows is None else line_path(xs, [scale(v, (0, top), (BOTTOM, TOP)) for v in lows]),
        "spans": spans(segments, start, end),
        "x_ticks": time_ticks(start, end),
        "y_ticks": value_ticks(top),
        "peak": None if peak is None else {"at": iso(groups[peak][0]), "count": counts[peak]},
    }
