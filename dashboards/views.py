"""The dashboard blueprint: the overview of every service and each service's page, their data and exports."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import plotly
from flask import Blueprint, Response, jsonify, render_template, request, send_file, url_for

from aggregator.base.exceptions import UnknownService, ValidationError
from aggregator.base.times import iso
from aggregator.embed import snippets
from aggregator.errors import error_response, shown_as_page
from aggregator.radar import radar
from aggregator.ranges import parse_instant
from aggregator.security import content_security_policy
from workers import incidents, keys, lead, official
from workers.buckets import Bucket
from workers.evaluate import read_statuses
from workers.expected import read_profiles
from workers.totals import last_hour_spans, read_series, read_totals

from . import render, snapshot
from .figures import sparkline_points

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
               static_folder="static", static_url_path="/static")

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SPARK_WIDTH, SPARK_HEIGHT = 120, 28
SPARK_HOURS = 25
"""Hourly points of the overview's sparklines: the last 24 hours and the one under way."""
INCIDENTS_READ = 200
"""Newest incidents read for a service page; enough for 30 days of even a flapping service."""
ERROR_PAGE = "dashboards/error.html"


def _matches(service, query: str) -> bool:
    query = query.strip().lower()
    return not query or any(query in name.lower() for name in (service.slug, service.name, *service.aliases))


def overview_rows(query: str = "") -> list[dict]:
    """Every service (matching `query`), most anomalous first, from one round trip per read function."""
    r = radar()
    now = r.clock()
    services = [s for s in r.catalog if _matches(s, query)]
    slugs = [s.slug for s in services]
    minute, hour = keys.MINUTE.index(now), keys.HOUR.index(now)
    # The last hour as the fewest buckets that hold it exactly, and hourly points for the sparkline: every
    # key named costs the client more than Redis takes to read it, and there are hundreds of services.
    totals = read_totals(r.data, slugs, [*last_hour_spans(now), (keys.HOUR, hour - SPARK_HOURS + 1, hour)])
    statuses = read_statuses(r.data, slugs)
    profiles = read_profiles(r.data, slugs, (minute - 59) * 60, (minute + 1) * 60)
    components = official.components(r.data, slugs)
    rows = [snapshot.overview_row({"slug": s.slug, "name": s.name, "aliases": list(s.aliases)}, status,
                                  sum(map(sum, totals[s.slug][:-1])), totals[s.slug][-1], profiles[s.slug], now,
                                  page)
            for s, status, page in zip(services, statuses, components)]
    for row in rows:
        row["points"] = sparkline_points(row["spark"], SPARK_WIDTH, SPARK_HEIGHT)
    return sorted(rows, key=snapshot.anomaly)


def service_snapshot(slug: str, range_name: str | None, to: str | None) -> dict:
    """The snapshot of one service over a range ending at `to` (default now)."""
    r = radar()
    service = r.catalog.get(slug)
    now = r.clock()
    end = parse_instant(to, "to")
    win = snapshot.window(range_name, now if end is None else end)
    counts, sums = read_series(r.data, service.slug, win.resolution, win.first, win.last)
    profile = read_profiles(r.data, [service.slug], win.start, win.end)[service.slug]
    status = read_statuses(r.data, [service.slug])[0]
    found = incidents.search(r.data, service=service.slug, end=win.end, limit=INCIDENTS_READ)
    found = lead.with_official(r.data, found, r.settings.RADAR_STATUSPAGE_MATCH_MINUTES * 60, now)
    officials = official.between(r.data, service.slug, win.start - lead.LOOKBACK, win.end)
    return snapshot.service_snapshot({"slug": service.slug, "name": service.name,
                                      "official_page": service.statuspage_api is not None}, win, counts,
                                     Bucket.from_hash(win.start, sums), profile, status, found, now, officials)


def _refresh() -> int:
    return radar().settings.RADAR_DASHBOARD_REFRESH


@bp.get("")
@shown_as_page(ERROR_PAGE)
def overview():
    query = request.args.get("q", "")
    return render_template("dashboards/overview.html", rows=overview_rows(query), query=query,
                           refresh=_refresh(), spark=(SPARK_WIDTH, SPARK_HEIGHT))


@bp.get("/data")
def overview_data():
    rows = overview_rows(request.args.get("q", ""))
    html = render_template("dashboards/panels/overview_rows.html", rows=rows, spark=(SPARK_WIDTH, SPARK_HEIGHT))
    return jsonify({"generated_at": iso(radar().clock()), "rows": rows, "html": html})


@bp.get("/<slug>")
@shown_as_page(ERROR_PAGE)
def service(slug: str):
    try:
        snap = service_snapshot(slug, request.args.get("range"), request.args.get("to"))
    except (UnknownService, ValidationError) as exc:
        return render_template(ERROR_PAGE, message=exc.message), exc.status
    return render_template("dashboards/service.html", **render.page_context(snap), payload=render.payload(snap),
                           ranges=list(snapshot.RANGES), refresh=_refresh(),
                           embed=snippets(radar().settings.RADAR_PUBLIC_URL, snap["service"]["slug"],
                                          snap["service"]["name"]),
                           topojson=url_for("dashboard.static", filename="topojson/"),
                           plotly_js=url_for("dashboard.plotly_js", version=plotly.__version__))


@bp.get("/<slug>/data")
def service_data(slug: str):
    return jsonify(render.payload(service_snapshot(slug, request.args.get("range"), request.args.get("to"))))


@bp.get("/<slug>/export.json")
def export_json(slug: str):
    snap = service_snapshot(slug, request.args.get("range"), request.args.get("to"))
    response = jsonify(snap)
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(snap)}.json"'
    return response


@bp.get("/<slug>/export.csv")
def export_csv(slug: str):
    snap = service_snapshot(slug, request.args.get("range"), request.args.get("to"))
    series = snap["series"]
    blank = [""] * len(series["time"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "reports", "baseline", "threshold"])
    writer.writerows(zip(series["time"], series["reports"], series["baseline"] or blank, series["threshold"] or blank))
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(snap)}.csv"'})


def _filename(snap: dict) -> str:
    return f"{snap['service']['slug']}-{snap['range']}-{snap['to'].replace(':', '')}"


@bp.get("/vendor/plotly-<version>.min.js")
def plotly_js(version: str):
    """plotly.js from the installed plotly package: no CDN, and the version in the URL lets browsers keep it."""
    if version != plotly.__version__:
        return error_response(404, "not_found", "no such page or endpoint")
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=365 * 86400)


@bp.after_request
def _allow_plotly_styles(response: Response) -> Response:
    """Plotly adds its own style elements and sets style attributes, which the site-wide policy forbids."""
    response.headers.setdefault("Content-Security-Policy", content_security_policy(inline_styles=True))
    return response
