"""The per-app state every blueprint reads: one `Radar` made by the factory, found through `radar()`."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import redis
from flask import current_app

from .base.catalog import Catalog
from .base.ratelimit import Window
from .base.settings import Settings
from .identity import Reporters
from .snapshots import Snapshots

MAX_BODY_BYTES = 4096
"""The largest single-report request body; the batch endpoint has its own limit."""


@dataclass
class Radar:
    """Everything a request needs, made once per app."""

    settings: Settings
    catalog: Catalog
    data: redis.Redis
    queue: redis.Redis
    locator: object
    reporters: Reporters
    limits: tuple[Window, ...] = ()
    """RADAR_REPORT_RATE_LIMIT's windows."""
    read_limits: tuple[Window, ...] = ()
    """RADAR_READ_RATE_LIMIT's windows."""
    clock: Callable[[], float] = field(default=time.time)
    snapshots: Snapshots = field(default_factory=lambda: Snapshots(0))
    """The public pages' views, reused for RADAR_PAGE_SNAPSHOT_SECONDS."""


def radar() -> Radar:
    """The Radar of the app handling the current request."""
    return current_app.extensions["radar"]
