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
    parts = ("surfaces", "symptoms", "countries", "regions", "origins", "embedders")
    out = {"total": Counter(), **{part: Counter() for part in parts}}
    for b in buckets:
        out["total"]["total"] += b.total
        out["total"]["deduped"] += b.deduped
        for part in parts:
            out[part].update(getattr(b, part))
    return out


def summarize(buckets: list[Bucket], top: int = 10) -> dict:
    """Total, surface and symptom shares, the top countries, and where the reports came from (the site, the
    widget, API clients) with the sites that embed the widget most."""
    sums = add_up(buckets)
    total = sums["total"]["total"]
    country_shares = percent_shares(sums["countries"])
    embedder_shares = percent_shares(sums["embedders"])
    return {
        "total": total,
        "deduped": sums["total"]["deduped"],
        "surfaces": {"counts": dict(sums["surfaces"]), "percent": percent_shares(sums["surfaces"])},
        "symptoms": {"counts": dict(sums["symptoms"]), "percent": percent_shares(sums["symptoms"])},
        "top_regions": [{"country": c, "count": n, "percent": country_shares.get(c, 0.0)}
                        for c, n in sums["countries"].most_common(top)],
        "origins": {"counts": dict(sums["origins"]), "percent": percent_shares(sums["origins"])},
        "top_embedders": [{"host": h, "count": n, "percent": embedder_shares.get(h, 0.0)}
                          for h, n in sums["embedders"].most_common(top)],
    }
