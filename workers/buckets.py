"""Time buckets of report counts: what one report adds to them, and reading them back."""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from . import keys

TOTAL = "total"
DEDUPED = "deduped"
UNKNOWN = "unknown"
COUNTRY = re.compile(r"[A-Z]{2}")
"""An ISO 3166-1 alpha-2 country code, the first part of every known region."""
REGION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
"""A country code, optionally with its ISO 3166-2 subdivision: `DE`, `US-CA`."""


@dataclass(frozen=True)
class Entry:
    """One report as the intake stream holds it."""

    ts: float
    surface: str
    symptom: str = ""
    region: str = UNKNOWN
    counted: bool = True
    comment: str = ""
    origin: str = "api"
    """'site', 'api', or 'widget:<host of the page that embeds it>' (`aggregator.origins`)."""

    @property
    def country(self) -> str:
        return self.region.split("-", 1)[0] if self.region != UNKNOWN else UNKNOWN

    def to_fields(self) -> dict[str, str]:
        # Empty optional fields are left out: every field is a little more work per report on the hot path.
        out = {"ts": f"{self.ts:.3f}", "surface": self.surface, "region": self.region,
               "counted": "1" if self.counted else "0"}
        if self.symptom:
            out["symptom"] = self.symptom
        if self.comment:
            out["comment"] = self.comment
        if self.origin != "api":
            out["origin"] = self.origin
        return out

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> "Entry":
        """The entry a stream holds; ValueError or KeyError if it is not a report."""
        ts = float(fields["ts"])
        if not math.isfinite(ts) or ts < 0 or not fields["surface"]:
            raise ValueError(f"not a report time or surface: {fields!r}")
        return cls(ts=ts, surface=fields["surface"], symptom=fields.get("symptom", ""),
                   region=fields.get("region", UNKNOWN), counted=fields.get("counted", "1") == "1",
                   comment=fields.get("comment", ""), origin=fields.get("origin") or "api")


def entry_fields(entry: Entry) -> list[str]:
    """The hash fields one report increments in each of its buckets."""
    if not entry.counted:
        return [DEDUPED]
    out = [TOTAL, f"s:{entry.surface}", f"c:{entry.country}", f"cs:{entry.country}:{entry.surface}"]
    if entry.symptom:
        out.append(f"y:{entry.symptom}")
    if entry.region != entry.country:
        out.append(f"r:{entry.region}")
    kind, _, host = entry.origin.partition(":")
    out.append(f"o:{kind}")
    if host:
        out.append(f"w:{host}")
    return out


@dataclass
class Tally:
    """The increments a batch of reports makes: bucket key → field → count, and each key's expiry."""

    increments: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    expire_at: dict[str, int] = field(default_factory=dict)


def tally(slug: str, entries: Iterable[Entry]) -> Tally:
    """Add up a batch in memory so it becomes one write per bucket field."""
    out = Tally()
    for entry in entries:
        names = entry_fields(entry)
        for resolution in keys.RESOLUTIONS.values():
            index = resolution.index(entry.ts)
            key = keys.bucket(slug, resolution, index)
            out.increments[key].update(names)
            out.expire_at[key] = resolution.expire_at(index)
    return out


@dataclass(frozen=True)
class Bucket:
    """The counts of one bucket, split by what they count."""

    start: int
    total: int = 0
    deduped: int = 0
    surfaces: dict = field(default_factory=dict)
    symptoms: dict = field(default_factory=dict)
    countries: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)
    country_surfaces: dict = field(default_factory=dict)
    origins: dict = field(default_factory=dict)
    """Counted reports by where they came from: 'site', 'widget', 'api' (older buckets have none)."""
    embedders: dict = field(default_factory=dict)
    """Counted widget reports by the host of the page that embeds the widget."""

    @classmethod
    def from_hash(cls, start: int, raw: Mapping[str, str]) -> "Bucket":
        parts = {"s": {}, "y": {}, "c": {}, "r": {}, "cs": {}, "o": {}, "w": {}}
        for name, value in raw.items():
            kind, _, rest = name.partition(":")
            if kind in parts:
                parts[kind][rest] = int(value)
        return cls(start=start, total=int(raw.get(TOTAL, 0)), deduped=int(raw.get(DEDUPED, 0)),
                   surfaces=parts["s"], symptoms=parts["y"], countries=parts["c"], regions=parts["r"],
                   country_surfaces=parts["cs"], origins=parts["o"], embedders=parts["w"])


def read_buckets(redis, slug: str, resolution: keys.Resolution, first: int, last: int) -> list[Bucket]:
    """Buckets `first`..`last` (indexes, inclusive) in one round trip; missing buckets come back as zeros."""
    with redis.pipeline(transaction=False) as pipe:
        for index in range(first, last + 1):
            pipe.hgetall(keys.bucket(slug, resolution, index))
        raws = pipe.execute()
    return [Bucket.from_hash(index * resolution.seconds, raw) for index, raw in zip(range(first, last + 1), raws)]
