"""The detection side of the JSON API under /api/v1: service status and incidents."""
from __future__ import annotations

import re

from flask import Blueprint, jsonify, request

from workers import incidents
from workers.evaluate import read_statuses
from workers.lead import with_official

from .. import ranges
from ..base.catalog import Service
from ..base.exceptions import UnknownIncident, ValidationError
from ..radar import radar

bp = Blueprint("status_api", __name__, url_prefix="/api/v1")

STATES = ("open", "resolved", "degraded", "outage")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_LIMIT = re.compile(r"[0-9]{1,4}")


def _named(status: dict, service: Service) -> dict:
    """A status record with the service's display name after its slug, for widgets and other sites."""
    return {"service": status["service"], "name": service.name, **status}


@bp.get("/status")
def all_statuses():
    r = radar()
    statuses = read_statuses(r.data, r.catalog.slugs)
    return jsonify({"services": [_named(status, service) for status, service in zip(statuses, r.catalog)]})


@bp.get("/services/<slug>/status")
def service_status(slug: str):
    r = radar()
    service = r.catalog.get(slug)
    return jsonify(_named(read_statuses(r.data, [service.slug])[0], service))



def parse_limit(raw: str | None, default: int = DEFAULT_LIMIT, most: int = MAX_LIMIT) -> int:
    """How many items a list may hold: `default` when not given."""
    if raw is None or raw == "":
        return default
    # Not str.isdigit: it takes digits such as '²' that int() refuses.
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= most:
        raise ValidationError(f"'limit' must be a whole number from 1 to {most} — got '{raw}'", field="limit")
    return int(raw)


def _country(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if raw.lower() == "none":
        return "none"
    if not _COUNTRY.fullmatch(raw):
        raise ValidationError(f"'country' must be a two-letter ISO code or 'none' — got '{raw}'", field="country")
    return raw.upper()


@bp.get("/incidents")
def list_incidents():
    r = radar()
    args = request.args
    service = r.catalog.get(args["service"], field="service").slug if args.get("service") else None
    state = args.get("state") or None
    if state is not None and state not in STATES:
        raise ValidationError(f"'state' must be one of {', '.join(STATES)} — got '{state}'", field="state")
    start, end = ranges.parse_between(args.get("from"), args.get("to"))
    found = incidents.search(r.data, service=service, state=state, start=start, end=end,
                             country=_country(args.get("country")), limit=parse_limit(args.get("limit")))
    return jsonify({"incidents": linked(found)})


def linked(found: list[dict]) -> list[dict]:
    """Incidents with the official incident each is linked to and the crowd's lead time over it."""
    r = radar()
    return with_official(r.data, found, r.settings.RADAR_STATUSPAGE_MATCH_MINUTES * 60, r.clock())


@bp.get("/incidents/<incident_id>")
def get_incident(incident_id: str):
    incident = incidents.get(radar().data, incident_id)
    if incident is None:
        raise UnknownIncident(f"no incident '{incident_id}'")
    return jsonify(linked([incident])[0])
