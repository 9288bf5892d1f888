"""Time buckets of report counts: what one report adds to them, and reading them back."""
from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, NamedTuple

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

    @property
    def key(self) -> ReportKey:
        return ReportKey(self.ts // 60, self.surface, self.symptom, self.region, self.counted, self.origin)

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> "Entry":
        """The entry a stream holds; ValueError or KeyError if it is not a report."""
        _, surface, symptom, region, counted, origin = report_key(fields)
        return cls(ts=float(fields["ts"]), surface=surface, symptom=symptom, region=region, counted=counted,
                   comment=fields.get("comment", ""), origin=origin)


class ReportKey(NamedTuple):
    """What a report adds to its buckets depends on this alone: reports with one key add to the same fields."""

    minute: float
    """Unix time // 60."""
    surface: str
    symptom: str
    region: str
    counted: bool
    origin: str


def report_key(fields: Mapping[str, str]) -> tuple:
    """The `ReportKey` of the report a stream entry holds, as a plain tuple (a drain makes one a report, and a
    plain one costs half as much); ValueError or KeyError if the entry is not a report."""
    ts = float(fields["ts"])
    surface = fields["surface"]
    if not 0 <= ts < math.inf or not surface:
        raise ValueError(f"not a report time or surface: {fields!r}")
    return (ts // 60, surface, fields.get("symptom", ""), fields.get("region", UNKNOWN),
            fields.get("counted", "1") == "1", fields.get("origin") or "api")


def entry_fields(entry: Entry) -> list[str]:
    """The hash fields one report increments in each of its buckets."""
    return list(key_fields(entry.key))


def key_fields(key: tuple) -> tuple[str, ...]:
    """The hash fields a report with this `ReportKey` increments in each of its buckets."""
    return _fields(*key[1:])


@functools.lru_cache(maxsize=4096)
def _fields(surface: str, symptom: str, region: str, counted: bool, origin: str) -> tuple[str, ...]:
    if not counted:
        return (DEDUPED,)
    country = region.split("-", 1)[0] if region != UNKNOWN else UNKNOWN
    out = [TOTAL, f"s:{surface}", f"c:{country}", f"cs:{country}:{surface}"]
    if symptom:
        out.append(f"y:{symptom}")
    if region != country:
        out.append(f"r:{region}")
    kind, _, host = origin.partition(":")
    out.append(f"o:{kind}")
    if host:
        out.append(f"w:{host}")
    return tuple(out)


@dataclass
class Tally:
    """The increments a batch of reports makes: bucket key → field → count, and each key's expiry."""

    increments: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    expire_at: dict[str, int] = field(default_factory=dict)


def tally(slug: str, entries: Iterable[Entry]) -> Tally:
    """Add up a batch in memory so it becomes one write per bucket field."""
    return tally_keys(slug, Counter(entry.key for entry in entries))


def tally_keys(slug: str, reports: Mapping[tuple, int]) -> Tally:
    """The increments of reports counted by `ReportKey`."""
    # A batch holds far fewer keys than reports: adding up each key's fields once, then each minute into its
    # buckets, costs a fifth of adding every report's fields to every bucket.
    minutes: dict[int, Counter] = defaultdict(Counter)
    for key, count in reports.items():
        fields = minutes[int(key[0])]
        for name in key_fields(key):
            fields[name] += count
    out = Tally()
    for minute, fields in minutes.items():  # every resolution is whole minutes
        for resolution in keys.RESOLUTIONS.values():
            index = minute * 60 // resolution.seconds
            key = keys.bucket(slug, resolution, index)
            out.increments[key].update(fields)
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
