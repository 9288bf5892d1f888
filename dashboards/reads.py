"""The dashboard's reads: every service's overview row and one service's snapshot, for any page that shows them."""
from __future__ import annotations

from aggregator.radar import radar
from aggregator.ranges import parse_instant
from workers import incidents, keys, lead, official
from workers.buckets import Bucket
from workers.evaluate import read_statuses
from workers.expected import read_profiles
from workers.totals import last_hour_spans, read_series, read_totals

from . import snapshot
from .figures import sparkline_points

SPARK_WIDTH, SPARK_HEIGHT = 120, 28
SPARK_HOURS = 25
"""Hourly points of the overview's sparklines: the last 24 hours and the one under way."""
INCIDENTS_READ = 200
"""Newest incidents read for a service page; enough for 30 days of even a flapping service."""


def _matches(service, query: str) -> bool:
    query = query.strip().lower()
    return not query or any(query in name.lower() for name in (service.slug, service.name, *service.aliases))


def overview_rows(query: str = "") -> list[dict]:
    """Every service (matching `query`), most anomalous first, from one round trip per read function."""
    r = radar()
    now = r.clock()
    services = [s for s in r.catalog if _matches(s, query)]
    slugs = [s.slug for s in services]
    minute, hour = keys.MINUTE.index(now), keys.HOUR.index(now)
    # The last hour as the fewest buckets that hold it exactly, and hourly points for the sparkline: every
    # key named costs the client more than Redis takes to read it, and there are hundreds of services.
    totals = read_totals(r.data, slugs, [*last_hour_spans(now), (keys.HOUR, hour - SPARK_HOURS + 1, hour)])
    statuses = read_statuses(r.data, slugs)
    profiles = read_profiles(r.data, slugs, (minute - 59) * 60, (minute + 1) * 60)
    components = official.components(r.data, slugs)
    rows = [snapshot.overview_row({"slug": s.slug, "name": s.name, "aliases": list(s.aliases)}, status,
                                  sum(map(sum, totals[s.slug][:-1])), totals[s.slug][-1], profiles[s.slug], now,
                                  page)
            for s, status, page in zip(services, statuses, components)]
    for row in rows:
        row["points"] = sparkline_points(row["spark"], SPARK_WIDTH, SPARK_HEIGHT)
    return sorted(rows, key=snapshot.anomaly)


def service_snapshot(slug: str, range_name: str | None, to: str | None) -> dict:
    """The snapshot of one service over a range ending at `to` (default now)."""
    r = radar()
    service = r.catalog.get(slug)
    now = r.clock()
    end = parse_instant(to, "to")
    win = snapshot.window(range_name, now if end is None else end)
    counts, sums = read_series(r.data, service.slug, win.resolution, win.first, win.last)
    profile = read_profiles(r.data, [service.slug], win.start, win.end)[service.slug]
    status = read_statuses(r.data, [service.slug])[0]
    found = incidents.search(r.data, service=service.slug, end=win.end, limit=INCIDENTS_READ)
    found = lead.with_official(r.data, found, r.settings.RADAR_STATUSPAGE_MATCH_MINUTES * 60, now)
    officials = official.between(r.data, service.slug, win.start - lead.LOOKBACK, win.end)
    return snapshot.service_snapshot({"slug": service.slug, "name": service.name,
                                      "official_page": service.statuspage_api is not None}, win, counts,
                                     Bucket.from_hash(win.start, sums), profile, status, found, now, officials)
