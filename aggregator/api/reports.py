"""The JSON API under /api/v1: report intake and reading the counts back."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, redirect, request, url_for

from workers.buckets import Bucket, read_buckets
from workers.daysums import read_sums
from workers.summary import summarize
from workers.totals import recent_totals

from .. import geo, origins, pages, ranges
from ..base.exceptions import MalformedBody, RadarError, UnsupportedMediaType, ValidationError
from ..base.times import iso
from ..intake import SURFACES, incoming, receipt, store
from ..radar import radar

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _report_body():
    """The report's fields from a JSON or form body."""
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        body = request.get_json(silent=True)
        if body is None:
            raise MalformedBody("the body is not valid JSON", field=None)
        return body
    if mimetype in pages.FORM_TYPES:
        return request.form.to_dict()
    raise UnsupportedMediaType(
        f"send the report as application/json or a form, not '{mimetype or 'no content type'}'")


def request_address() -> str:
    """The client's own address: X-Forwarded-For is believed only through TRUSTED_PROXIES."""
    return geo.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                              radar().settings.TRUSTED_PROXIES)


@bp.post("/reports")
def post_report():
    body = _report_body()
    r = radar()
    header = r.settings.RADAR_COUNTRY_HEADER
    try:
        origin = origins.of_request(request.environ, r.settings.RADAR_PUBLIC_URL)
        item = incoming(r, body, request_address(), request.headers.get("User-Agent", ""),
                        request.headers.get(header) if header else None, origin)
        accepted = store(r, item)
    except RadarError as exc:
        if pages.wants_page():
            return pages.form_error(exc, body)
        raise
    if pages.wants_page():
        slug = item.report.service.slug
        return redirect(url_for("pages.service", slug=slug, **pages.report_query(
            r, slug, item.report.surface, accepted.counted, accepted.id, item.now)), code=303)
    return jsonify(receipt(item, accepted)), 202


@bp.get("/services")
def list_services():
    r = radar()
    totals = recent_totals(r.data, r.catalog.slugs, r.clock())
    return jsonify({"services": [{**s.to_dict(), "reports_last_hour": totals[s.slug]} for s in r.catalog]})


def _series_rows(buckets):
    return [{"time": iso(b.start), "total": b.total, "surfaces": b.surfaces, "symptoms": b.symptoms,
             "countries": b.countries} for b in buckets]


def _series_csv(slug: str, rows: list[dict]) -> Response:
    countries = sorted({c for row in rows for c in row["countries"]})
    symptoms = sorted({s for row in rows for s in row["symptoms"]})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "total", *(f"surface:{s}" for s in SURFACES), *(f"symptom:{s}" for s in symptoms),
                     *(f"country:{c}" for c in countries)])
    for row in rows:
        writer.writerow([row["time"], row["total"], *(row["surfaces"].get(s, 0) for s in SURFACES),
                         *(row["symptoms"].get(s, 0) for s in symptoms),
                         *(row["countries"].get(c, 0) for c in countries)])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{slug}-series.csv"'})


@bp.get("/services/<slug>/series")
def series(slug: str):
    r = radar()
    service = r.catalog.get(slug)
    resolution = ranges.parse_resolution(request.args.get("resolution"))
    span = ranges.bucket_range(resolution, ranges.parse_instant(request.args.get("from"), "from"),
                               ranges.parse_instant(request.args.get("to"), "to"), r.clock())
    fmt = request.args.get("format") or "json"
    if fmt not in ("json", "csv"):
        raise ValidationError(f"'format' must be json or csv — got '{fmt}'", field="format")
    rows = _series_rows(read_buckets(r.data, service.slug, resolution, span.first, span.last))
    if fmt == "csv":
        return _series_csv(service.slug, rows)
    return jsonify({"service": service.slug, "resolution": resolution.name, "from": iso(span.start),
                    "to": iso(span.end), "buckets": rows})


@bp.get("/services/<slug>/summary")
def summary(slug: str):
    r = radar()
    service = r.catalog.get(slug)
    window = request.args.get("window") or "1h"
    now = r.clock()
    span = ranges.window_range(ranges.parse_window(window), now)
    sums = read_sums(r.data, service.slug, span.resolution, span.first, span.last, now)
    return jsonify({"service": service.slug, "window": window, "resolution": span.resolution.name,
                    "from": iso(span.start), "to": iso(span.end), **summarize([Bucket.from_hash(span.start, sums)])})
