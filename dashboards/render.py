"""A snapshot turned into what the browser gets: Plotly figures and the HTML panels that say the same in text."""
from __future__ import annotations

from datetime import datetime, timezone

import plotly.graph_objects as go
from flask import render_template

from aggregator.base.times import epoch
from aggregator.intake import SURFACES, SYMPTOMS
from aggregator.labels import SURFACE_LABELS, SYMPTOM_LABELS

from .figures import Marker, Segment, region_map, shares_chart, spike_chart

RANGE_LABELS = {"1h": "Last hour", "6h": "Last 6 hours", "24h": "Last 24 hours", "7d": "Last 7 days",
                "30d": "Last 30 days"}
BUSIEST = 24
"""Buckets in the chart's table: the busiest of the range; every bucket is in the CSV export."""
PANELS = ("headline", "spike", "spike_rows", "surfaces", "symptoms", "regions", "incidents", "exports")
"""The parts of the service page that each refresh replaces, one template each under dashboards/panels/."""


def clock(value: str | None) -> str:
    """'Thu 26 Nov 12:03 UTC' from an ISO time."""
    if not value:
        return "—"
    moment = datetime.fromtimestamp(epoch(value), timezone.utc)
    return moment.strftime("%a %d %b %H:%M UTC")


def duration(seconds: int) -> str:
    """'2 h 05 min' or '12 min'."""
    minutes = max(0, seconds) // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def busiest(reports: list[int], limit: int = BUSIEST) -> list[int]:
    """Indexes of the `limit` buckets with the most reports (none without), in time order."""
    ranked = sorted((n for n, count in enumerate(reports) if count), key=lambda n: (-reports[n], n))
    return sorted(ranked[:limit])


def _symptom_categories(snap: dict) -> list[tuple[str, str]]:
    seen = set(snap["symptoms"]["percent"]) | set((snap["at_peak"] or {}).get("symptoms") or {})
    extra = sorted(seen - set(SYMPTOMS))
    return [(s, SYMPTOM_LABELS[s]) for s in SYMPTOMS] + [(s, s) for s in extra]


def _shares_series(snap: dict, part: str) -> list[tuple[str, dict]]:
    series = [(RANGE_LABELS[snap["range"]], snap[part]["percent"])]
    peak = snap["at_peak"]
    if peak and peak[part]:
        series.append((f"At the incident peak, {clock(peak['at'])}", peak[part]))
    return series


def figures_of(snap: dict) -> dict[str, go.Figure]:
    """The service page's figures for a snapshot."""
    series = snap["series"]
    mapped = [row for row in snap["regions"]["countries"] if row["alpha3"]]
    return {
        "spike": spike_chart(snap["from"], snap["bucket_seconds"], series["reports"], series["baseline"],
                             series["threshold"],
                             [Segment(**s) for s in snap["segments"]], snap["unit"], uirevision=snap["range"],
                             markers=[Marker(**m) for m in snap["official_updates"]]),
        "surfaces": shares_chart([(s, SURFACE_LABELS[s]) for s in SURFACES], _shares_series(snap, "surfaces")),
        "symptoms": shares_chart(_symptom_categories(snap), _shares_series(snap, "symptoms"),
                                 empty="No report in this range named a symptom"),
        "regions": region_map([r["alpha3"] for r in mapped], [r["name"] for r in mapped],
                              [r["count"] for r in mapped], [r["percent"] for r in mapped]),
    }


def panels(snap: dict) -> dict[str, str]:
    """The HTML of each panel for a snapshot."""
    context = page_context(snap)
    return {name: render_template(f"dashboards/panels/{name}.html", **context) for name in PANELS}


def page_context(snap: dict) -> dict:
    """What the page and panel templates are rendered with."""
    return {"snap": snap, "range_label": RANGE_LABELS[snap["range"]], "surfaces": _shares_series(snap, "surfaces"),
            "symptoms": _shares_series(snap, "symptoms"), "surface_categories": [(s, SURFACE_LABELS[s]) for s in SURFACES],
            "symptom_categories": _symptom_categories(snap), "clock": clock, "duration": duration,
            "surface_labels": SURFACE_LABELS, "busiest": busiest(snap["series"]["reports"])}


def payload(snap: dict) -> dict:
    """The data endpoint's answer: the snapshot, its figures as Plotly JSON, and its panels."""
    return {"snapshot": snap, "figures": {name: fig.to_plotly_json() for name, fig in figures_of(snap).items()},
            "panels": panels(snap)}
