"""Country codes for the region map: ISO 3166-1 alpha-2 (what buckets hold) to alpha-3 (what the map needs)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "countries.csv"
"""Codes and English names from the i18n-iso-countries package (MIT, licence beside the file)."""


@dataclass(frozen=True)
class Country:
    alpha2: str
    alpha3: str
    name: str


@cache
def _by_alpha2() -> dict[str, Country]:
    with open(TABLE, newline="", encoding="utf-8") as fh:
        return {row["alpha2"]: Country(row["alpha2"], row["alpha3"], row["name"]) for row in csv.DictReader(fh)}


def lookup(alpha2: str) -> Country | None:
    """The country with this alpha-2 code; None for `unknown` and for codes that are not countries."""
    return _by_alpha2().get(alpha2.upper())
