"""Pure maths over buckets: totals, percent shares that sum to 100, top regions."""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping

from .buckets import Bucket


def percent_shares(counts: Mapping[str, int], decimals: int = 1) -> dict[str, float]:
    """Shares in percent, rounded by largest remainder so they add up to exactly 100 (or {} for no counts)."""
    total = sum(counts.values())
    if total <= 0:
        return {}
    unit = 10 ** decimals
    exact = {name: count * 100 * unit / total for name, count in counts.items() if count > 0}
    floors = {name: int(value) for name, value in exact.items()}
    short = 100 * unit - sum(floors.values())
    for name in sorted(exact, key=lambda n: (floors[n] - exact[n], n))[:short]:
        floors[name] += 1
    return {name: floors[name] / unit for name in sorted(floors, key=lambda n: (-floors[n], n))}


def add_up(buckets: Iterable[Bucket]) -> dict[str, Counter]:
    """Sum each breakdown over a run of buckets."""
    out = {"total": Counter(), "surfaces": Counter(), "symptoms": Counter(), "countries": Counter(),
           "regions": Counter()}
    for b in buckets:
        out["total"]["total"] += b.total
        out["total"]["deduped"] += b.deduped
        for part in ("surfaces", "symptoms", "countries", "regions"):
            out[part].update(getattr(b, part))
    return out


def summarize(buckets: list[Bucket], top: int = 10) -> dict:
    """Total, surface and symptom shares, and the top countries of a run of buckets."""
    sums = add_up(buckets)
    total = sums["total"]["total"]
    country_shares = percent_shares(sums["countries"])
    return {
        "total": total,
        "deduped": sums["total"]["deduped"],
        "surfaces": {"counts": dict(sums["surfaces"]), "percent": percent_shares(sums["surfaces"])},
        "symptoms": {"counts": dict(sums["symptoms"]), "percent": percent_shares(sums["symptoms"])},
        "top_regions": [{"country": c, "count": n, "percent": country_shares.get(c, 0.0)}
                        for c, n in sums["countries"].most_common(top)],
    }
