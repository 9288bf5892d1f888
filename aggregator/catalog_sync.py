"""One catalog for every web process: a reload bumps a generation in Redis, which each process follows."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis
from flask import Flask, current_app, request

from workers import keys

from .base.catalog import Catalog, load_catalog
from .base.exceptions import CatalogError
from .radar import radar

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0
"""How often a process looks whether another one has reloaded the catalog; the most a reload takes to spread."""


@dataclass
class _Followed:
    """The generation this process has loaded, and when it last looked."""

    generation: int | None = None
    checked: float = float("-inf")


def reload() -> Catalog:
    """Read the catalog file again and tell every process; CatalogError (the old catalog kept) when it is wrong."""
    r = radar()
    catalog = load_catalog(r.settings.RADAR_SERVICES_FILE, allow_http=r.settings.RADAR_STATUSPAGE_ALLOW_HTTP)
    generation = r.data.incr(keys.CATALOG_GENERATION)
    r.catalog = catalog
    current_app.extensions["catalog_sync"].generation = generation
    return catalog


def follow(app: Flask) -> None:
    """Load the catalog again if another process has reloaded it; looks at most every CHECK_SECONDS."""
    followed: _Followed = app.extensions["catalog_sync"]
    now = time.monotonic()
    if now - followed.checked < CHECK_SECONDS:
        return
    followed.checked = now
    r = app.extensions["radar"]
    try:
        generation = int(r.data.get(keys.CATALOG_GENERATION) or 0)
    except redis.RedisError:
        return  # the request itself will say the store is down, if it needs the store
    # The first look reads the file again too: a reload may have happened between this process loading the
    # catalog at start-up and this look, and would otherwise be missed until the next one.
    if generation != followed.generation:
        try:
            r.catalog = load_catalog(r.settings.RADAR_SERVICES_FILE, allow_http=r.settings.RADAR_STATUSPAGE_ALLOW_HTTP)
        except CatalogError as exc:
            log.error("catalog not reloaded, the old one is kept: %s", exc.message)
    followed.generation = generation


def _follow() -> None:
    if request.blueprint != "health":  # probes must answer without Redis, and quickly
        follow(current_app)


def init_app(app: Flask) -> None:
    app.extensions["catalog_sync"] = _Followed()
    app.before_request(_follow)
