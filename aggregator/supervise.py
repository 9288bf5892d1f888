"""`run`'s parts: each started in a process group of its own, started again when it stops, given up on when it
keeps stopping."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

GIVE_UP_AFTER = 5
GIVE_UP_WITHIN = 60.0
"""A part that stops this many times within this many seconds is not started again: something is wrong that
starting it again will not mend (a port taken, a broken setting), and `run` stops everything."""

FIRST_DELAY = 1.0
LONGEST_DELAY = 30.0
"""Seconds before a part that stopped is started again: the first time, doubling with each recent stop."""


@dataclass
class Part:
    """One process of `run`: web, a worker or the scheduler."""

    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    stops: deque[float] = field(default_factory=deque)
    start_at: float | None = None

    def start(self) -> None:
        # Its own process group, apart from the terminal's: Ctrl-C reaches only `run`, which stops the parts in
        # order (Redis last), instead of every part at once with Redis gone under a drain that is still writing.
        self.process = subprocess.Popen(self.argv, env=self.env, start_new_session=True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def how_it_ended(code: int) -> str:
    """'exit 1', or 'killed by SIGKILL' for a process a signal ended."""
    if code >= 0:
        return f"exit {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


def _end_leftovers(pid: int) -> None:
    """Stop what a part that died left behind in its process group (gunicorn's workers, the worker's RQ scheduler):
    they would otherwise hold the port or the scheduler's lock that the part started again needs."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


def supervise(parts: list[Part], echo: Callable[[str], None], poll: float = 0.2) -> str:
    """Start again each part that stops, after a delay that grows; return why `run` gives up when one stops
    GIVE_UP_AFTER times within GIVE_UP_WITHIN seconds."""
    while True:
        now = time.monotonic()
        for part in parts:
            if part.start_at is not None:
                if now >= part.start_at:
                    part.start_at = None
                    part.start()
                continue
            code = part.process.poll()
            if code is None:
                continue
            _end_leftovers(part.process.pid)
            part.stops.append(now)
            while now - part.stops[0] > GIVE_UP_WITHIN:
                part.stops.popleft()
            if len(part.stops) >= GIVE_UP_AFTER:
                return (f"{part.name} stopped {len(part.stops)} times within {GIVE_UP_WITHIN:.0f} s "
                        f"({how_it_ended(code)} the last time); giving up and stopping everything")
            delay = min(FIRST_DELAY * 2 ** (len(part.stops) - 1), LONGEST_DELAY)
            echo(f"{part.name} stopped ({how_it_ended(code)}); starting it again in {delay:.0f} s")
            part.start_at = now + delay
        time.sleep(poll)
