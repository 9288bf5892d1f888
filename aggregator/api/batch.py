"""POST /api/v1/reports/batch: many reports in one request from a trusted relay, each with its client."""
from __future__ import annotations

from collections import Counter
from typing import Callable, NamedTuple

from flask import Blueprint, jsonify, request

from workers.buckets import REGION

from .. import bearer, geo, metrics
from ..base.exceptions import Disabled, MalformedBody, RadarError, UnsupportedMediaType, ValidationError
from ..intake import (
    MAX_COMMENT,
    SURFACES,
    SYMPTOMS,
    Relayed,
    ReportIn,
    enqueue_drain,
    parse_report,
    submit_many,
    text_field,
)
from ..radar import radar

bp = Blueprint("relay", __name__, url_prefix="/api/v1")

MAX_REPORTS = 1000
MAX_BYTES = 512 * 1024
MAX_USER_AGENT = 512
_SURFACES, _SYMPTOMS = frozenset(SURFACES), frozenset(SYMPTOMS) | {""}


def _client(item: dict) -> str:
    """The reporter's address in its canonical spelling (`geo.canonical`: a port or IPv4 mapping dropped)."""
    raw = item.get("client")
    address = geo.canonical(raw) if isinstance(raw, str) else None
    if address:
        return address
    raise ValidationError(f"'client' must be the reporter's IP address, not {raw!r}", field="client")


def _is_region(raw) -> bool:
    return isinstance(raw, str) and bool(REGION.fullmatch(raw) or raw == geo.UNKNOWN)


def _region(item: dict) -> str:
    raw = item.get("region")
    if raw is None:
        return ""
    if not _is_region(raw):
        raise ValidationError(f"'region' must be an ISO country or subdivision like 'DE' or 'GB-ENG', not {raw!r}",
                              field="region")
    return raw


def _user_agent(item: dict) -> str:
    value = text_field(item, "user_agent", required=False)
    if len(value) > MAX_USER_AGENT:
        raise ValidationError(f"'user_agent' must be text of at most {MAX_USER_AGENT} characters",
                              field="user_agent")
    return value


class Identify(NamedTuple):
    """The day's keyed hashes for a batch: a reporter from (address, browser), a network from `geo.network`."""

    reporter: Callable[[str, str], str]
    network: Callable[[str], str]

    @classmethod
    def at(cls, reporters, now: float) -> "Identify":
        return cls(reporters.reporters_at(now), reporters.networks_at(now))

    def relayed(self, report: ReportIn, address: str, agent: str, region: str) -> Relayed:
        return Relayed(report, self.reporter(address, agent), self.network(geo.network(address)), region)


def _checked(r, item, identify: Identify) -> Relayed:
    """Every check, normalising as a direct report's do; the error names the first field that is wrong."""
    if not isinstance(item, dict):
        raise ValidationError(f"must be a report object, not {type(item).__name__}", field=None)
    report = parse_report(item, r.catalog)
    client = _client(item)
    region = _region(item) or geo.region_for(r.locator, client, None)
    return identify.relayed(report, client, _user_agent(item), region)


def _ascii(value, most: int) -> str | None:
    """`value` stripped if it is absent or plain ASCII text of at most `most` characters after stripping."""
    if value is None:
        return ""
    if type(value) is str and value.isascii():  # ASCII holds no lone surrogate, which no store could hold
        value = value.strip()
        if len(value) <= most:
            return value
    return None


def _quick(r, item: dict, identify: Identify) -> Relayed | None:
    """The common report in one pass: a known slug, choices in lowercase, plain ASCII text, no region or a
    well-formed one. None for anything else, which `_checked` normalises or refuses naming the field."""
    get = item.get
    service, surface, symptom, client, region = (get("service"), get("surface"), get("symptom"), get("client"),
                                                 get("region"))
    if type(surface) is not str or surface not in _SURFACES or type(service) is not str:
        return None
    if not (symptom is None or type(symptom) is str and symptom in _SYMPTOMS):
        return None
    address = geo.packed(client) if type(client) is str else None
    address = address and geo.unmapped(address)
    if address is None or not (region is None or _is_region(region)):
        return None
    found = r.catalog.exact(service)
    comment, agent = _ascii(get("comment"), MAX_COMMENT), _ascii(get("user_agent"), MAX_USER_AGENT)
    # A comment with a line break or control character is left to `comment_text`, which normalises it.
    if found is None or comment is None or agent is None or not comment.isprintable():
        return None
    report = ReportIn(found, surface, symptom or "", comment)
    client = geo.spelled(address)
    return identify.relayed(report, client, agent, region or r.locator.region(client, address))


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
    identify = Identify.at(r.reporters, now)
    batch = []
    for n, item in enumerate(_reports()):
        try:
            batch.append(type(item) is dict and _quick(r, item, identify) or _checked(r, item, identify))
        except RadarError as exc:
            # All or nothing: a relay resends the whole batch after fixing it, so nothing is half taken.
            where = f"reports[{n}]" + (f".{exc.field}" if exc.field else "")
            raise type(exc)(f"{where}: {exc.message}", field=where) from None
    answers, to_drain = submit_many(r.data, batch, now, r.settings.RADAR_DEDUPE_MINUTES * 60,
                                     r.settings.RADAR_REPORTS_PER_NETWORK)
    for slug in sorted(to_drain):
        enqueue_drain(r, slug)
    counted = sum(c for _, c in answers)
    outcomes = Counter((item.report.service.slug, c) for item, (_, c) in zip(batch, answers))
    for (slug, was_counted), amount in outcomes.items():
        metrics.accepted(slug, was_counted, amount)
    return jsonify({"accepted": len(answers), "counted": counted, "deduped": len(answers) - counted,
                    "ids": [entry_id for entry_id, _ in answers]}), 202
