"""Views the public pages are rendered from, made at most once every few seconds per process.

During an outage a page is read far more often than reports are sent: readers arriving while a view is being
made wait for that one instead of each reading Redis, so a thousand readers cost about one read.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")

MAX_KEPT = 4096
"""Views kept at once: one per service and page is far below this; a search query is a key too, so it is bounded."""


class Snapshots:
    """A few-seconds-old copy of each view, made by one reader while the others wait for it."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic, max_kept: int = MAX_KEPT):
        self.seconds = seconds
        self._clock = clock
        self._max_kept = max_kept
        self._views: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The view under `key`, made by `make` if the one kept is older than `seconds` (or none is)."""
        if self.seconds <= 0:
            return make()
        fresh = self._fresh(key)
        if fresh is not None:
            return fresh[1]
        with self._guard:
            lock = self._making.setdefault(key, threading.Lock())
        with lock:
            # Another reader may have made it while this one waited for the lock.
            fresh = self._fresh(key)
            if fresh is not None:
                return fresh[1]
            try:
                value = make()
            except BaseException:
                with self._guard:
                    if key not in self._views:  # nothing kept under it: its lock must not stay either
                        self._making.pop(key, None)
                raise
            with self._guard:
                self._views[key] = (self._clock(), value)
                self._views.move_to_end(key)
                while len(self._views) > self._max_kept:
                    old, _ = self._views.popitem(last=False)
                    self._making.pop(old, None)
            return value

    def fresh(self, key: Hashable) -> object | None:
        """The view under `key` if one younger than `seconds` is kept; None otherwise."""
        kept = self._fresh(key) if self.seconds > 0 else None
        return None if kept is None else kept[1]

    def _fresh(self, key: Hashable) -> tuple[float, object] | None:
        with self._guard:
            kept = self._views.get(key)
        if kept is None or self._clock() - kept[0] >= self.seconds:
            return None
        return kept
