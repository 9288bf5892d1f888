"""Report intake: check a report, then one durable write to the service's intake stream."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from workers import keys
from workers.buckets import TOTAL, Entry
from workers.totals import last_hour_keys

from .catalog import Catalog, Service
from .exceptions import ValidationError

SURFACES = ("website", "desktop", "mobile", "api")
SYMPTOMS = ("login", "errors", "slow", "blank_response", "other")
MAX_COMMENT = 280

# Dedupe mark, stream append, the "drain queued?" flag and the last hour's count in one atomic round trip:
# a second call per report halved the web tier's rate. Every key carries the service's hash tag, so this
# stays one legal call on a Redis Cluster. KEYS[4..] are the buckets that hold the last hour exactly; the
# new entry is in the stream, not yet in them, so it is added when counted.
_SUBMIT = """
local counted = 0
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then counted = 1 end
local id = redis.call('XADD', KEYS[2], '*', 'counted', counted, unpack(ARGV, 4))
local enqueue = 0
if counted == 1 and redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2]) then enqueue = 1 end
local hour = counted
for i = 4, #KEYS do
  hour = hour + tonumber(redis.call('HGET', KEYS[i], ARGV[3]) or 0)
end
return {id, counted, enqueue, hour}
"""

DRAIN_FLAG_SECONDS = 10
"""If enqueuing a drain fails after the flag is set, the flag lapses and the next report tries again."""


@dataclass(frozen=True)
class ReportIn:
    """A checked report, before it has a time or region."""

    service: Service
    surface: str
    symptom: str = ""
    comment: str = ""


@dataclass(frozen=True)
class Accepted:
    """What the intake did with a report."""

    id: str
    counted: bool
    needs_drain: bool
    last_hour: int
    """Counted reports of the service in the last 60 minutes, this one included."""


def _text_field(data: Mapping[str, Any], name: str, required: bool) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ValidationError(f"'{name}' is required", field=name)
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"'{name}' must be a string, not {type(value).__name__}", field=name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # JSON allows lone surrogates ("\ud800"), which no store can hold
        raise ValidationError(f"'{name}' contains characters that are not valid text", field=name) from None
    return value.strip()


def _choice(data: Mapping[str, Any], name: str, allowed: tuple[str, ...], required: bool) -> str:
    value = _text_field(data, name, required).lower()
    if value and value not in allowed:
        raise ValidationError(f"'{name}' must be one of {', '.join(allowed)} — got '{value}'", field=name)
    return value


def parse_report(data: Any, catalog: Catalog) -> ReportIn:
    """Check the fields of a report; ValidationError names the first field that is wrong."""
    if not isinstance(data, Mapping):
        raise ValidationError(f"the body must be a JSON object, not {type(data).__name__}", field=None)
    service = catalog.get(_text_field(data, "service", required=True), field="service")
    surface = _choice(data, "surface", SURFACES, required=True)
    symptom = _choice(data, "symptom", SYMPTOMS, required=False)
    comment = _text_field(data, "comment", required=False)
    if len(comment) > MAX_COMMENT:
        raise ValidationError(f"'comment' is {len(comment)} characters; at most {MAX_COMMENT}", field="comment")
    return ReportIn(service, surface, symptom, comment)


def submit(redis, report: ReportIn, reporter: str, region: str, now: float, dedupe_seconds: int) -> Accepted:
    """Append the report to its intake stream; counted is False if this reporter was seen in the window."""
    slug = report.service.slug
    entry = Entry(ts=now, surface=report.surface, symptom=report.symptom, region=region, comment=report.comment)
    fields = [x for pair in entry.to_fields().items() if pair[0] != "counted" for x in pair]
    script = redis.register_script(_SUBMIT)
    entry_id, counted, enqueue, hour = script(
        keys=[keys.seen(slug, reporter), keys.intake(slug), keys.drain_pending(slug), *last_hour_keys(slug, now)],
        args=[dedupe_seconds, DRAIN_FLAG_SECONDS, TOTAL, *fields],
    )
    return Accepted(id=entry_id, counted=bool(counted), needs_drain=bool(enqueue), last_hour=hour)
