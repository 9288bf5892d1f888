"""How long a request arriving now would wait for a worker thread: the signal to shed load on."""
from __future__ import annotations

from collections import deque

PRIOR_INTERVAL = 0.002
"""Seconds between two finished requests assumed before any backlog was measured (a report takes about 1.5 ms)."""
SMOOTHING = 0.05
"""Weight of each new interval: about the last twenty finished requests make the estimate."""


class Backlog:
    """The requests queued for a worker's threads, and how fast the threads get through a standing queue.

    The expected wait is the queue's length times the measured interval between finished requests while a
    queue stood, or the oldest queued request's wait if longer (threads stuck on a slow store finish nothing
    to measure). A bunch of arrivals the threads clear within the budget predicts a short wait and is served;
    a queue that grows faster than it drains predicts a long one at once, before any request has waited.
    Threads call `started` and `finished` without a lock: the interpreter lock keeps deque operations whole,
    and a racing update of the estimate only costs it one sample.
    """

    def __init__(self, interval: float = PRIOR_INTERVAL):
        self.queued: deque[float] = deque()
        self.interval = interval
        self.last_finished: float | None = None

    def wait(self, now: float) -> float:
        """Seconds a request joining the queue now is expected to wait for a thread."""
        try:
            oldest = self.queued[0]
        except IndexError:  # a thread took the last one since the queue was looked at
            return 0.0
        return max(len(self.queued) * self.interval, now - oldest)

    def arrived(self, now: float) -> None:
        self.queued.append(now)

    def started(self) -> None:
        """A thread took the oldest queued request (the pool is first come, first served)."""
        self.queued.popleft()

    def finished(self, now: float) -> None:
        """A thread finished a request: time since the previous one counts only while a queue stood."""
        if not self.queued:
            self.last_finished = None
            return
        if self.last_finished is not None:
            self.interval += SMOOTHING * (now - self.last_finished - self.interval)
        self.last_finished = now
