"""The official side of a service under /api/v1: its status page's components and the crowd's lead times."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from workers import incidents, lead, official
from workers.poller import poll_state

from .. import ranges
from ..radar import radar
from .status import parse_limit

bp = Blueprint("official_api", __name__, url_prefix="/api/v1")


@bp.get("/services/<slug>/official")
def service_official(slug: str):
    r = radar()
    service = r.catalog.get(slug)
    start, end = ranges.parse_between(request.args.get("from"), request.args.get("to"))
    limit = parse_limit(request.args.get("limit"))
    answer = {"service": service.slug, "statuspage_api": service.statuspage_api, **poll_state(r.data, service.slug),
              "components": official.components(r.data, [service.slug])[0]}
    if service.statuspage_api is None:
        # Without a page there is nothing the vendor could have acknowledged: no table rather than a false one.
        return jsonify({**answer, "lead_times": [], "median_lead_time_seconds": None, "never_acknowledged": []})
    window = r.settings.RADAR_STATUSPAGE_MATCH_MINUTES * 60
    crowd = incidents.search(r.data, service=service.slug, start=start, end=end, country="none", limit=limit)
    return jsonify({**answer, **lead.table(lead.with_official(r.data, crowd, window, r.clock()))})
