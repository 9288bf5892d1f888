"""RQ job entry points; each builds its Redis client from the environment of the worker."""
from __future__ import annotations

import time
from dataclasses import asdict

from aggregator.base.catalog import load_catalog
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client, queue_client

from .drain import GATHER_SECONDS, drain
from .evaluate import evaluate
from .poller import poll_pages
from .reach import Reach


def _drain(redis, settings: Settings, slug: str, gather_seconds: float = 0.0) -> int:
    return drain(redis, slug, settings.RADAR_DRAIN_BATCH, settings.RADAR_CLAIM_IDLE_SECONDS,
                 settings.RADAR_COMMENTS_KEPT, gather_seconds=gather_seconds).entries


def drain_service(slug: str) -> int:
    """Drain one service's intake stream, reports that arrive meanwhile included; returns how many it counted."""
    settings = Settings.from_env()
    with data_client(settings) as redis:
        return _drain(redis, settings, slug, GATHER_SECONDS)


def drain_all() -> dict[str, int]:
    """Safety net run by the scheduler: drain every service in the catalog."""
    settings = Settings.from_env()
    catalog = load_catalog(settings.RADAR_SERVICES_FILE, allow_http=settings.RADAR_STATUSPAGE_ALLOW_HTTP)
    with data_client(settings) as redis:
        return {s.slug: _drain(redis, settings, s.slug) for s in catalog}


def evaluate_all(now: float | None = None) -> dict:
    """Run by the scheduler: step detection of every service over the minutes completed since the last run."""
    settings = Settings.from_env()
    catalog = load_catalog(settings.RADAR_SERVICES_FILE, allow_http=settings.RADAR_STATUSPAGE_ALLOW_HTTP)
    with data_client(settings) as redis, queue_client(settings) as queue:
        result = evaluate(redis, queue, settings, list(catalog), time.time() if now is None else now)
    return asdict(result)


def poll_status_pages(now: float | None = None) -> dict[str, str]:
    """Run by the scheduler: read the official status page of every service that names one."""
    settings = Settings.from_env()
    catalog = load_catalog(settings.RADAR_SERVICES_FILE, allow_http=settings.RADAR_STATUSPAGE_ALLOW_HTTP)
    with data_client(settings) as redis:
        return poll_pages(redis, list(catalog), settings.RADAR_STATUSPAGE_INTERVAL,
                          settings.RADAR_STATUSPAGE_TIMEOUT, time.time() if now is None else now, Reach.of(settings))
