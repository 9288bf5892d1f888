"""Figures recorded by RQ jobs in Redis, so that /metrics in any web process reads the same numbers.

Jobs run in RQ work-horse processes that exit after each job, on any number of machines; figures kept in
their memory would die with them and no web process could read them. A hash per figure in Redis is shared
by every process and survives them.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import keys

STATS_TTL = 30 * 86400
"""Seconds a figure is kept after its last change; an idle deployment's counters then start again from zero."""


@dataclass(frozen=True)
class Histogram:
    """A distribution stored as one Redis hash: a count per bucket (`le:<bound>`), `count` and `sum`."""

    name: str
    bounds: tuple[float, ...]

    @property
    def key(self) -> str:
        return keys.stats(self.name)

    def field(self, value: float) -> str:
        """The bucket field a value is counted in: the first bound it does not exceed, else +Inf."""
        for bound in self.bounds:
            if value <= bound:
                return f"le:{bound:g}"
        return "le:+Inf"

    def read(self, stored: dict) -> tuple[list[tuple[str, int]], float]:
        """Cumulative (bound, count) pairs ending with +Inf, and the sum, from the stored hash."""
        buckets, total = [], 0
        for bound in [f"{b:g}" for b in self.bounds] + ["+Inf"]:
            total += int(stored.get(f"le:{bound}", 0))
            buckets.append((bound, total))
        return buckets, float(stored.get("sum", 0))


DRAIN_BATCH_SIZE = Histogram("drain-batch-size", (1, 10, 50, 100, 250, 500, 1000, 2500, 5000))
DRAIN_BATCH_SECONDS = Histogram("drain-batch-seconds", (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
WEBHOOK_DELIVERIES = "webhook-deliveries"
"""Hash of delivery attempts, one field per `<kind>:<outcome>`."""
STATUSPAGE_POLLS = "statuspage-polls"
"""Hash of status page polls, one field per `<outcome>:<page URL>`."""


def _observe(pipe, histogram: Histogram, value: float) -> None:
    pipe.hincrby(histogram.key, histogram.field(value), 1)
    pipe.hincrby(histogram.key, "count", 1)
    pipe.hincrbyfloat(histogram.key, "sum", value)
    pipe.expire(histogram.key, STATS_TTL)


def record_batches(redis, batches: list[tuple[int, float]]) -> None:
    """Drained batches: how many reports each held and how long reading and applying it took."""
    with redis.pipeline(transaction=False) as pipe:
        for size, seconds in batches:
            _observe(pipe, DRAIN_BATCH_SIZE, size)
            _observe(pipe, DRAIN_BATCH_SECONDS, seconds)
        pipe.execute()


def _tally(redis, name: str, field: str) -> None:
    with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(keys.stats(name), field, 1)
        pipe.expire(keys.stats(name), STATS_TTL)
        pipe.execute()


def record_delivery(redis, kind: str, outcome: str) -> None:
    """One webhook delivery attempt of `kind` (json, slack) and its outcome (delivered, failed, rejected)."""
    _tally(redis, WEBHOOK_DELIVERIES, f"{kind}:{outcome}")


def record_poll(redis, page: str, outcome: str) -> None:
    """One poll of the status page at `page` and its outcome (ok, not_modified, timeout, error, garbage)."""
    _tally(redis, STATUSPAGE_POLLS, f"{outcome}:{page}")


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def read_hashes(redis, names: list[str]) -> list[dict[str, str]]:
    """The stored hashes of several figures in one round trip, as str to str."""
    with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hgetall(keys.stats(name))
        return [{_text(k): _text(v) for k, v in found.items()} for found in pipe.execute()]
