"""Replay CSV series of counts through detection: the same `Detector` the live job's steps are built from."""
from __future__ import annotations

import csv
import math
import os
import statistics
from datetime import datetime, timezone
from typing import Callable, Iterable

from .detect import Config, incidents_from, run

SCORER_TIME = "%Y-%m-%d %H:%M:%S"
"""How timestamps are written for score_detections.py: the NAB layout of the CSVs themselves."""


class CsvError(ValueError):
    """A CSV that cannot be replayed: which file, which line, what is wrong."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}: line {line}: {message}")
        self.path, self.line, self.message = path, line, message


def parse_time(text: str) -> float:
    """Unix time of an ISO 8601 timestamp ('2015-02-26 21:42:53', 'T', 'Z', an offset); naive means UTC."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def read_csv(path: str) -> list[tuple[float, float]]:
    """(unix time, value) rows of a `timestamp,value` CSV, checked: CsvError names the line and the problem."""
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise CsvError(path, 0, f"cannot be read ({exc.strerror.lower() if exc.strerror else exc})") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise CsvError(path, 1, "the file is empty; expected a header 'timestamp,value'")
            names = [name.strip().lower() for name in header]
            if "timestamp" not in names or "value" not in names:
                raise CsvError(path, 1, f"header {','.join(header)!r} lacks 'timestamp' and 'value' columns")
            ti, vi = names.index("timestamp"), names.index("value")
            points: list[tuple[float, float]] = []
            for row in reader:
                line = reader.line_num
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) <= max(ti, vi):
                    raise CsvError(path, line, f"{len(row)} column(s) where {len(names)} were expected")
                try:
                    ts = parse_time(row[ti])
                except ValueError:
                    raise CsvError(path, line, f"timestamp {row[ti]!r} is not an ISO 8601 date and time") from None
                try:
                    value = float(row[vi])
                except ValueError:
                    raise CsvError(path, line, f"value {row[vi]!r} is not a number") from None
                if not math.isfinite(value) or value < 0:
                    raise CsvError(path, line, f"value {row[vi]!r} is not a count (finite, zero or more)")
                if points and ts <= points[-1][0]:
                    raise CsvError(path, line, f"timestamp {row[ti].strip()} is not after the one before it")
                points.append((ts, value))
        except csv.Error as exc:
            raise CsvError(path, reader.line_num, f"not valid CSV ({exc})") from None
        except UnicodeDecodeError:
            raise CsvError(path, reader.line_num + 1, "not UTF-8 text") from None
    if len(points) < 2:
        raise CsvError(path, reader.line_num,
                       f"{len(points)} data row(s); at least 2 are needed to tell the bucket size")
    return points


def bucket_seconds(points: list[tuple[float, float]]) -> int:
    """The bucket size: the median step between rows (gaps do not move a median)."""
    return max(1, round(statistics.median(b[0] - a[0] for a, b in zip(points, points[1:]))))


def backtest(points: list[tuple[float, float]], config: Config = Config(),
             progress: Callable[[int], None] | None = None) -> list[dict]:
    """Incidents detection finds in a series, as `incidents_from` lists them; `progress(n)` after every n rows."""
    seconds = bucket_seconds(points)

    def feed() -> Iterable[tuple[float, float]]:
        for n, point in enumerate(points, start=1):
            yield point
            if progress is not None and n % 500 == 0:
                progress(500)
        if progress is not None:
            progress(len(points) % 500)

    return incidents_from(run(feed(), seconds, config))


def collect(paths: Iterable[str]) -> list[tuple[str, str]]:
    """(name, path) of each CSV: files as given (named by file name), directories searched for *.csv (named by
    their path inside the directory)."""
    out = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(".csv"):
                        full = os.path.join(root, name)
                        out.append((os.path.relpath(full, path).replace(os.sep, "/"), full))
        else:
            out.append((os.path.basename(path), path))
    return out


def scorer_starts(incidents: list[dict]) -> list[str]:
    """Incident starts only, in the form score_detections.py reads (one flagged row per incident)."""
    return [parse_and_format(i["start"]) for i in incidents]


def parse_and_format(iso: str) -> str:
    return datetime.fromtimestamp(parse_time(iso), timezone.utc).strftime(SCORER_TIME)
