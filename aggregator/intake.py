"""Report intake: check a report, make the one durable write to its service's stream, queue its drain.

The steps (`incoming`, `store`, `receipt`) are shared by the report view and the fast path."""
from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

import redis
from rq import Queue

from workers import keys
from workers.buckets import TOTAL
from workers.totals import last_hour_keys

from . import geo, metrics
from .base.catalog import Catalog, Service
from .base.exceptions import RateLimited, ValidationError
from .base.ratelimit import Window, arguments
from .origins import API
from .radar import Radar

log = logging.getLogger(__name__)

SURFACES = ("website", "desktop", "mobile", "api")
SYMPTOMS = ("login", "errors", "slow", "blank_response", "other")
MAX_COMMENT = 280

# How a report becomes a stream entry (the fields `workers.buckets.Entry.from_fields` reads), inside Redis:
# the values come in a fixed order, v = {ts, surface, region, symptom, comment}, so a report costs five
# values instead of a name and a value for each field; empty optional fields are left out, `origin` too for an
# API client's report. The report with none of them is one XADD with its fields inline, which spares Redis
# building and unpacking a field table.
_APPEND = """
local function append(stream, counted, v, origin)
  if v[4] == '' and v[5] == '' and origin == '' then
    return redis.call('XADD', stream, '*', 'counted', counted, 'ts', v[1], 'surface', v[2], 'region', v[3])
  end
  local fields = {'counted', counted, 'ts', v[1], 'surface', v[2], 'region', v[3]}
  if v[4] ~= '' then fields[#fields + 1] = 'symptom'; fields[#fields + 1] = v[4] end
  if v[5] ~= '' then fields[#fields + 1] = 'comment'; fields[#fields + 1] = v[5] end
  if origin ~= '' then fields[#fields + 1] = 'origin'; fields[#fields + 1] = origin end
  return redis.call('XADD', stream, '*', unpack(fields))
end

local function within(network, allowance, ttl)
  if allowance == 0 then return true end
  local n = redis.call('INCR', network)
  if n == 1 then redis.call('EXPIRE', network, ttl) end
  return n <= allowance
end
"""

# The rate limit's windows, dedupe mark, stream append, the "drain queued?" flag and the last hour's count in
# one atomic round trip: a second call per report would halve the web tier's rate. Every key carries the
# service's hash tag, so this stays one legal call on a Redis Cluster. KEYS[4] counts the new reporters of the
# reporter's network in the dedupe window; past ARGV[10] of them (0: no such allowance) a new reporter is not
# counted. KEYS[5..4+w] are the client's w windows, each a list of its latest report times (newest first, as
# long as the window's amount); ARGV[11] is w, then the amount and seconds of each. ARGV[9], the time the
# windows keep, is in whole seconds: the windows need no finer, and finer times would match a client's window to
# the report's comment. A report over any window is refused and leaves nothing behind. The keys after the
# windows are the buckets that hold the last hour exactly; the new entry is in the stream, not yet in them, so
# it is added when counted.
_SUBMIT = _APPEND + """
local now, allowance, windows = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local wait = 0
for w = 1, windows do
  local amount, seconds = tonumber(ARGV[10 + 2 * w]), tonumber(ARGV[11 + 2 * w])
  local oldest = tonumber(redis.call('LINDEX', KEYS[4 + w], amount - 1))
  if oldest and oldest > now - seconds then wait = math.max(wait, oldest + seconds - now) end
end
if wait > 0 then return {'', 0, 0, 0, tostring(wait)} end
for w = 1, windows do
  local amount, seconds = tonumber(ARGV[10 + 2 * w]), tonumber(ARGV[11 + 2 * w])
  redis.call('LPUSH', KEYS[4 + w], ARGV[9])
  redis.call('LTRIM', KEYS[4 + w], 0, amount - 1)
  redis.call('EXPIRE', KEYS[4 + w], seconds)
end
local counted = 0
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) and within(KEYS[4], allowance, ARGV[1]) then counted = 1 end
-- Only a counted report keeps its comment: one reporter sending again and again adds no text to read.
local id = append(KEYS[2], counted, {ARGV[4], ARGV[5], ARGV[6], ARGV[7], counted == 1 and ARGV[8] or ''},
                  ARGV[#ARGV])
local enqueue = 0
if counted == 1 and redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2]) then enqueue = 1 end
local hour = counted
for i = 5 + windows, #KEYS do
  hour = hour + tonumber(redis.call('HGET', KEYS[i], ARGV[3]) or 0)
end
return {id, counted, enqueue, hour, '0'}
"""

