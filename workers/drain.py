"""The drain job: move reports from a service's intake stream into its buckets, each exactly once."""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import redis as redis_lib

from . import keys, stats
from .buckets import Entry, report_key, tally_keys

log = logging.getLogger(__name__)

# Applies a batch only if every entry is still pending for this consumer; otherwise returns the ids it lost.
# Without that check a drain that is slow (not dead) could have its entries claimed by another drain and
# both would count them: MULTI/EXEC alone cannot make the increments depend on who owns the entries.
# A comment's time is its minute, and so is its entry id: an id Redis chose ('*') would be the drain's time to
# the millisecond, close enough to the report's to match it to the report's other traces. Ids must grow, so a
# comment of a minute already passed takes the next sequence number after the newest id (the stream's
# last-generated-id, which deleting entries does not lower: an id at or below it would fail the XADD halfway
# through the applied batch).
_APPLY = """
local stream, comments = KEYS[1], KEYS[2]
local group, consumer = ARGV[1], ARGV[2]
local n = tonumber(ARGV[3])
-- A drain holds one batch at a time, so one read of all it holds usually answers for every id; an id not in it
-- (the drain holds more than the batch) is asked about on its own.
local owned = {}
for _, p in ipairs(redis.call('XPENDING', stream, group, '-', '+', n, consumer)) do owned[p[1]] = true end
local lost = {}
for i = 1, n do
  local id = ARGV[3 + i]
  if not owned[id] and #redis.call('XPENDING', stream, group, id, id, 1, consumer) == 0 then
    lost[#lost + 1] = id
  end
end
if #lost > 0 then
  return lost
end
local a = 4 + n
for k = 3, #KEYS do
  local nfields = tonumber(ARGV[a + 1])
  for f = 1, nfields do
    redis.call('HINCRBY', KEYS[k], ARGV[a + 2 * f], ARGV[a + 2 * f + 1])
  end
  redis.call('EXPIREAT', KEYS[k], ARGV[a])
  a = a + 2 + 2 * nfields
end
local ncomments, kept, ttl = tonumber(ARGV[a]), ARGV[a + 1], ARGV[a + 2]
a = a + 3
local last_ms, last_seq = 0, 0
if ncomments > 0 and redis.call('EXISTS', comments) == 1 then
  local info = redis.call('XINFO', 'STREAM', comments)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local ms, seq = string.match(info[i + 1], '^(%d+)-(%d+)$')
      last_ms, last_seq = tonumber(ms), tonumber(seq)
    end
  end
end
for c = 1, ncomments do
  local minute_ms = tonumber(ARGV[a]) * 1000
  if minute_ms > last_ms then last_ms, last_seq = minute_ms, 0 else last_seq = last_seq + 1 end
  redis.call('XADD', comments, 'MAXLEN', '~', kept, string.format('%.0f-%.0f', last_ms, last_seq),
             'ts', ARGV[a], 'surface', ARGV[a + 1], 'region', ARGV[a + 2], 'text', ARGV[a + 3])
  a = a + 4
end
if ncomments > 0 then
  redis.call('EXPIRE', comments, ttl)
end
for i = 1, n, 500 do
  redis.call('XACK', stream, group, unpack(ARGV, 3 + i, 3 + math.min(i + 499, n)))
end
local function parse_id(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function below(ms, seq, ms2, seq2)
  return ms < ms2 or (ms == ms2 and seq < seq2)
end
-- Counted entries leave the stream by trimming below the oldest one the group still needs (pending, or not yet
-- delivered): XTRIM drops whole nodes, where XDEL of each id cost 15 ms a batch of 1,000. Those of ours above
-- it (another drain holds older ones) are deleted one by one.
local keep_ms, keep_seq
for _, info in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  for i = 1, #info, 2 do
    if info[i] == 'name' and info[i + 1] ~= group then break end
    if info[i] == 'last-delivered-id' then
      keep_ms, keep_seq = parse_id(info[i + 1])
      keep_seq = keep_seq + 1
    end
  end
end
local pending = redis.call('XPENDING', stream, group)
if pending[1] > 0 then
  local ms, seq = parse_id(pending[2])
  if below(ms, seq, keep_ms, keep_seq) then keep_ms, keep_seq = ms, seq end
end
local minid = string.format('%.0f-%.0f', keep_ms, keep_seq)
redis.call('XTRIM', stream, 'MINID', minid)
local left = {}
for i = 1, pending[1] > 0 and n or 0 do
  local ms, seq = parse_id(ARGV[3 + i])
  if not below(ms, seq, keep_ms, keep_seq) then left[#left + 1] = ARGV[3 + i] end
end
for i = 1, #left, 500 do
  redis.call('XDEL', stream, unpack(left, i, math.min(i + 499, #left)))
end
return {}
"""

