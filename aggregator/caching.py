"""HTTP caching of every read: Cache-Control by how fresh its data is, an ETag, and 304 for If-None-Match.

Each GET endpoint has a lifetime here, in one table; a test checks that none is left out. Errors are never
stored, and answers to a request that carries a token are for its sender alone.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

from flask import Flask, Response, request

from . import ranges
from .base.exceptions import RadarError
from .radar import radar


@dataclass(frozen=True)
class Lifetime:
    """How long shared caches and browsers may use an answer, then go on using it while they fetch it again."""

    max_age: int
    stale_while_revalidate: int

    @property
    def header(self) -> str:
        return f"public, max-age={self.max_age}, stale-while-revalidate={self.stale_while_revalidate}"


LIVE = Lifetime(5, 10)
"""Counts of the last hour and pages showing them: every report changes them, and drains count within seconds."""
DETECTION = Lifetime(10, 30)
"""Status and incidents: a detection run changes them, once every RADAR_EVALUATE_INTERVAL (60 s by default)."""
OFFICIAL = Lifetime(30, 60)
"""The official side: status pages are polled every RADAR_STATUSPAGE_INTERVAL (120 s by default)."""
API_DESCRIPTION = Lifetime(300, 3600)
"""The API's description: it changes only with a new version."""
FEED = Lifetime(60, 300)
"""Incident feeds: readers poll them every few minutes or hours, and an entry a minute late is no loss."""
CLOSED = Lifetime(3600, 86400)
"""Buckets of a range that ended long ago: nothing counts into them any more."""
OPEN_RANGE = {"1m": LIVE, "15m": Lifetime(30, 60), "1h": Lifetime(60, 120)}
"""A range reaching now, by its resolution: its newest bucket grows with each report, which a coarser bucket
shows less of in a few seconds."""
SETTLED_SECONDS = 600
"""A range that ended this long ago is closed: the drain counts a report within seconds, far inside this."""

NO_STORE = "no-store"
PRIVATE = "private, no-store"
OWN = None
"""The view sets its own lifetime (the embed surface, whose numbers are documented for other sites, and static
files, which Flask answers conditionally itself)."""


def _series(now: float) -> Lifetime:
    args = request.args
    resolution = ranges.parse_resolution(args.get("resolution"))
    span = ranges.bucket_range(resolution, ranges.parse_instant(args.get("from"), "from"),
                               ranges.parse_instant(args.get("to"), "to"), now)
    return CLOSED if span.end <= now - SETTLED_SECONDS else OPEN_RANGE[resolution.name]


def _summary(now: float) -> Lifetime:
    return OPEN_RANGE[ranges.window_range(ranges.parse_window(request.args.get("window")), now).resolution.name]


def _dashboard(now: float) -> Lifetime:
    # A past range's counts are settled, but the page shows the status and incidents of now beside them.
    end = ranges.parse_instant(request.args.get("to"), "to")
    return DETECTION if end is not None and end <= now - SETTLED_SECONDS else LIVE


Policy = Lifetime | str | Callable[[float], Lifetime] | None

POLICIES: dict[str, Policy] = {
    "api.list_services": LIVE,
    "api.series": _series,
    "api.summary": _summary,
    "status_api.all_statuses": DETECTION,
    "status_api.service_status": DETECTION,
    "status_api.list_incidents": DETECTION,
    "status_api.get_incident": DETECTION,
    "official_api.service_official": OFFICIAL,
    "comments_api.service_comments": LIVE,
    "apidocs.openapi_json": API_DESCRIPTION,
    "apidocs.docs": API_DESCRIPTION,
    "pages.index": LIVE,
    "pages.service": LIVE,
    "feeds.all_feed": FEED,
    "feeds.service_feed": FEED,
    "dashboard.overview": LIVE,
    "dashboard.overview_data": LIVE,
    "dashboard.service": _dashboard,
    "dashboard.service_data": _dashboard,
    "dashboard.export_json": _dashboard,
    "dashboard.export_csv": _dashboard,
    "dashboard.plotly_js": OWN,
    "dashboard.static": OWN,
    "embed.widget_js": OWN,
    "embed.embed_page": OWN,
    "embed.status_badge": OWN,
    "embed.static": OWN,
    "static": OWN,
    # Probes and scrapes must see the present.
    "health.healthz": NO_STORE,
    "health.readyz": NO_STORE,
    "metrics.metrics": NO_STORE,
    # For the token's holder alone, like every admin answer.
    "admin.hidden_comments": PRIVATE,
}
"""The Cache-Control of each GET endpoint's successful answer."""
UNLISTED = "no-cache"
"""A GET endpoint missing from POLICIES may be stored but is checked with the server every time."""
PRIVATE_BLUEPRINTS = ("admin", "relay")


def etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _matches(header: str, tag: str) -> bool:
    """If-None-Match's weak comparison: a W/ prefix on either side does not matter."""
    bare = tag.removeprefix("W/")
    return any(t.strip() == "*" or t.strip().removeprefix("W/") == bare for t in header.split(","))


def _cache_control(response: Response) -> str | None:
    """The Cache-Control this answer gets; None keeps the one the view set."""
    if request.headers.get("Authorization") or request.blueprint in PRIVATE_BLUEPRINTS:
        return PRIVATE
    # A 304 Flask answered itself (a static file) refreshes the stored copy's headers: it keeps its lifetime.
    if request.method not in ("GET", "HEAD") or not (200 <= response.status_code < 300 or response.status_code == 304):
        return NO_STORE
    policy = POLICIES.get(request.endpoint, UNLISTED)
    if callable(policy):
        try:
            policy = policy(radar().clock())
        except RadarError:  # the view took the same arguments; if these fail, keep to the cautious side
            policy = UNLISTED
    if policy is OWN:
        return None if "Cache-Control" in response.headers else UNLISTED
    return policy.header if isinstance(policy, Lifetime) else policy


def cache_headers(response: Response) -> Response:
    """Cache-Control on every answer; an ETag on every successful read, and 304 when the client has it."""
    if request.method == "OPTIONS":
        return response
    control = _cache_control(response)
    if control is not None:
        response.headers["Cache-Control"] = control
    if (request.method not in ("GET", "HEAD") or response.status_code != 200 or "no-store" in (control or "")
            or response.direct_passthrough or response.is_streamed):
        return response  # files Flask sends answer conditionally themselves, with their own ETag
    if "ETag" not in response.headers:
        response.headers["ETag"] = etag(response.get_data())
    wanted = request.headers.get("If-None-Match")
    if wanted and _matches(wanted, response.headers["ETag"]):
        response.status_code = 304  # werkzeug sends no body and no entity headers with it
    return response


def init_app(app: Flask) -> None:
    app.after_request(cache_headers)
