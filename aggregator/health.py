"""Liveness and readiness probes for load balancers and orchestrators."""
from __future__ import annotations

import redis
from flask import Blueprint, jsonify

from workers.drain import intake_lag

from . import store_memory
from .radar import radar

bp = Blueprint("health", __name__)

MAX_READY_LAG = 60
"""Seconds a report may wait to be counted before this instance reports itself not ready."""


@bp.get("/healthz")
def healthz():
    """The process is up and answering; says nothing about Redis, so a Redis outage restarts nothing."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Both Redis connections answer and reports are being counted without a backlog; "degraded" while the data
    Redis is nearly full. That stays ready: every instance shares it, so failing them all would answer nothing."""
    r = radar()
    problems, memory = [], []
    for name, client in (("queue", r.queue), ("data", r.data)):
        try:
            client.ping()
        except redis.RedisError as exc:
            problems.append(f"{name} redis: {exc}")
    lag = {}
    if not problems:
        try:
            lag = intake_lag(r.data, r.catalog.slugs, r.clock())
            memory = store_memory.read(r.data)
        except redis.RedisError as exc:  # a cluster answers PING while one of its masters is down
            problems.append(f"data redis: {exc}")
    if lag:
        late = {slug: round(seconds, 1) for slug, seconds in lag.items() if seconds > MAX_READY_LAG}
        if late:
            problems.append(f"reports waiting over {MAX_READY_LAG} s to be counted: {late}")
    warnings = store_memory.warnings(memory)
    body = {"status": "unavailable" if problems else "degraded" if warnings else "ok", "problems": problems,
            "warnings": warnings, "intake_lag_seconds": max(lag.values(), default=0.0),
            "memory": [{"node": n.node, "used_bytes": n.used, "maxmemory_bytes": n.limit} for n in memory]}
    return jsonify(body), 503 if problems else 200
