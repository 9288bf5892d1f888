"""Crowd lead time: each crowd incident linked to the official incident it matches, and how much earlier it began."""
from __future__ import annotations

import math
import statistics

from aggregator.base.times import epoch

from . import official as official_store

LOOKBACK = 7 * 86400
"""Seconds before a crowd incident an official incident may have started and still overlap it."""


def _span(start: str, end: str | None) -> tuple[float, float]:
    return epoch(start), math.inf if end is None else epoch(end)


def matches(crowd: dict, official: dict, window: float) -> bool:
    """The intervals overlap, or the crowd incident began at most `window` seconds before the official one."""
    c_start, c_end = _span(crowd["opened_at"], crowd["resolved_at"])
    o_start, o_end = _span(official["started_at"], official["resolved_at"])
    return (o_start <= c_end and c_start <= o_end) or 0 <= o_start - c_start <= window


def link(crowd: dict, officials: list[dict], window: float) -> dict | None:
    """The matching official incident the vendor posted first, or None."""
    found = [o for o in officials if matches(crowd, o, window)]
    return min(found, key=lambda o: (o["posted_at"], o["id"])) if found else None


def lead_time(crowd: dict, official: dict | None) -> int | None:
    """Seconds from the crowd's onset to the vendor's first update (negative if the vendor was first)."""
    return None if official is None else epoch(official["posted_at"]) - epoch(crowd["opened_at"])


def linked(crowd: dict, officials: list[dict], window: float) -> dict:
    """The crowd incident with `official` (the linked record or None) and `lead_time_seconds`."""
    found = link(crowd, officials, window)
    return {**crowd, "lead_time_seconds": lead_time(crowd, found), "official": found}


def officials_near(redis, slug: str, crowd: list[dict], window: float, now: float) -> list[dict]:
    """The service's official incidents that could match any of `crowd` (one range read)."""
    if not crowd:
        return []
    start = min(epoch(c["opened_at"]) for c in crowd) - LOOKBACK
    end = max(now if c["resolved_at"] is None else epoch(c["resolved_at"]) for c in crowd) + window
    return official_store.between(redis, slug, start, end)


def with_official(redis, crowd: list[dict], window: float, now: float) -> list[dict]:
    """Each crowd incident, in the same order, with its linked official incident and lead time."""
    by_service: dict[str, list[dict]] = {}
    for incident in crowd:
        by_service.setdefault(incident["service"], []).append(incident)
    officials = {slug: officials_near(redis, slug, group, window, now) for slug, group in by_service.items()}
    return [linked(c, officials[c["service"]], window) for c in crowd]


def table(linked_incidents: list[dict]) -> dict:
    """Per crowd incident (linked, as `with_official` leaves it) its lead time, their median, and the resolved
    ones the vendor never acknowledged."""
    rows, never = [], []
    for incident in linked_incidents:
        found = incident["official"]
        rows.append({"incident_id": incident["id"], "opened_at": incident["opened_at"],
                     "resolved_at": incident["resolved_at"], "worst_state": incident["worst_state"],
                     "official_id": found["id"] if found else None, "official_name": found["name"] if found else None,
                     "posted_at": found["posted_at"] if found else None,
                     "lead_time_seconds": incident["lead_time_seconds"]})
        if found is None and incident["resolved_at"] is not None:
            never.append(rows[-1])
    leads = [r["lead_time_seconds"] for r in rows if r["lead_time_seconds"] is not None]
    return {"lead_times": rows, "median_lead_time_seconds": statistics.median(leads) if leads else None,
            "never_acknowledged": never}
