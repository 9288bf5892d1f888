"""The per-client limit on reads (RADAR_READ_RATE_LIMIT): fixed windows counted in Redis, one call a read.

Fixed windows rather than the reports' moving ones: a counter per client and window, set to expire with it,
where a moving window keeps a list of up to `amount` times. Across a window's edge a client can make up to
twice its amount, which a generous limit meant to stop floods, not to meter, can afford.
"""
from __future__ import annotations

import redis
from flask import Flask, request

from workers import keys

from . import geo
from .base.exceptions import TooManyReads
from .base.ratelimit import Window
from .radar import radar

EXEMPT = frozenset({"health.healthz", "health.readyz", "metrics.metrics", "static", "embed.static",
                    "dashboard.static", "dashboard.plotly_js", "embed.widget_js"})
"""Probes and scrapes must get through a flood, and files answered from disk or memory cost less than the count
would."""
COUNTED_BY_VIEW = frozenset({"pages.index", "pages.service"})
"""Pages that count a read only when they must be made: one served from its snapshot costs less than the count."""

# Every window's counter raised, and set to expire the first time, in one atomic call: INCR and EXPIRE sent
# apart would leave a counter that never expires whenever the client is cut off between them.
_COUNT = """
local out = {}
for w = 1, #KEYS do
  out[w] = redis.call('INCR', KEYS[w])
  if out[w] == 1 then redis.call('EXPIRE', KEYS[w], ARGV[w]) end
end
return out
"""


def count(data, client: str, windows: tuple[Window, ...], now: float) -> float:
    """Count one read of `client`; the seconds until every window admits it again (0: within the limit)."""
    indexes = [int(now // w.seconds) for w in windows]
    counts = data.register_script(_COUNT)(keys=[keys.reads(client, w.seconds, i) for w, i in zip(windows, indexes)],
                                          args=[w.seconds + 1 for w in windows])
    return max([(i + 1) * w.seconds - now for w, i, n in zip(windows, indexes, counts) if n > w.amount], default=0.0)


def _check() -> None:
    if request.method not in ("GET", "HEAD") or request.endpoint in EXEMPT or request.endpoint in COUNTED_BY_VIEW:
        return
    check()


def check() -> None:
    """Count this read of the client's; TooManyReads if it is over RADAR_READ_RATE_LIMIT."""
    r = radar()
    if not r.read_limits:
        return
    now = r.clock()
    address = geo.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                 r.settings.TRUSTED_PROXIES)
    try:
        wait = count(r.data, r.reporters.client_key(address, now), r.read_limits, now)
    except redis.RedisError:
        # Not counted, not refused: a read that needs the store fails on its own, and one that does not
        # (the API's description, the widget) still answers.
        return
    if wait > 0:
        raise TooManyReads(wait)


def init_app(app: Flask) -> None:
    app.before_request(_check)
