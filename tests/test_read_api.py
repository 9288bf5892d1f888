"""Reading the counts back: the service list, time series (JSON and CSV) and window summaries."""
import csv
import io
import itertools
import math
from datetime import datetime, timedelta, timezone

import pytest

from .helpers import NOW, api_error, iso, post

GB, US, UNKNOWN = "81.2.69.142", "216.160.83.56", "10.0.0.1"
HOUR = NOW - 30
"""Start of the hour the fixed clock is in, which is also the start of its minute."""

_browsers = itertools.count()


def _report(app, client, body, at=NOW, ip=GB):
    """Post a report as a new reporter with the app clock at `at`; the clock goes back to NOW after."""
    app.extensions["radar"].clock = lambda: at
    try:
        response = post(client, body, ip=ip, ua=f"browser-{next(_browsers)}")
    finally:
        app.extensions["radar"].clock = lambda: NOW
    assert response.status_code == 202, response.get_json()
    return response


def _series(client, slug="claude", **params):
    response = client.get(f"/api/v1/services/{slug}/series", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _tenths(shares):
    """Percent shares in whole tenths, so that adding them up is exact."""
    return sum(round(value * 10) for value in shares.values())


# --- /api/v1/services

def test_the_service_list_has_every_catalog_service_with_its_reports_in_the_last_hour(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website"})
    _report(app, client, {"service": "claude", "surface": "api"}, at=NOW - 30 * 60)
    _report(app, client, {"service": "gemini", "surface": "mobile"})
    run_jobs()
    services = client.get("/api/v1/services").get_json()["services"]
    assert [s["slug"] for s in services] == app.extensions["radar"].catalog.slugs
    counts = {s["slug"]: s["reports_last_hour"] for s in services}
    assert counts == {slug: {"claude": 2, "gemini": 1}.get(slug, 0) for slug in counts}
    claude = services[0]
    assert claude == {"slug": "claude", "name": "Claude", "aliases": ["anthropic", "claude-ai"],
                      "status_page": "https://status.anthropic.com", "reports_last_hour": 2}


def test_a_report_from_over_an_hour_ago_is_not_in_reports_last_hour(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website"}, at=HOUR - 61 * 60)
    _report(app, client, {"service": "claude", "surface": "website"})
    run_jobs()
    services = client.get("/api/v1/services").get_json()["services"]
    assert {s["slug"]: s["reports_last_hour"] for s in services}["claude"] == 1


# --- /api/v1/services/<slug>/series

def test_a_minute_series_is_zero_filled_between_reports(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website"}, at=HOUR - 5 * 60 + 10)
    _report(app, client, {"service": "claude", "surface": "website"}, at=HOUR - 5 * 60 + 50)
    _report(app, client, {"service": "claude", "surface": "api"})
    run_jobs()
    body = _series(client, resolution="1m", **{"from": int(HOUR - 5 * 60), "to": int(HOUR + 60)}).get_json()
    assert body["service"] == "claude"
    assert body["resolution"] == "1m"
    assert (body["from"], body["to"]) == (iso(HOUR - 5 * 60), iso(HOUR + 60))
    assert [b["time"] for b in body["buckets"]] == [iso(HOUR + m * 60) for m in range(-5, 1)]
    assert [b["total"] for b in body["buckets"]] == [2, 0, 0, 0, 0, 1]
    assert body["buckets"][1] == {"time": iso(HOUR - 4 * 60), "total": 0, "surfaces": {}, "symptoms": {},
                                  "countries": {}}


def test_from_and_to_may_be_unix_seconds_or_iso_8601(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website"}, at=HOUR - 2 * 60)
    run_jobs()
    start, end = HOUR - 3 * 60, HOUR
    as_seconds = _series(client, **{"from": str(start), "to": str(end)}).get_json()
    as_utc = _series(client, **{"from": iso(start), "to": iso(end)}).get_json()
    # The same instant five hours behind UTC, and a time with no offset, which is taken as UTC.
    behind = datetime.fromtimestamp(start, timezone.utc).astimezone(timezone(timedelta(hours=-5))).isoformat()
    as_offset = _series(client, **{"from": behind, "to": iso(end).rstrip("Z")}).get_json()
    assert behind.endswith("-05:00")
    assert [b["total"] for b in as_seconds["buckets"]] == [0, 1, 0]
    assert as_utc == as_seconds
    assert as_offset == as_seconds


def test_without_from_and_to_a_series_ends_with_the_current_bucket(client):
    for resolution, seconds in (("1m", 60), ("15m", 900), ("1h", 3600)):
        buckets = _series(client, resolution=resolution).get_json()["buckets"]
        starts = [datetime.strptime(b["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
                  for b in buckets]
        assert starts[-1] == NOW // seconds * seconds
        assert all(b - a == seconds for a, b in zip(starts, starts[1:]))


def test_each_bucket_breaks_the_reports_down_by_surface_symptom_and_country(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website", "symptom": "login"}, ip=GB)
    _report(app, client, {"service": "claude", "surface": "api", "symptom": "slow"}, ip=US)
    _report(app, client, {"service": "claude", "surface": "website"}, ip=UNKNOWN)
    run_jobs()
    bucket, = _series(client, **{"from": HOUR, "to": HOUR + 60}).get_json()["buckets"]
    assert bucket["total"] == 3
    assert bucket["surfaces"] == {"website": 2, "api": 1}
    assert bucket["symptoms"] == {"login": 1, "slow": 1}
    assert bucket["countries"] == {"GB": 1, "US": 1, "unknown": 1}


def test_quarter_hour_and_hour_buckets_add_up_the_minutes_they_hold(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website"}, at=HOUR - 20 * 60)
    _report(app, client, {"service": "claude", "surface": "website"}, at=HOUR - 10 * 60)
    _report(app, client, {"service": "claude", "surface": "mobile"})
    _report(app, client, {"service": "claude", "surface": "mobile"}, at=HOUR + 14 * 60)
    run_jobs()
    quarters = _series(client, resolution="15m", **{"from": HOUR - 1800, "to": HOUR + 900}).get_json()
    assert [b["total"] for b in quarters["buckets"]] == [1, 1, 2]
    hours = _series(client, resolution="1h", **{"from": HOUR - 3600, "to": HOUR + 3600}).get_json()
    assert [b["total"] for b in hours["buckets"]] == [2, 2]
    assert hours["buckets"][1]["surfaces"] == {"mobile": 2}


def test_the_csv_series_has_a_header_row_and_the_same_numbers_as_the_json(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website", "symptom": "login"}, ip=GB)
    _report(app, client, {"service": "claude", "surface": "api"}, ip=US, at=HOUR - 60)
    _report(app, client, {"service": "claude", "surface": "website"}, ip=UNKNOWN)
    run_jobs()
    params = {"from": HOUR - 3 * 60, "to": HOUR + 60}
    response = _series(client, format="csv", **params)
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["time", "total", "surface:website", "surface:desktop", "surface:mobile", "surface:api",
                       "symptom:login", "country:GB", "country:US", "country:unknown"]
    buckets = _series(client, **params).get_json()["buckets"]
    assert len(rows) == 1 + len(buckets) == 5
    for row, bucket in zip(csv.DictReader(io.StringIO(response.get_data(as_text=True))), buckets):
        assert row["time"] == bucket["time"]
        assert int(row["total"]) == bucket["total"]
        for name, value in row.items():
            kind, _, key = name.partition(":")
            part = {"surface": "surfaces", "symptom": "symptoms", "country": "countries"}.get(kind)
            if part:
                assert int(value) == bucket[part].get(key, 0), name
    assert [int(r[1]) for r in rows[1:]] == [0, 0, 1, 2]


def test_an_alias_in_the_path_reads_the_service_it_names(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website"})
    run_jobs()
    body = _series(client, "Anthropic", **{"from": HOUR, "to": HOUR + 60}).get_json()
    assert body["service"] == "claude"
    assert body["buckets"][0]["total"] == 1


def test_a_bad_resolution_is_a_400_naming_the_field_and_the_choices(client):
    error = api_error(client.get("/api/v1/services/claude/series?resolution=5m"), 400)
    assert error["field"] == "resolution"
    assert "1m, 15m, 1h" in error["message"]


@pytest.mark.parametrize("field", ["from", "to"])
def test_a_from_or_to_that_is_no_time_is_a_400_naming_the_field(client, field):
    error = api_error(client.get("/api/v1/services/claude/series", query_string={field: "yesterday"}), 400)
    assert error["field"] == field
    assert "unix seconds or an ISO 8601 time" in error["message"]


@pytest.mark.parametrize("field, value", [("from", "nan"), ("from", "-inf"), ("to", "inf"),
                                          ("to", "1e12"), ("from", "-1"), ("to", "10000-01-01T00:00:00")])
def test_a_from_or_to_that_parses_but_cannot_be_a_bucket_time_is_a_400_not_a_crash(client, field, value):
    error = api_error(client.get("/api/v1/services/claude/series", query_string={field: value}), 400)
    assert error["field"] == field


def test_a_from_after_to_is_a_400_naming_from(client):
    error = api_error(client.get("/api/v1/services/claude/series",
                              query_string={"from": HOUR, "to": HOUR - 60}), 400)
    assert error["field"] == "from"
    assert "before 'to'" in error["message"]


def test_empty_parameters_are_the_defaults_and_the_answer_names_them(client):
    summary = client.get("/api/v1/services/claude/summary?window=").get_json()
    assert summary["window"] == "1h" and summary["resolution"] == "1m"
    series = client.get("/api/v1/services/claude/series?format=&resolution=")
    assert series.mimetype == "application/json" and series.get_json()["resolution"] == "1m"


def test_a_bad_format_is_a_400_naming_the_field(client):
    error = api_error(client.get("/api/v1/services/claude/series?format=xml"), 400)
    assert error["field"] == "format"
    assert "json or csv" in error["message"]


def test_a_range_of_too_many_buckets_is_a_400_that_suggests_a_coarser_resolution(client):
    three_days = {"from": HOUR - 3 * 86400, "to": HOUR}
    error = api_error(client.get("/api/v1/services/claude/series", query_string={"resolution": "1m", **three_days}),
                   400)
    assert error["field"] == "from"
    assert "at most 2880" in error["message"] and "coarser resolution" in error["message"]
    assert len(_series(client, resolution="15m", **three_days).get_json()["buckets"]) == 3 * 96


@pytest.mark.parametrize("endpoint", ["series", "summary"])
def test_an_unknown_slug_is_a_json_404_suggesting_the_closest_service(client, endpoint):
    error = api_error(client.get(f"/api/v1/services/claud/{endpoint}"), 404)
    assert error["code"] == "unknown_service"
    assert "did you mean: claude" in error["message"]


# --- /api/v1/services/<slug>/summary

def test_a_summary_totals_the_window_with_shares_that_add_up_to_100(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website", "symptom": "login"}, ip=GB)
    _report(app, client, {"service": "claude", "surface": "mobile", "symptom": "slow"}, ip=GB, at=NOW - 40 * 60)
    _report(app, client, {"service": "claude", "surface": "api", "symptom": "errors"}, ip=US)
    run_jobs()
    body = client.get("/api/v1/services/claude/summary?window=1h").get_json()
    assert body["service"] == "claude" and body["window"] == "1h" and body["resolution"] == "1m"
    assert body["total"] == 3
    assert body["surfaces"]["counts"] == {"website": 1, "mobile": 1, "api": 1}
    assert body["surfaces"]["percent"] == {"api": 33.4, "mobile": 33.3, "website": 33.3}
    assert _tenths(body["surfaces"]["percent"]) == 1000
    assert _tenths(body["symptoms"]["percent"]) == 1000
    assert math.fsum(body["symptoms"]["percent"].values()) == 100.0
    assert body["top_regions"] == [{"country": "GB", "count": 2, "percent": 66.7},
                                   {"country": "US", "count": 1, "percent": 33.3}]


def test_a_summary_leaves_out_reports_before_its_window(app, client, run_jobs):
    _report(app, client, {"service": "claude", "surface": "website"}, at=NOW - 2 * 3600)
    _report(app, client, {"service": "claude", "surface": "api"})
    run_jobs()
    last_hour = client.get("/api/v1/services/claude/summary?window=1h").get_json()
    assert last_hour["total"] == 1 and last_hour["surfaces"]["counts"] == {"api": 1}
    last_six = client.get("/api/v1/services/claude/summary?window=6h").get_json()
    assert last_six["total"] == 2 and last_six["surfaces"]["percent"] == {"api": 50.0, "website": 50.0}


def test_a_summary_of_a_quiet_service_is_zero_with_no_shares(client):
    body = client.get("/api/v1/services/claude/summary").get_json()
    assert body["window"] == "1h"
    assert body["total"] == 0
    assert body["surfaces"] == {"counts": {}, "percent": {}}
    assert body["top_regions"] == []


@pytest.mark.parametrize("window", ["2d", "48h", "2880m"])
def test_a_window_of_two_days_is_answered_at_a_coarser_resolution(client, window):
    response = client.get(f"/api/v1/services/claude/summary?window={window}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["resolution"] == "15m"


@pytest.mark.parametrize("window", ["1w", "0h", "h", "soon", "9999d", "١h"])
def test_a_bad_window_is_a_400_naming_the_field(client, window):
    error = api_error(client.get(f"/api/v1/services/claude/summary?window={window}"), 400)
    assert error["field"] == "window"
