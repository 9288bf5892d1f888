"""The home page's view: services with problems first, the rest under their categories, each with its state in words,
its last 24 hours as an inline chart and its last hour beside what is typical; then the latest incidents."""
from __future__ import annotations

from typing import Iterable

from flask_babel import lazy_gettext

from dashboards.figures import sparkline_points
from dashboards.palette import UNKNOWN as NOT_CHECKED
from dashboards.reads import overview_rows
from dashboards.snapshot import anomaly
from workers import incidents
from workers.detect import PROBLEM_STATES

from .base.catalog import Service
from .base.times import iso
from .radar import radar

WORDS = {"outage": lazy_gettext("Problems"), "degraded": lazy_gettext("Possible problems"),
         "ok": lazy_gettext("No problems"), NOT_CHECKED: lazy_gettext("Not checked yet")}
"""A state as the home page says it: the words always go with the colour, never the colour alone. Lazy, so the
cached view says them in the language of each request that renders it."""
CHART_WIDTH, CHART_HEIGHT = 96, 24
"""The chart's drawing units; CSS may scale it, the points stay in these."""
QUERY_LENGTH = 80
"""The most of a search kept: longer than any name, short enough that a query is a small snapshot key."""
INCIDENTS_SHOWN = 10
INCIDENTS_READ = 100
"""Newest incidents read: more than shown, as a country's incidents are read too (one outage opens one in each
country it spreads to) and a search for a few services should still find some of theirs."""


def clean_query(text: str) -> str:
    """A search as it is matched and kept: spaces collapsed, lowercase, bounded."""
    return " ".join(text.split()).lower()[:QUERY_LENGTH]


def typical(baseline: float | None) -> int | None:
    """The typical count of an hour as a person reads it ("about 20"); None while no baseline is learned."""
    return None if baseline is None else max(1, round(baseline))


def clock(stamp: str, now: float) -> dict:
    """A time the product wrote, for a <time> element: HH:MM, and the date only when it is not today's (UTC)."""
    return {"datetime": stamp, "time": stamp[11:16], "date": None if stamp[:10] == iso(now)[:10] else stamp[:10]}


def chart(spark: list[int], last_hour: int, now: float) -> dict:
    """The hourly points of the last 24 hours as an SVG polyline, and the peak hour and now for its text."""
    first_hour = int(now // 3600) - len(spark) + 1
    peak = max(range(len(spark)), key=lambda n: (spark[n], n)) if any(spark) else None
    return {"points": sparkline_points(spark, CHART_WIDTH, CHART_HEIGHT), "width": CHART_WIDTH,
            "height": CHART_HEIGHT, "now": last_hour,
            "peak": None if peak is None else spark[peak],
            "peak_at": None if peak is None else iso((first_hour + peak) * 3600)[11:16]}


def service_row(row: dict, now: float) -> dict:
    """One service as the home page lists it, from its dashboard overview row."""
    state = row["status"]["state"]
    return {"slug": row["slug"], "name": row["name"], "state": state, "words": WORDS[state],
            "last_hour": row["last_hour"], "typical": typical(row["baseline_hour"]),
            "chart": chart(row["spark"], row["last_hour"], now)}


def problems_first(rows: list[dict], order: list[str]) -> tuple[list[dict], list[dict]]:
    """(services with problems, outage then degraded, most anomalous first; the others in catalog `order`)."""
    problems = sorted((r for r in rows if r["status"]["state"] in PROBLEM_STATES), key=anomaly)
    place = {slug: n for n, slug in enumerate(order)}
    rest = sorted((r for r in rows if r["status"]["state"] not in PROBLEM_STATES), key=lambda r: place.get(r["slug"], 0))
    return problems, rest


def grouped(rows: list[dict], categories: dict[str, str | None]) -> list[dict]:
    """`rows` under their categories in the order the catalog first names them, the uncategorised last (heading
    None); one group without a heading when no service has a category."""
    if not any(categories.get(r["slug"]) for r in rows):
        return [{"category": None, "rows": rows}] if rows else []
    groups: dict[str | None, list[dict]] = {c: [] for c in dict.fromkeys(categories.values()) if c}
    groups[None] = []
    for row in rows:
        groups[categories.get(row["slug"])].append(row)
    return [{"category": c, "rows": rs} for c, rs in groups.items() if rs]


def incident_row(incident: dict, names: dict[str, str], now: float) -> dict:
    """One incident in the latest list: whose, its state in words (the worst once over), since when, and whether it
    is over."""
    resolved = incident["resolved_at"]
    state = incident["worst_state"] if resolved else incident["state"]
    slug = incident["service"]
    return {"id": incident["id"], "slug": slug, "name": names.get(slug, slug), "state": state,
            "words": WORDS.get(state, state), "since": clock(incident["opened_at"], now),
            "resolved": clock(resolved, now) if resolved else None}


def home_view(rows: list[dict], services: Iterable[Service], found: list[dict], query: str, now: float) -> dict:
    """Everything the home page shows, from the overview rows (those matching `query`) and the newest incidents."""
    services = list(services)
    problems, rest = problems_first(rows, [s.slug for s in services])
    shown = {r["slug"] for r in rows}
    names = {s.slug: s.name for s in services}
    # A service's own incidents only: its countries' are part of the same story, and would crowd it out.
    latest = [i for i in found if i["service"] in shown and i.get("country") is None][:INCIDENTS_SHOWN]
    return {"query": query, "matched": len(rows),
            "problems": [service_row(r, now) for r in problems],
            "groups": [{"category": g["category"], "rows": [service_row(r, now) for r in g["rows"]]}
                       for g in grouped(rest, {s.slug: s.category for s in services})],
            "incidents": [incident_row(i, names, now) for i in latest]}


def read_home(query: str) -> dict:
    """The home page's view as the stores hold it now."""
    r = radar()
    return home_view(overview_rows(query), r.catalog, incidents.search(r.data, limit=INCIDENTS_READ), query,
                     r.clock())

