"""Incident records: opened at the backdated onset, peak and shares kept while open, resolved; kept 2 years."""
from __future__ import annotations

import json
import re
import time
from enum import Enum

from aggregator.base.times import epoch, iso

from . import keys
from .buckets import Bucket
from .detect import State
from .summary import percent_shares

RETENTION = 2 * 365 * 86400
"""Seconds an incident record and its index entries are kept after its last change."""

TOP_REGIONS = 5
"""Regions listed in an incident's top_regions."""

_PAGE = 200
_ID = re.compile(r"^([a-z0-9][a-z0-9-]{0,39})\.(?:([A-Z]{2})\.)?(\d{8}T\d{4}Z)$")
_RANK = {State.OK.value: 0, State.DEGRADED.value: 1, State.OUTAGE.value: 2}


class Status(str, Enum):
    """Whether an incident is still going on."""

    OPEN = "open"
    RESOLVED = "resolved"


def incident_id(slug: str, country: str | None, onset: float) -> str:
    """`claude.20261126T1203Z`, or `claude.DE.20261126T1203Z` for one country: readable, and names its service."""
    stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(onset))
    return ".".join([slug, country, stamp] if country else [slug, stamp])


def service_of(incident: str) -> str | None:
    """The service slug an incident id belongs to, or None if it is not an incident id."""
    match = _ID.match(incident)
    return match.group(1) if match else None


def _at_peak(bucket: Bucket, country: str | None) -> dict:
    """Surface and symptom shares and top regions of the peak minute, for the service or one country."""
    if country is None:
        regions = percent_shares(bucket.countries)
        top = sorted(bucket.countries.items(), key=lambda item: (-item[1], item[0]))[:TOP_REGIONS]
        return {"surfaces_at_peak": percent_shares(bucket.surfaces),
                "symptoms_at_peak": percent_shares(bucket.symptoms),
                "top_regions": [{"country": c, "count": n, "percent": regions.get(c, 0.0)} for c, n in top],
                "origins_at_peak": percent_shares(bucket.origins)}
    prefix = f"{country}:"
    surfaces = {k[len(prefix):]: n for k, n in bucket.country_surfaces.items() if k.startswith(prefix)}
    subdivisions = {k: n for k, n in bucket.regions.items() if k.startswith(f"{country}-")}
    regions = percent_shares(subdivisions)
    top = sorted(subdivisions.items(), key=lambda item: (-item[1], item[0]))[:TOP_REGIONS]
    # Symptoms and origins are not counted per country (no such bucket fields), so a country incident has none.
    return {"surfaces_at_peak": percent_shares(surfaces), "symptoms_at_peak": None,
            "top_regions": [{"region": r, "count": n, "percent": regions.get(r, 0.0)} for r, n in top],
            "origins_at_peak": None}


def one_site(bucket: Bucket, count: float, expected: float) -> str | None:
    """The site embedding the widget that sent more than half of a minute's excess over the expected count.

    Many reports from one site's widget may be its visitors hit by the outage, or the site making an outage of
    its visitors: the incident says so for an analyst to judge.
    """
    if not bucket.embedders or count <= expected:
        return None
    host, sent = min(bucket.embedders.items(), key=lambda item: (-item[1], item[0]))
    return host if sent > (count - expected) / 2 else None


def open_incident(slug: str, country: str | None, state: State, onset: float, noticed: float) -> dict:
    """A new open incident; its peak is filled in by `observe`."""
    return {"id": incident_id(slug, country, onset), "service": slug, "country": country,
            "status": Status.OPEN.value, "state": state.value, "worst_state": state.value,
            "opened_at": iso(onset), "noticed_at": iso(noticed), "resolved_at": None,
            "peak": None, "surfaces_at_peak": {}, "symptoms_at_peak": None if country else {}, "top_regions": [],
            "origins_at_peak": None if country else {}, "mostly_from_site": None,
            "changes": [{"at": iso(onset), "state": state.value}], "notes": []}


