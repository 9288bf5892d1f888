"""POST /api/v1/reports/batch: many reports in one request from a trusted relay, each with its client."""
from __future__ import annotations

import re
from collections import Counter

from flask import Blueprint, jsonify, request

from . import bearer, geo, metrics
from .api import enqueue_drain
from .app import radar
from .exceptions import Disabled, MalformedBody, RadarError, UnsupportedMediaType, ValidationError
from .intake import Relayed, parse_report, submit_many, text_field

bp = Blueprint("relay", __name__, url_prefix="/api/v1")

MAX_REPORTS = 1000
MAX_BYTES = 512 * 1024
MAX_USER_AGENT = 512
_REGION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")


def _client(item: dict) -> str:
    raw = item.get("client")
    if isinstance(raw, str) and geo.packed(raw):
        return raw
    raise ValidationError(f"'client' must be the reporter's IP address, not {raw!r}", field="client")


def _region(item: dict) -> str:
    raw = item.get("region")
    if raw is None:
        return ""
    if not isinstance(raw, str) or not (_REGION.fullmatch(raw) or raw == geo.UNKNOWN):
        raise ValidationError(f"'region' must be an ISO country or subdivision like 'DE' or 'GB-ENG', not {raw!r}",
                              field="region")
    return raw


def _user_agent(item: dict) -> str:
    value = text_field(item, "user_agent", required=False)
    if len(value) > MAX_USER_AGENT:
        raise ValidationError(f"'user_agent' must be text of at most {MAX_USER_AGENT} characters",
                              field="user_agent")
    return value


def _relayed(r, item, now: float) -> Relayed:
    if not isinstance(item, dict):
        raise ValidationError(f"must be a report object, not {type(item).__name__}", field=None)
    report = parse_report(item, r.catalog)
    client = _client(item)
    region = _region(item) or geo.region_for(r.locator, client, None)
    return Relayed(report, r.reporters.reporter(client, _user_agent(item), now), region)


def _reports() -> list:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(f"send the batch as application/json, not '{request.mimetype or 'nothing'}'")
    request.max_content_length = MAX_BYTES
    body = request.get_json(silent=True)
    if body is None:
        raise MalformedBody("the body is not valid JSON", field=None)
    reports = body.get("reports") if isinstance(body, dict) else None
    if not isinstance(reports, list) or not reports:
        raise ValidationError("the body must be {\"reports\": [...]} with at least one report", field="reports")
    if len(reports) > MAX_REPORTS:
        raise ValidationError(f"{len(reports)} reports in one batch; at most {MAX_REPORTS}", field="reports")
    return reports


@bp.post("/reports/batch")
def post_batch():
    r = radar()
    bearer.require(r.settings.RADAR_RELAY_KEYS, "relay", "one of RADAR_RELAY_KEYS",
                   Disabled("the batch endpoint is off — set RADAR_RELAY_KEYS to give relays a key"))
    now = r.clock()
    batch = []
    for n, item in enumerate(_reports()):
        try:
            batch.append(_relayed(r, item, now))
        except RadarError as exc:
            # All or nothing: a relay resends the whole batch after fixing it, so nothing is half taken.
            where = f"reports[{n}]" + (f".{exc.field}" if exc.field else "")
            raise type(exc)(f"{where}: {exc.message}", field=where) from None
    answers, to_drain = submit_many(r.data, batch, now, r.settings.RADAR_DEDUPE_MINUTES * 60)
    for slug in sorted(to_drain):
        enqueue_drain(r, slug)
    counted = sum(c for _, c in answers)
    outcomes = Counter((item.report.service.slug, c) for item, (_, c) in zip(batch, answers))
    for (slug, was_counted), amount in outcomes.items():
        metrics.accepted(slug, was_counted, amount)
    return jsonify({"accepted": len(answers), "counted": counted, "deduped": len(answers) - counted,
                    "ids": [entry_id for entry_id, _ in answers]}), 202
