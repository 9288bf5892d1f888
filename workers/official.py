"""Official incidents from a service's status page, kept in Redis beyond the 50 its feed lists; read back by time."""
from __future__ import annotations

import json

from aggregator.base.times import epoch

from . import keys
from .incidents import RETENTION

_EARLIEST = ("created_at", "started_at", "posted_at")


def merged(old: dict | None, new: dict) -> dict:
    """The new version of an incident, keeping updates the feed no longer shows (it trims long threads)."""
    if old is None:
        return new
    seen = {u["id"] for u in new["updates"]}
    updates = sorted(new["updates"] + [u for u in old["updates"] if u["id"] not in seen],
                     key=lambda u: (u["created_at"], u["id"]))
    return {**new, "updates": updates, **{name: min(new[name], old[name]) for name in _EARLIEST}}


def store_incidents(redis, slug: str, found: list[dict], now: float) -> int:
    """Write the incidents of one feed over what is stored; returns how many changed."""
    if not found:
        return 0
    old = redis.hmget(keys.official(slug), [i["id"] for i in found])
    changed = {}
    for incident, raw in zip(found, old):
        record = merged(json.loads(raw) if raw else None, incident)
        if raw is None or json.loads(raw) != record:
            changed[record["id"]] = record
    with redis.pipeline(transaction=True) as pipe:
        if changed:
            pipe.hset(keys.official(slug), mapping={i: json.dumps(r, separators=(",", ":"))
                                                    for i, r in changed.items()})
            pipe.zadd(keys.official_index(slug), {i: epoch(r["started_at"]) for i, r in changed.items()})
        for key in (keys.official(slug), keys.official_index(slug)):
            pipe.expire(key, RETENTION)
        pipe.execute()
    _forget_old(redis, slug, now)
    return len(changed)


def _forget_old(redis, slug: str, now: float) -> None:
    """Drop incidents that started more than the retention ago, as crowd incidents are dropped."""
    stale = redis.zrangebyscore(keys.official_index(slug), "-inf", now - RETENTION)
    if stale:
        with redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.official(slug), *stale)
            pipe.zrem(keys.official_index(slug), *stale)
            pipe.execute()


def store_components(redis, slug: str, components: list[dict], now: float) -> None:
    redis.set(keys.official_components(slug), json.dumps({"components": components, "at": now}), ex=RETENTION)


def components(redis, slugs: list[str]) -> list[list[dict] | None]:
    """The component statuses last read from each service's page (None if never read), in one round trip."""
    with redis.pipeline(transaction=False) as pipe:
        for slug in slugs:
            pipe.get(keys.official_components(slug))
        raws = pipe.execute()
    return [json.loads(raw)["components"] if raw else None for raw in raws]


def between(redis, slug: str, start: float, end: float) -> list[dict]:
    """Official incidents that started in [start, end], oldest first."""
    ids = redis.zrangebyscore(keys.official_index(slug), start, end)
    if not ids:
        return []
    return [json.loads(raw) for raw in redis.hmget(keys.official(slug), ids) if raw]
