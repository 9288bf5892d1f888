"""Bucket totals of many services at once, read inside Redis so hundreds of services stay one quick round trip."""
from __future__ import annotations

from . import keys
from .buckets import TOTAL

# One call per service instead of one HGET per bucket: with hundreds of services the client's cost per
# command, not Redis, is what takes the time. Every key is passed in KEYS and carries the service's hash
# tag, so the script stays legal on a Redis Cluster.
_TOTALS = """
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('HGET', key, ARGV[1]) or ''
end
return table.concat(out, ',')
"""

Span = tuple[keys.Resolution, int, int]
"""A resolution and its bucket indexes first..last, inclusive."""


def read_totals(redis, slugs: list[str], spans: list[Span]) -> dict[str, list[list[int]]]:
    """Per service, the counted reports of each bucket of each span, in span order; missing buckets are 0."""
    script = redis.register_script(_TOTALS)
    with redis.pipeline(transaction=False) as pipe:
        for slug in slugs:
            names = [keys.bucket(slug, res, i) for res, first, last in spans for i in range(first, last + 1)]
            script(keys=names, args=[TOTAL], client=pipe)
        raws = pipe.execute()
    out = {}
    for slug, raw in zip(slugs, raws):
        values = [int(v) if v else 0 for v in raw.split(",")]
        parts, at = [], 0
        for _, first, last in spans:
            parts.append(values[at:at + last - first + 1])
            at += last - first + 1
        out[slug] = parts
    return out


LUA_ADD_UP = """
local function add_up(sums, key)
  local flat = redis.call('HGETALL', key)
  for i = 1, #flat, 2 do
    sums[flat[i]] = (sums[flat[i]] or 0) + tonumber(flat[i + 1])
  end
  return #flat
end

local function flattened(sums, out)
  for name, count in pairs(sums) do
    out[#out + 1] = name
    out[#out + 1] = count
  end
  return out
end
"""
"""Lua functions for the scripts that add bucket hashes up inside Redis: `add_up` adds one hash's fields to
`sums` (and says how many values it had), `flattened` appends the sums to a reply as name, count, …"""

# Adds up every field of the given bucket hashes inside Redis: a day of minute buckets is a few dozen
# hashes once it is covered by hours and quarters, and one reply of sums instead of thousands of hashes.
_SUMS = LUA_ADD_UP + """
local sums = {}
for _, key in ipairs(KEYS) do add_up(sums, key) end
return flattened(sums, {})
"""

_COARSER = {keys.MINUTE.name: keys.QUARTER, keys.QUARTER.name: keys.HOUR}


def cover(resolution: keys.Resolution, first: int, last: int) -> list[Span]:
    """The coarsest spans of buckets that hold exactly the reports of buckets first..last."""
    # Exact because the drain adds every report to its minute, quarter and hour in one transaction.
    if first > last:
        return []
    coarser = _COARSER.get(resolution.name)
    if coarser is None:
        return [(resolution, first, last)]
    per = coarser.seconds // resolution.seconds
    inner_first, inner_last = -(-first // per), (last + 1) // per - 1
    if inner_first > inner_last:
        return [(resolution, first, last)]
    return [*cover(resolution, first, inner_first * per - 1), *cover(coarser, inner_first, inner_last),
            *cover(resolution, (inner_last + 1) * per, last)]


def last_hour_spans(now: float) -> list[Span]:
    """The fewest buckets that hold the last 60 minutes, the current one included."""
    # Buckets after now are empty, so the span may run on to the end of the hour: then the current hour's
    # bucket covers its minutes, and about half as many keys are read as for the exact sixty.
    minute = keys.MINUTE.index(now)
    end_of_hour = (keys.HOUR.index(now) + 1) * (keys.HOUR.seconds // keys.MINUTE.seconds) - 1
    return cover(keys.MINUTE, minute - 59, end_of_hour)


def last_hour_keys(slug: str, now: float) -> list[str]:
    return [keys.bucket(slug, res, i) for res, first, last in last_hour_spans(now) for i in range(first, last + 1)]


def recent_totals(redis, slugs: list[str], now: float) -> dict[str, int]:
    """Counted reports per service over the last 60 minutes, the current one included."""
    return {slug: sum(map(sum, parts)) for slug, parts in read_totals(redis, slugs, last_hour_spans(now)).items()}


# The last hour's total and whether a report still waiting in the stream is counted, read in one step: the
# drain moves a report from the stream to the buckets atomically, so one snapshot sees it in exactly one of
# the two places. A script rather than MULTI/EXEC, which a cluster client runs without parsing the replies.
# KEYS[1] is the intake stream, KEYS[2..] the buckets; ARGV: the total's field, the entry id or ''.
_LAST_HOUR = """
local n = 0
for i = 2, #KEYS do
  n = n + tonumber(redis.call('HGET', KEYS[i], ARGV[1]) or 0)
end
if ARGV[2] ~= '' then
  for _, entry in ipairs(redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2], 'COUNT', 1)) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'counted' and fields[i + 1] == '1' then n = n + 1 end
    end
  end
end
return n
"""


def last_hour(redis, slug: str, now: float, entry_id: str | None = None) -> int:
    """Counted reports of the last 60 minutes, plus report `entry_id` if it is counted and not drained yet."""
    return redis.register_script(_LAST_HOUR)(keys=[keys.intake(slug), *last_hour_keys(slug, now)],
                                             args=[TOTAL, entry_id or ""])


def read_series(redis, slug: str, resolution: keys.Resolution, first: int, last: int) -> tuple[list[int], dict]:
    """The counted reports of each bucket first..last, and every bucket field summed over them, in one round trip."""
    totals, sums = redis.register_script(_TOTALS), redis.register_script(_SUMS)
    with redis.pipeline(transaction=False) as pipe:
        totals(keys=[keys.bucket(slug, resolution, i) for i in range(first, last + 1)], args=[TOTAL], client=pipe)
        sums(keys=[keys.bucket(slug, res, i) for res, lo, hi in cover(resolution, first, last)
                   for i in range(lo, hi + 1)], client=pipe)
        raw_totals, raw_sums = pipe.execute()
    counts = [int(v) if v else 0 for v in raw_totals.split(",")]
    return counts, {raw_sums[i]: int(raw_sums[i + 1]) for i in range(0, len(raw_sums), 2)}