def observe(incident: dict, bucket: Bucket, count: float, expected: float) -> bool:
    """Take a minute of an open incident as its peak if it has the most reports so far; True if it did."""
    peak = incident["peak"]
    if peak is not None and count <= peak["count"]:
        return False
    incident["peak"] = {"count": count, "expected": round(expected, 2), "at": iso(bucket.start)}
    incident.update(_at_peak(bucket, incident["country"]))
    incident["mostly_from_site"] = None if incident["country"] else one_site(bucket, count, expected)
    return True


def change_state(incident: dict, state: State, at: float) -> None:
    """Record a move between degraded and outage."""
    incident["state"] = state.value
    if _RANK[state.value] > _RANK[incident["worst_state"]]:
        incident["worst_state"] = state.value
    incident["changes"].append({"at": iso(at), "state": state.value})


def resolve(incident: dict, at: float) -> None:
    """Close the incident; `at` is when counts went back near the baseline for good."""
    incident["status"] = Status.RESOLVED.value
    incident["resolved_at"] = iso(at)
    incident["changes"].append({"at": iso(at), "state": State.OK.value})


def onset_of(incident: dict) -> float:
    return epoch(incident["opened_at"])


def save(pipe, incident: dict, now: float) -> None:
    """Queue the write of an incident and its index entries on a pipeline (no transaction: see ALL_INCIDENTS)."""
    slug, onset = incident["service"], onset_of(incident)
    pipe.set(keys.incident(slug, incident["id"]), json.dumps(incident, separators=(",", ":")), ex=RETENTION)
    for index in (keys.incidents(slug), keys.ALL_INCIDENTS):
        # ALL_INCIDENTS is the one write outside the service's hash tag. It is acceptable because it is a
        # lone ZADD, never part of a multi-key script or transaction, so it is legal on a cluster; if it
        # were lost, the incident would still be listed under its service.
        pipe.zadd(index, {incident["id"]: onset})
        pipe.zremrangebyscore(index, "-inf", now - RETENTION)
        pipe.expire(index, RETENTION)


def load_many(redis, ids: list[str]) -> list[dict | None]:
    """Incident records by id in one round trip; None for an id that is malformed or gone."""
    with redis.pipeline(transaction=False) as pipe:
        for incident in ids:
            pipe.get(keys.incident(service_of(incident) or "-", incident))
        raws = pipe.execute()
    found = [json.loads(raw) if raw else None for raw in raws]
    for incident in found:
        if incident is not None:
            incident.setdefault("notes", [])  # records written before incidents could carry notes
    return found


def get(redis, incident: str) -> dict | None:
    """One incident record, or None."""
    return load_many(redis, [incident])[0] if service_of(incident) else None


def _matches(incident: dict, state: str | None, country: str | None) -> bool:
    if state in (Status.OPEN.value, Status.RESOLVED.value) and incident["status"] != state:
        return False
    if state in (State.DEGRADED.value, State.OUTAGE.value) and incident["worst_state"] != state:
        return False
    if country == "none":
        return incident["country"] is None
    return country is None or incident["country"] == country


def search(redis, service: str | None = None, state: str | None = None, start: float | None = None,
           end: float | None = None, country: str | None = None, limit: int = 100) -> list[dict]:
    """Incidents with an onset in [start, end), newest first; `state` is a status or the worst state reached."""
    index = keys.incidents(service) if service else keys.ALL_INCIDENTS
    high = "+inf" if end is None else f"({end}"
    low = "-inf" if start is None else start
    out: list[dict] = []
    offset = 0
    while len(out) < limit:
        ids = redis.zrevrangebyscore(index, high, low, start=offset, num=_PAGE)
        if not ids:
            break
        offset += len(ids)
        out += [i for i in load_many(redis, ids) if i is not None and _matches(i, state, country)]
    return out[:limit]
