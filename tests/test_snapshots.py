"""Public pages' views: made once every few seconds per process, however many readers ask at once."""
from __future__ import annotations

import threading
import time

import pytest

from aggregator.snapshots import Snapshots


class Ticker:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_view_is_reused_until_it_is_older_than_the_setting():
    clock, made = Ticker(), []
    views = Snapshots(5, clock=clock)
    make = lambda: made.append(1) or len(made)  # noqa: E731
    assert views.get("claude", make) == 1
    clock.now = 4.9
    assert views.get("claude", make) == 1
    clock.now = 5.0
    assert views.get("claude", make) == 2
    assert len(made) == 2


def test_each_key_has_its_own_view():
    views = Snapshots(5, clock=Ticker())
    assert views.get("claude", lambda: "c") == "c"
    assert views.get("gemini", lambda: "g") == "g"
    assert views.get("claude", lambda: "other") == "c"


def test_zero_seconds_makes_the_view_for_every_read():
    made = []
    views = Snapshots(0)
    for _ in range(3):
        views.get("claude", lambda: made.append(1))
    assert len(made) == 3


def test_readers_arriving_while_a_view_is_made_wait_for_that_one():
    made, started = [], threading.Event()

    def slow():
        started.set()
        time.sleep(0.2)
        made.append(1)
        return "view"

    views = Snapshots(60)
    results = []
    first = threading.Thread(target=lambda: results.append(views.get("claude", slow)))
    first.start()
    started.wait(5)
    others = [threading.Thread(target=lambda: results.append(views.get("claude", slow))) for _ in range(50)]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(10)
    assert results == ["view"] * 51
    assert made == [1]


def test_the_oldest_views_are_dropped_past_the_bound():
    views = Snapshots(60, clock=Ticker(), max_kept=2)
    views.get("a", lambda: 1)
    views.get("b", lambda: 2)
    views.get("c", lambda: 3)
    assert views.get("a", lambda: "made again") == "made again"
    assert views.get("c", lambda: "kept") == 3


def test_a_view_that_fails_is_not_kept():
    views = Snapshots(60, clock=Ticker())

    def broken():
        raise RuntimeError("redis went away")

    with pytest.raises(RuntimeError):
        views.get("claude", broken)
    assert views.get("claude", lambda: "fine") == "fine"


def test_fresh_gives_a_kept_view_only_while_it_is_young():
    clock = Ticker()
    views = Snapshots(5, clock=clock)
    assert views.fresh("claude") is None
    views.get("claude", lambda: "view")
    assert views.fresh("claude") == "view"
    clock.now = 5
    assert views.fresh("claude") is None


def test_a_view_that_fails_leaves_no_lock_behind():
    views = Snapshots(60, clock=Ticker())
    for n in range(50):
        with pytest.raises(ValueError):
            views.get(f"bad-{n}", lambda: int("x"))
    assert views._making == {}