COMMENTS_TTL = 90 * 86400
"""Comments live as long as the 15-minute buckets they sit beside."""

MAX_RUN_SECONDS = 10
"""A drain job hands over to the next one after this long, so one busy service cannot hold a worker."""

GATHER_SECONDS = 0.05
"""A drain job that read less than a full batch waits this long before the next read, so that under a burst
it reads batches, not one report at a time; a report waits at most this much longer to be counted."""


@dataclass(frozen=True)
class DrainResult:
    """What one drain job did."""

    service: str
    entries: int
    batches: int


# Deletes a consumer only if it holds no entries, in one step: between a separate check and the delete the
# consumer could read a batch, and DELCONSUMER would throw that batch away with it.
_FORGET = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1
"""

# Lets the "drain queued" flag go only if the group has nothing left to deliver, in one step with that check:
# a report written between a separate check and the delete would find the flag set, enqueue no drain, and
# wait for the safety net. A drain that keeps the flag while it runs spares a job (a fork) per batch.
_RELEASE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local fields = {}
    for i = 1, #group, 2 do fields[group[i]] = group[i + 1] end
    if fields['name'] == ARGV[1]
        and #redis.call('XRANGE', KEYS[1], '(' .. fields['last-delivered-id'], '+', 'COUNT', 1) > 0 then
      return 0
    end
  end
end
redis.call('DEL', KEYS[2])
return 1
"""

CLAIM_EVERY_SECONDS = 1.0
"""A drain looks for entries abandoned by a dead drain when it starts and then at most this often: looking
before every batch cost a round trip a batch."""

RECORD_EVERY_SECONDS = 1.0
"""A drain writes its batches' figures at most this often and when it ends: a write a batch cost a round trip,
which on a busy machine is a wait for the scheduler each."""

IDLE_CONSUMER_MS = 3600_000
"""A consumer left behind by a killed drain is forgotten after an hour without reading, once it holds nothing."""