# The batch form for trusted relays: one call per service for many reports, each with its own dedupe mark.
# KEYS: the stream and the drain flag; ARGV: the two TTLs, every report's values and then its reporter and
# network as one JSON array of arrays, the service's dedupe and network key prefixes, and the network
# allowance. One argument, not six a report: redis-py packs each argument in Python, which for a batch's
# thousands costs more than decoding one JSON string in Lua. The script makes the keys from the prefixes,
# which carry the service's hash tag, so on a Redis Cluster they live in the stream's slot like the declared
# keys. The ids and counted flags come back as two strings for the same reason.
_SUBMIT_MANY = _APPEND + """
local rows, seen, net, allowance = cjson.decode(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local ids, counted, any = {}, {}, 0
for n = 1, #rows do
  local row, c = rows[n], 0
  if redis.call('SET', seen .. row[6], '1', 'NX', 'EX', ARGV[1]) and within(net .. row[7], allowance, ARGV[1]) then
    c = 1; any = 1
  else
    row[5] = ''
  end
  ids[n] = append(KEYS[1], c, row, '')
  counted[n] = c
end
local enqueue = 0
if any == 1 and redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then enqueue = 1 end
return {enqueue, table.concat(ids, ','), table.concat(counted)}
"""

DRAIN_FLAG_SECONDS = 10
"""If enqueuing a drain fails after the flag is set, the flag lapses and the next report tries again."""


class ReportIn(NamedTuple):
    """A checked report, before it has a time or region (a tuple: a relay's batch makes a thousand)."""

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


def text_field(data: Mapping[str, Any], name: str, required: bool) -> str:
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
    value = text_field(data, name, required).lower()
    if value and value not in allowed:
        raise ValidationError(f"'{name}' must be one of {', '.join(allowed)} — got '{value}'", field=name)
    return value


