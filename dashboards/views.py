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
from aggregator.security import content_security_policy

from . import render, snapshot
from .reads import SPARK_HEIGHT, SPARK_WIDTH, overview_rows, service_snapshot

ERROR_PAGE = "dashboards/error.html"

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
               static_folder="static", static_url_path="/static")

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


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
