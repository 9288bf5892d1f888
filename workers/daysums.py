"""Day sums: every field of a service's hour buckets of one UTC day, added up and kept once the day is over.

A summary over months reads each whole past day as one hash instead of 24 and adds everything up inside
Redis: 119 days are about 165 hashes and one reply, not 2,857 hashes parsed in Python.
"""
from __future__ import annotations

from collections import Counter

from . import keys
from .totals import LUA_ADD_UP, Span, cover

DAY = 86400
HOURS = DAY // keys.HOUR.seconds
SETTLE_SECONDS = 300
"""A day is summed only this long after it ended: a report stamped just before midnight by a web process whose
clock runs behind Redis's can reach the intake stream a little after it."""
TTL = DAY
"""How long a day's sums are kept: what writes past hour buckets directly (demo data) shows within a day."""
MARKER = "_"
"""A field every day's sums carry, so that a day without reports is kept too (Redis drops an empty hash)."""

# KEYS: the day sums (ARGV[1] of them), then buckets. Adds up every field of all of them in one reply, led by
# the positions of the day sums that are missing, comma-separated.
_READ = LUA_ADD_UP + """
local days = tonumber(ARGV[1])
local sums, missing = {}, {}
for i, key in ipairs(KEYS) do
  if add_up(sums, key) == 0 and i <= days then missing[#missing + 1] = i - 1 end
end
return flattened(sums, {table.concat(missing, ',')})
"""

# KEYS[1] is the intake stream, KEYS[2] the day's sums, KEYS[3..] the day's hour buckets; ARGV: the entry id
# time (ms) from which no waiting report can belong to the day, and the TTL. The sums are kept only when
# nothing older waits in the stream: the drain deletes what it counts in the step that counts it, so then
# every report of the day is in its buckets for good, and a drain that is behind never leaves a day short.
_SUM_DAY = LUA_ADD_UP + """
local sums = {}
for k = 3, #KEYS do add_up(sums, KEYS[k]) end
local out = flattened(sums, {})
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #first == 0 or tonumber(string.match(first[1][1], '^%d+')) >= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], '_', '1')
  for i = 1, #out, 2 do
    redis.call('HSET', KEYS[2], out[i], out[i + 1])
  end
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
return out
"""


def spans(resolution: keys.Resolution, first: int, last: int, now: float) -> tuple[list[int], list[Span]]:
    """The days of buckets first..last that are whole and over, and the fewest buckets that hold the rest."""
    closed = int((now - SETTLE_SECONDS) // DAY)  # days before this one ended at least SETTLE_SECONDS ago
    days: list[int] = []
    rest: list[Span] = []
    for res, lo, hi in cover(resolution, first, last):
        day_lo, day_hi = -(-lo // HOURS), min((hi + 1) // HOURS, closed) - 1
        if res.name != keys.HOUR.name or day_lo > day_hi:
            rest.append((res, lo, hi))
            continue
        if lo < day_lo * HOURS:
            rest.append((res, lo, day_lo * HOURS - 1))
        days.extend(range(day_lo, day_hi + 1))
        if (day_hi + 1) * HOURS <= hi:
            rest.append((res, (day_hi + 1) * HOURS, hi))
    return days, rest


def sum_days(redis, slug: str, days: list[int]) -> list[dict[str, int]]:
    """Each day's sums read from its hour buckets, kept for the next read if no older report waits."""
    script = redis.register_script(_SUM_DAY)
    with redis.pipeline(transaction=False) as pipe:
        for day in days:
            hours = [keys.bucket(slug, keys.HOUR, h) for h in range(day * HOURS, (day + 1) * HOURS)]
            script(keys=[keys.intake(slug), keys.day_sums(slug, day), *hours],
                   args=[((day + 1) * DAY + SETTLE_SECONDS) * 1000, TTL], client=pipe)
        raws = pipe.execute()
    return [{raw[i]: int(raw[i + 1]) for i in range(0, len(raw), 2)} for raw in raws]


def read_sums(redis, slug: str, resolution: keys.Resolution, first: int, last: int, now: float) -> dict[str, int]:
    """Every bucket field summed over buckets first..last, in name order; whole past days come from day sums."""
    days, rest = spans(resolution, first, last, now)
    names = [keys.day_sums(slug, day) for day in days]
    names += [keys.bucket(slug, res, i) for res, lo, hi in rest for i in range(lo, hi + 1)]
    raw = redis.register_script(_READ)(keys=names, args=[len(days)])
    sums = Counter({raw[i]: int(raw[i + 1]) for i in range(1, len(raw), 2)})
    if raw[0]:
        for found in sum_days(redis, slug, [days[int(n)] for n in raw[0].split(",")]):
            sums.update(found)
    sums.pop(MARKER, None)
    # Name order: Lua hands the fields over in no fixed order, and ties among the top countries follow it.
    return {name: sums[name] for name in sorted(sums)}
