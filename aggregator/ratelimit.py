"""A per-client limit on POST /api/v1/reports: Flask-Limiter with moving windows kept in the data Redis."""
from __future__ import annotations

import math
import time

import redis
from flask import Flask, render_template
from flask_limiter import Limiter, RateLimitExceeded

from . import metrics, pages
from .app import radar
from .errors import error_response
from .settings import Settings
from .stores import SOCKET_TIMEOUT, retry_policy

KEY_PREFIX = "radar:limits"
"""Limiter keys are `radar:limits:LIMITER/<client hash>/<endpoint>/<amount>/<n>/<unit>`, each with a TTL."""

CODE = "rate_limited"


def storage_uri(url: str) -> str:
    """The Redis URL as the limits package spells it: unix sockets are `redis+unix://`."""
    return "redis+unix://" + url[len("unix://"):] if url.startswith("unix://") else url


def _client_key() -> str:
    # A keyed hash of the address (today's reporter key), so the limiter stores no address: a plain hash
    # of an IPv4 address is reversed by trying all four billion of them.
    from .api import request_address
    r = radar()
    return r.reporters.client_key(request_address(), r.clock())


def _retry_after(limiter: Limiter, exc: RateLimitExceeded) -> int:
    """Whole seconds until the breached window lets one more report in."""
    fallback = exc.limit.limit.get_expiry()
    breached = limiter.current_limit
    if breached is None:
        return fallback
    try:
        return max(1, math.ceil(breached.window.reset_time - time.time()))
    except redis.RedisError:
        return fallback


def init_app(app: Flask, settings: Settings) -> None:
    """Limit the report endpoint to RADAR_REPORT_RATE_LIMIT per client; an empty setting turns it off."""
    if not settings.RADAR_REPORT_RATE_LIMIT:
        return
    limiter = Limiter(key_func=_client_key, app=app, strategy="moving-window",
                      storage_uri=storage_uri(settings.REDIS_DATA_URL),
                      storage_options={"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT,
                                       "retry": retry_policy(), "key_prefix": KEY_PREFIX})
    # Only the report endpoint has a limit, and the decorator below checks it: the extension's own check
    # before every request would evaluate the same limit a second time on reports and cost every other
    # request too (together about half the report endpoint's time, measured).
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    # Wrapped for this app only: the blueprint's view function is shared by every app built in a process.
    endpoint = metrics.REPORT_ENDPOINT
    app.view_functions[endpoint] = limiter.limit(settings.RADAR_REPORT_RATE_LIMIT)(app.view_functions[endpoint])

    def too_many(exc: RateLimitExceeded):
        seconds = _retry_after(limiter, exc)
        message = f"too many reports from your address — try again in {seconds} seconds"
        if pages.wants_page():
            metrics.note_error(CODE)
            return render_template("error.html", message=message), 429, {"Retry-After": str(seconds)}
        response = error_response(429, CODE, message)
        response.headers["Retry-After"] = str(seconds)
        return response

    app.register_error_handler(RateLimitExceeded, too_many)
