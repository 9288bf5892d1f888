"""The Redis key scheme: every key of a service carries `{slug}` as a Redis Cluster hash tag."""
from __future__ import annotations

from dataclasses import dataclass

PREFIX = "radar"
GROUP = "drain"
"""Consumer group through which drain jobs read the intake streams."""

QUEUE = "radar"
"""RQ queue that drain jobs run on."""


@dataclass(frozen=True)
class Resolution:
    """A bucket size: its name in the API, its key letter, its width and how long its buckets live."""

    name: str
    letter: str
    seconds: int
    retention: int

    def index(self, ts: float) -> int:
        return int(ts // self.seconds)

    def expire_at(self, index: int) -> int:
        """Unix time at which the bucket `index` is dropped: its end plus the retention."""
        return (index + 1) * self.seconds + self.retention


MINUTE = Resolution("1m", "m", 60, 48 * 3600)
QUARTER = Resolution("15m", "q", 900, 90 * 86400)
HOUR = Resolution("1h", "h", 3600, 2 * 365 * 86400)
RESOLUTIONS = {r.name: r for r in (MINUTE, QUARTER, HOUR)}


def _base(slug: str) -> str:
    return f"{PREFIX}:{{{slug}}}"


def intake(slug: str) -> str:
    """The stream each accepted report is appended to."""
    return f"{_base(slug)}:intake"


def bucket(slug: str, resolution: Resolution, index: int) -> str:
    """A hash of counts for one time bucket."""
    return f"{_base(slug)}:{resolution.letter}:{index}"


def seen(slug: str, reporter: str) -> str:
    """Marks a reporter (keyed hash) as having reported this service within the dedupe window."""
    return f"{_base(slug)}:seen:{reporter}"


def network(slug: str, network: str) -> str:
    """Counts the new reporters of one network (keyed hash) for this service within the dedupe window."""
    return f"{_base(slug)}:net:{network}"


def limit(slug: str, client: str, seconds: int) -> str:
    """A client's (keyed hash of its address) latest report times, in whole seconds, in one rate-limit window of
    this length."""
    return f"{_base(slug)}:limit:{client}:{seconds}"


def day_sums(slug: str, day: int) -> str:
    """Every field of a service's hour buckets of one UTC day (unix time // 86400) added up, once the day is over."""
    return f"{_base(slug)}:d:{day}"


def reads(client: str, seconds: int, window: int) -> str:
    """How many reads a client (keyed hash of its address) made in one fixed window of the read limit."""
    # The client's own hash tag: all its windows are checked in one script, so they share a cluster slot.
    return f"{PREFIX}:{{reads:{client}}}:{seconds}:{window}"


def comments(slug: str) -> str:
    """Stream of report comments, kept apart from the counts, with times (and entry ids) to the minute."""
    return f"{_base(slug)}:comments"


def hidden_comments(slug: str) -> str:
    """Hash of the service's hidden comments: entry id → who hid it, when and why, as JSON."""
    return f"{_base(slug)}:comments:hidden"


def drain_pending(slug: str) -> str:
    """Set while a drain job for this service is queued, so a burst of reports enqueues one job."""
    return f"{_base(slug)}:drain-pending"


def tracks(slug: str) -> str:
    """Hash of the detector's state machines of a service: field `*` overall, a country code per country."""
    return f"{_base(slug)}:tracks"


def baseline(slug: str) -> str:
    """Hash of the learned hour-of-week profiles of a service and its countries, rebuilt every few hours."""
    return f"{_base(slug)}:baseline"


def status(slug: str) -> str:
    """The latest detection result of a service as JSON, so reading every service's status is one GET each."""
    return f"{_base(slug)}:status"


def evaluating(slug: str) -> str:
    """Lock held while one evaluate job steps this service, so two overlapping jobs never both step it."""
    return f"{_base(slug)}:evaluating"


def incident(slug: str, incident_id: str) -> str:
    """One incident record as JSON."""
    return f"{_base(slug)}:incident:{incident_id}"


def incidents(slug: str) -> str:
    """Sorted set of a service's incident ids, scored by onset."""
    return f"{_base(slug)}:incidents"


def official(slug: str) -> str:
    """Hash of the official incidents read from the service's status page: incident id → JSON."""
    return f"{_base(slug)}:official"


def official_index(slug: str) -> str:
    """Sorted set of the service's official incident ids, scored by their start."""
    return f"{_base(slug)}:official:index"


def official_components(slug: str) -> str:
    """The component statuses last read from the service's status page, as JSON."""
    return f"{_base(slug)}:official:components"


def official_poll(slug: str) -> str:
    """Hash of the status page poll's state: validators for conditional requests, failures, backoff."""
    return f"{_base(slug)}:official:poll"


def official_polling(slug: str) -> str:
    """Lock held while one poll of the service's status page is in flight."""
    return f"{_base(slug)}:official:polling"


ALL_INCIDENTS = f"{PREFIX}:incidents"
"""Sorted set of every incident id, scored by onset."""

CATALOG_GENERATION = f"{PREFIX}:catalog:generation"
"""Counter raised by every catalog reload, so each web process knows to load the file again."""

DEMO_WRITTEN_UNTIL = f"{PREFIX}:demo"
"""Unix time up to which demo reports were written, so a later `run` adds only the time since."""


def stats(name: str) -> str:
    """A hash of figures recorded by jobs (drain batches, webhook deliveries), read by /metrics."""
    return f"{PREFIX}:stats:{name}"