def consumer_name() -> str:
    """Unique per drain: two drains sharing a name would both pass the ownership check of the same entries."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def ensure_group(redis, slug: str) -> None:
    """Create the consumer group from the stream's start, so reports written before it are drained too."""
    try:
        redis.xgroup_create(keys.intake(slug), keys.GROUP, id="0", mkstream=True)
    except redis_lib.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _apply_args(slug: str, ids: list[str], reports: Reports, consumer: str, comments_kept: int):
    batch = tally_keys(slug, reports.counts)
    bucket_keys = list(batch.increments)
    args: list = [keys.GROUP, consumer, len(ids), *ids]
    for key in bucket_keys:
        counts = batch.increments[key]
        args += [batch.expire_at[key], len(counts)]
        for name, count in counts.items():
            args += [name, count]
    args += [len(reports.comments), comments_kept, COMMENTS_TTL]
    for e in reports.comments:
        args += [int(e.ts // 60 * 60), e.surface, e.region, e.comment]
    return [keys.intake(slug), keys.comments(slug), *bucket_keys], args


@dataclass
class Reports:
    """A batch's reports as the drain needs them: how many of each `ReportKey`, and those with a comment."""

    counts: Counter
    comments: list[Entry]
    count: int


def _parse(slug: str, batch) -> Reports:
    """The batch's reports; an entry that is not a report (written by hand?) is logged and acknowledged uncounted,
    so it cannot block the stream forever."""
    try:
        counts = Counter(map(report_key, (fields for _, fields in batch)))
    except (KeyError, ValueError, TypeError):
        counts = Counter()
        for entry_id, fields in batch:
            try:
                counts[report_key(fields)] += 1
            except (KeyError, ValueError, TypeError):
                log.warning("intake entry %s of %s is not a report and is dropped: %r", entry_id, slug, fields)
    # The intake keeps no comment of a report not counted; one stored before it did is not kept either.
    comments = []
    for _, fields in batch:
        if fields and fields.get("comment") and fields.get("counted", "1") == "1":
            try:
                comments.append(Entry.from_fields(fields))
            except (KeyError, ValueError, TypeError):
                pass  # not a report: logged above
    return Reports(counts, comments, sum(counts.values()))


def apply_batch(redis, slug: str, batch: list[tuple[str, dict | None]], consumer: str,
                comments_kept: int = 10000) -> int:
    """Count the entries still owned by `consumer` and acknowledge them, atomically; returns how many."""
    script = redis.register_script(_APPLY)
    owned = list(batch)
    while owned:
        ids = [entry_id for entry_id, _ in owned]
        reports = _parse(slug, owned)
        script_keys, args = _apply_args(slug, ids, reports, consumer, comments_kept)
        lost = set(script(keys=script_keys, args=args))
        if not lost:
            return reports.count
        owned = [(entry_id, fields) for entry_id, fields in owned if entry_id not in lost]
    return 0


def _claim(redis, slug: str, consumer: str, count: int, claim_idle_ms: int):
    """Entries abandoned by a dead drain."""
    stream = keys.intake(slug)
    claimed = redis.xautoclaim(stream, keys.GROUP, consumer, claim_idle_ms, start_id="0-0", count=count)
    entries = [(entry_id, fields) for entry_id, fields in claimed[1] if entry_id is not None]
    if len(entries) < len(claimed[1]):
        _ack_vanished(redis, stream)
    return entries


def _read(redis, slug: str, consumer: str, count: int):
    """Entries no drain has read yet."""
    read = redis.xreadgroup(keys.GROUP, consumer, {keys.intake(slug): ">"}, count=count)
    return read[0][1] if read else []


def _ack_vanished(redis, stream: str) -> None:
    """Acknowledge pending entries deleted from the stream by hand; Redis 6 reports them without their ids."""
    for pending in redis.xpending_range(stream, keys.GROUP, "-", "+", 1000):
        entry_id = pending["message_id"]
        if not redis.xrange(stream, entry_id, entry_id):
            redis.xack(stream, keys.GROUP, entry_id)


def release(redis, slug: str) -> bool:
    """Let the service's "drain queued" flag go if its group has nothing left to deliver; False if it has."""
    script = redis.register_script(_RELEASE)
    return bool(script(keys=[keys.intake(slug), keys.drain_pending(slug)], args=[keys.GROUP]))


def drain(redis, slug: str, batch_size: int = 1000, claim_idle_seconds: float = 30, comments_kept: int = 10000,
          max_seconds: float = MAX_RUN_SECONDS, gather_seconds: float = 0.0) -> DrainResult:
    """Drain one service's intake stream until nothing is left to read or `max_seconds` have passed.

    It then lets the "drain queued" flag go, so the next report enqueues the next drain; until then reports
    arriving are read by this one (after `gather_seconds` when its last batch was not full).
    """
    ensure_group(redis, slug)
    consumer = consumer_name()
    deadline = time.monotonic() + max_seconds
    entries = batches = 0
    claim_at = time.monotonic()
    observed, record_at = [], claim_at + RECORD_EVERY_SECONDS
    while time.monotonic() < deadline:
        started = time.monotonic()
        batch = []
        if started >= claim_at:
            batch = _claim(redis, slug, consumer, batch_size, int(claim_idle_seconds * 1000))
            claim_at = started if batch else started + CLAIM_EVERY_SECONDS
        batch = batch or _read(redis, slug, consumer, batch_size)
        if not batch:
            if release(redis, slug):
                break
            continue
        counted = apply_batch(redis, slug, batch, consumer, comments_kept)
        observed.append((counted, time.monotonic() - started))
        if started >= record_at:
            stats.record_batches(redis, observed)
            observed, record_at = [], started + RECORD_EVERY_SECONDS
        entries += counted
        batches += 1
        if len(batch) < batch_size:
            time.sleep(gather_seconds)
    else:
        redis.delete(keys.drain_pending(slug))
    if observed:
        stats.record_batches(redis, observed)
    forget = redis.register_script(_FORGET)
    forget(keys=[keys.intake(slug)], args=[keys.GROUP, consumer])
    for info in redis.xinfo_consumers(keys.intake(slug), keys.GROUP):
        if info["pending"] == 0 and info["idle"] > IDLE_CONSUMER_MS:
            forget(keys=[keys.intake(slug)], args=[keys.GROUP, info["name"]])
    return DrainResult(slug, entries, batches)


def intake_lag(redis, slugs: list[str], now: float) -> dict[str, float]:
    """Seconds the oldest report not yet counted has waited, per service (0 when none waits)."""
    # The drain deletes what it counts, so the first entry left in a stream is the oldest one waiting.
    with redis.pipeline(transaction=False) as pipe:
        for slug in slugs:
            pipe.xrange(keys.intake(slug), count=1)
        firsts = pipe.execute()
    return {slug: max(0.0, now - int(first[0][0].split("-")[0]) / 1000) if first else 0.0
            for slug, first in zip(slugs, firsts)}