def comment_text(data: Mapping[str, Any]) -> str:
    """The comment as it is kept: line breaks as LF, without control and invisible format characters."""
    value = text_field(data, "comment", required=False)
    if value.isprintable():  # the usual comment: one quick scan, nothing to remove
        return value
    # A form sends line breaks as CRLF: counted as two characters each, a comment typed to the limit would fail.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    # Cc and Cf (NUL, escapes, bidi overrides such as U+202E, zero-width characters) can hide or reverse text.
    return "".join(c for c in value if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf")).strip()


def parse_report(data: Any, catalog: Catalog) -> ReportIn:
    """Check the fields of a report; ValidationError names the first field that is wrong."""
    if not isinstance(data, Mapping):
        raise ValidationError(f"the body must be a JSON object, not {type(data).__name__}", field=None)
    service = catalog.get(text_field(data, "service", required=True), field="service")
    surface = _choice(data, "surface", SURFACES, required=True)
    symptom = _choice(data, "symptom", SYMPTOMS, required=False)
    comment = comment_text(data)
    if len(comment) > MAX_COMMENT:
        raise ValidationError(f"'comment' is {len(comment)} characters; at most {MAX_COMMENT}", field="comment")
    return ReportIn(service, surface, symptom, comment)


def _values(report: ReportIn, region: str, stamp: str) -> list[str]:
    """The five values `_APPEND` makes a stream entry of, in its order; `stamp` is the time as "%.3f"."""
    return [stamp, report.surface, region, report.symptom, report.comment]


def submit(redis, report: ReportIn, reporter: str, region: str, now: float, dedupe_seconds: int,
           client: str = "", windows: tuple[Window, ...] = (), network: str = "", allowance: int = 0,
           origin: str = API) -> Accepted:
    """Append the report to its intake stream; counted is False if this reporter was seen in the window, or if
    its `network` (opaque key) already had `allowance` new reporters in it (0: no such allowance).

    RateLimited if `client` (its opaque key) is over one of `windows` for this service; nothing is stored then.
    `origin` is the report's class (`origins.classify`), kept with it.
    """
    slug, stamp = report.service.slug, f"{now:.3f}"
    script = redis.register_script(_SUBMIT)
    entry_id, counted, enqueue, hour, wait = script(
        keys=[keys.seen(slug, reporter), keys.intake(slug), keys.drain_pending(slug), keys.network(slug, network),
              *(keys.limit(slug, client, w.seconds) for w in windows), *last_hour_keys(slug, now)],
        args=[dedupe_seconds, DRAIN_FLAG_SECONDS, TOTAL, *_values(report, region, stamp), int(now), allowance,
              *arguments(windows), "" if origin == API else origin],
    )
    if not entry_id:
        raise RateLimited(float(wait))
    return Accepted(id=entry_id, counted=bool(counted), needs_drain=bool(enqueue), last_hour=hour)


class Relayed(NamedTuple):
    """One report of a batch, checked, with the reporter and region the relay's client gives it."""

    report: ReportIn
    reporter: str
    network: str
    region: str


def submit_many(redis, batch: list[Relayed], now: float, dedupe_seconds: int,
                allowance: int) -> tuple[list[tuple[str, bool]], set[str]]:
    """Append a batch with one call per service: (entry id, counted) in batch order, and the services whose
    drain should be queued; `allowance` is `submit`'s, per network."""
    by_service: dict[str, list[int]] = {}
    for n, item in enumerate(batch):
        by_service.setdefault(item.report.service.slug, []).append(n)
    script = redis.register_script(_SUBMIT_MANY)
    stamp = f"{now:.3f}"
    out: list[tuple[str, bool]] = [("", False)] * len(batch)
    to_drain = set()
    # Not a pipeline: redis-py asks SCRIPT EXISTS before each pipeline that holds a script, a round trip more
    # than the one or two services of a usual batch take called one by one.
    for slug, positions in by_service.items():
        rows = json.dumps([[*_values(batch[n].report, batch[n].region, stamp), batch[n].reporter, batch[n].network]
                           for n in positions])
        enqueue, ids, counted = script(keys=[keys.intake(slug), keys.drain_pending(slug)],
                                       args=[dedupe_seconds, DRAIN_FLAG_SECONDS, rows, keys.seen(slug, ""),
                                             keys.network(slug, ""), allowance])
        if enqueue:
            to_drain.add(slug)
        for n, entry_id, c in zip(positions, ids.split(","), counted):
            out[n] = (entry_id, c == "1")
    return out, to_drain


def enqueue_drain(r: Radar, slug: str) -> None:
    try:
        Queue(keys.QUEUE, connection=r.queue).enqueue(
            "workers.jobs.drain_service", slug, job_timeout=120, result_ttl=60, failure_ttl=86400)
    except redis.RedisError as exc:
        # The report is safe in its stream; the scheduler's periodic drain will count it.
        log.warning("could not enqueue a drain for %s: %s", slug, exc)


@dataclass(frozen=True)
class Incoming:
    """A checked report with everything it is stored with, before anything is stored."""

    report: ReportIn
    region: str
    reporter: str
    network: str
    client: str
    now: float
    origin: str = API


def incoming(r: Radar, body, address: str, user_agent: str, country: str | None, origin: str = API) -> Incoming:
    """Check a report's fields and work out its region and reporter; RadarError names what is wrong."""
    report = parse_report(body, r.catalog)
    now = r.clock()
    region = geo.region_for(r.locator, address, country)
    client = r.reporters.client_key(address, now) if r.limits else ""
    network = r.reporters.networks_at(now)(geo.network(address))
    return Incoming(report, region, r.reporters.reporter(address, user_agent, now), network, client, now, origin)


def store(r: Radar, item: Incoming) -> Accepted:
    """The one durable write, then the drain it may need; RateLimited before anything is written."""
    slug = item.report.service.slug
    accepted = submit(r.data, item.report, item.reporter, item.region, item.now,
                      r.settings.RADAR_DEDUPE_MINUTES * 60, item.client, r.limits,
                      item.network, r.settings.RADAR_REPORTS_PER_NETWORK, item.origin)
    metrics.accepted(slug, accepted.counted)
    if accepted.needs_drain:
        enqueue_drain(r, slug)
    return accepted


def receipt(item: Incoming, accepted: Accepted) -> dict:
    """The 202 answer's body."""
    return {"id": accepted.id, "service": item.report.service.slug, "surface": item.report.surface,
            "region": item.region, "counted": accepted.counted, "reports_last_hour": accepted.last_hour}
