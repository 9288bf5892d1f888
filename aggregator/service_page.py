"""What every reader of a service's public page sees alike, assembled by pure functions from one read.

The view is kept by the page snapshots (aggregator/snapshots.py): during an outage a thousand readers cost one read.
What a page says to one reporter about their own report is not in it.
"""
from __future__ import annotations

from typing import Iterable

from dashboards.reads import service_snapshot
from dashboards.snapshot import OFFICIAL_STATES
from workers import official
from workers.detect import PROBLEM_STATES
from workers.evaluate import read_statuses
from workers.totals import last_hour

from . import charts
from .base.catalog import Service
from .base.times import epoch
from .embed import snippets
from .intake import SURFACES, SYMPTOMS
from .radar import Radar

OTHERS_SHOWN = 10
"""Other services with problems listed by name; in a wide outage the rest are counted, on the dashboard."""
TABLE_SLOT = 3600
"""Seconds each row of the chart's table adds up: 24 rows for the day."""


def hourly(times: list[str], bucket: int, reports: list[int], baseline: list[float] | None) -> list[dict]:
    """The chart's numbers by clock hour: when each row begins, its reports and, if known, the typical count."""
    groups = charts.regroup([epoch(t) for t in times], bucket, max(TABLE_SLOT, bucket))
    counts = charts.totals(reports, groups)
    typical = charts.totals(baseline, groups) if baseline else [None] * len(groups)
    return [{"at": times[indexes[0]], "reports": count, "typical": None if normal is None else round(normal)}
            for (_, _, indexes), count, normal in zip(groups, counts, typical)]


def shares(now: dict[str, float], at_peak: dict[str, float] | None, order: Iterable[str]) -> list[dict]:
    """Each surface or symptom with its share over the range and at the incident's peak, the most reported first;
    those no report named in either are left out."""
    peak = at_peak or {}
    names = [*order, *sorted((set(now) | set(peak)) - set(order))]
    rows = [{"name": n, "now": now.get(n, 0.0), "peak": None if at_peak is None else peak.get(n, 0.0)}
            for n in names if now.get(n) or peak.get(n)]
    return sorted(rows, key=lambda row: (-row["now"], -(row["peak"] or 0.0)))


def others(statuses: list[dict], names: dict[str, str], slug: str, reference: float) -> list[dict]:
    """The other services in outage or with possible problems, the one whose trouble began nearest `reference`
    first: a shared cause shows as services going down in the same minutes."""
    found = [{"slug": s["service"], "name": names[s["service"]], "state": s["state"], "since": s.get("since")}
             for s in statuses
             if s["service"] != slug and s["service"] in names and s.get("evaluated_at")
             and s["state"] in PROBLEM_STATES]
    return sorted(found, key=lambda o: (abs(epoch(o["since"]) - reference) if o["since"] else float("inf"),
                                        o["name"].lower()))


def latest_incident(incidents: list[dict]) -> dict | None:
    """The open service-wide incident, or else the latest one in the range."""
    overall = [i for i in incidents if i["country"] is None]
    return next((i for i in overall if i["status"] == "open"), overall[0] if overall else None)


def official_view(service: Service, components: list[dict] | None, updates: list[dict],
                  incident: dict | None) -> dict | None:
    """The status page's side: its link, its worst component now, its last post in the range, and how long before
    that post the crowd's reports rose for the latest incident; None for a service without a status page."""
    if not service.status_page and not service.statuspage_api:
        return None
    worst = None
    if components:
        worst = max(components, key=lambda c: ("ok", "degraded", "outage").index(OFFICIAL_STATES[c["status"]]))
    linked = incident.get("official") if incident else None
    return {"url": service.status_page or service.statuspage_api, "polled": service.statuspage_api is not None,
            "status": worst["status"] if worst else None,
            "state": OFFICIAL_STATES[worst["status"]] if worst else None,
            "last_post": updates[-1] if updates else None,
            "linked": linked,
            "lead_minutes": None if linked is None else round(incident["lead_time_seconds"] / 60)}


def assemble(service: Service, snap: dict, count: int, statuses: list[dict], names: dict[str, str],
             components: list[dict] | None, embed: dict[str, str], now: float) -> dict:
    """The page's shared view from what `read` gathered."""
    series, bucket = snap["series"], snap["bucket_seconds"]
    status = snap["status"]
    hour = 3600 // bucket
    baseline = series["baseline"]
    incident = latest_incident(snap["incidents"])
    since = status["since"] if status["state"] in PROBLEM_STATES else None
    at_peak = snap["at_peak"]
    troubled = others(statuses, names, service.slug, epoch(since) if since else now)
    return {
        "state": status["state"], "since": since, "last_hour": count,
        "normal": None if baseline is None else sum(baseline[-hour:]),
        "chart": charts.chart([epoch(t) for t in series["time"]], bucket, series["reports"], baseline,
                              series["threshold"], snap["segments"], epoch(snap["from"]), epoch(snap["to"])),
        "table": hourly(series["time"], bucket, series["reports"], baseline),
        "from": snap["from"], "to": snap["to"], "total": snap["total"],
        "segments": snap["segments"],
        "peak_at": at_peak["at"] if at_peak else None,
        "peak_open": bool(incident and at_peak and incident["id"] == at_peak["incident"]
                          and incident["status"] == "open"),
        "surfaces": shares(snap["surfaces"]["percent"], at_peak["surfaces"] if at_peak else None, SURFACES),
        "symptoms": shares(snap["symptoms"]["percent"], at_peak["symptoms"] if at_peak else None, SYMPTOMS),
        "countries": snap["regions"]["top"],
        "official": official_view(service, components, snap["official_updates"], incident),
        "others": troubled[:OTHERS_SHOWN], "others_more": len(troubled[OTHERS_SHOWN:]),
        "embed": embed,
    }


def read(r: Radar, service: Service) -> dict:
    """Everything the page shows to every reader, read now (call it through the page snapshots)."""
    now = r.clock()
    snap = service_snapshot(service.slug, "24h", None)
    statuses = read_statuses(r.data, r.catalog.slugs)
    components = official.components(r.data, [service.slug])[0] if service.statuspage_api else None
    return assemble(service, snap, last_hour(r.data, service.slug, now), statuses,
                    {s.slug: s.name for s in r.catalog}, components,
                    snippets(r.settings.RADAR_PUBLIC_URL, service.slug, service.name), now)
