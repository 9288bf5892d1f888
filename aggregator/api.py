"""The JSON API under /api/v1: report intake and reading the counts back."""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass

import redis
from flask import Blueprint, Response, jsonify, redirect, request, url_for
from rq import Queue

from workers import keys
from workers.buckets import read_buckets
from workers.totals import recent_totals
from workers.summary import summarize

from . import geo, metrics, pages, ranges
from .app import Radar, radar
from .exceptions import MalformedBody, RadarError, UnsupportedMediaType, ValidationError
from .intake import SURFACES, Accepted, ReportIn, parse_report, submit

log = logging.getLogger(__name__)
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


def enqueue_drain(r: Radar, slug: str) -> None:
    try:
        Queue(keys.QUEUE, connection=r.queue).enqueue(
            "workers.jobs.drain_service", slug, job_timeout=120, result_ttl=60, failure_ttl=86400)
    except redis.RedisError as exc:
        # The report is safe in its stream; the scheduler's periodic drain will count it.
        log.warning("could not enqueue a drain for %s: %s", slug, exc)


def request_address() -> str:
    """The client's own address: X-Forwarded-For is believed only through TRUSTED_PROXIES."""
    return geo.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                              radar().settings.TRUSTED_PROXIES)


@dataclass(frozen=True)
class Incoming:
    """A checked report with everything it is stored with, before anything is stored."""

    report: ReportIn
    region: str
    reporter: str
    client: str
    now: float


def incoming(r: Radar, body, address: str, user_agent: str, country: str | None) -> Incoming:
    """Check a report's fields and work out its region and reporter; RadarError names what is wrong."""
    report = parse_report(body, r.catalog)
    now = r.clock()
    region = geo.region_for(r.locator, address, country)
    client = r.reporters.client_key(address, now) if r.limits else ""
    return Incoming(report, region, r.reporters.reporter(address, user_agent, now), client, now)


def store(r: Radar, item: Incoming) -> Accepted:
    """The one durable write, then the drain it may need; RateLimited before anything is written."""
    slug = item.report.service.slug
    accepted = submit(r.data, item.report, item.reporter, item.region, item.now,
                      r.settings.RADAR_DEDUPE_MINUTES * 60, item.client, r.limits)
    metrics.accepted(slug, accepted.counted)
    if accepted.needs_drain:
        enqueue_drain(r, slug)
    return accepted


def receipt(item: Incoming, accepted: Accepted) -> dict:
    """The 202 answer's body."""
    return {"id": accepted.id, "service": item.report.service.slug, "surface": item.report.surface,
            "region": item.region, "counted": accepted.counted, "reports_last_hour": accepted.last_hour}


@bp.post("/reports")
def post_report():
    body = _report_body()
    r = radar()
    header = r.settings.RADAR_COUNTRY_HEADER
    try:
        item = incoming(r, body, request_address(), request.headers.get("User-Agent", ""),
                        request.headers.get(header) if header else None)
        accepted = store(r, item)
    except RadarError as exc:
        if pages.wants_page():
            return pages.form_error(exc)
        raise
    if pages.wants_page():
        return redirect(url_for("pages.service", slug=item.report.service.slug, reported=item.report.surface,
                                counted=int(accepted.counted), id=accepted.id), code=303)
    return jsonify(receipt(item, accepted)), 202


@bp.get("/services")
def list_services():
    r = radar()
    totals = recent_totals(r.data, r.catalog.slugs, r.clock())
    return jsonify({"services": [{**s.to_dict(), "reports_last_hour": totals[s.slug]} for s in r.catalog]})


def _series_rows(buckets):
    return [{"time": ranges.iso(b.start), "total": b.total, "surfaces": b.surfaces, "symptoms": b.symptoms,
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
    return jsonify({"service": service.slug, "resolution": resolution.name, "from": ranges.iso(span.start),
                    "to": ranges.iso(span.end), "buckets": rows})


@bp.get("/services/<slug>/summary")
def summary(slug: str):
    r = radar()
    service = r.catalog.get(slug)
    window = request.args.get("window") or "1h"
    span = ranges.window_range(ranges.parse_window(window), r.clock())
    buckets = read_buckets(r.data, service.slug, span.resolution, span.first, span.last)
    return jsonify({"service": service.slug, "window": window, "resolution": span.resolution.name,
                    "from": ranges.iso(span.start), "to": ranges.iso(span.end), **summarize(buckets)})
