"""What a dashboard shows, assembled from read results: ranges, baselines, shares, regions, incidents, order."""
import pytest

from aggregator.base.exceptions import ValidationError
from aggregator.base.times import epoch
from dashboards import snapshot
from workers.baseline import Profile, Quality
from workers.buckets import Bucket
from workers.detect import Config
from workers.expected import threshold, thresholds
from workers.score import tail_log10

DAY = 86400
END = 1_795_000_000  # a Tuesday, 05:46:40 UTC
FLAT = Profile(tuple([120.0] * 168), Quality.WEEKLY, dispersion=0.01)


def _incident(opened, resolved=None, country=None, changes=None, peak_at=None):
    changes = changes or [{"at": opened, "state": "outage"}] + ([{"at": resolved, "state": "ok"}] if resolved else [])
    return {"id": f"claude.{opened}", "service": "claude", "country": country,
            "status": "resolved" if resolved else "open", "state": changes[-1]["state"] if not resolved else "outage",
            "worst_state": "outage", "opened_at": opened, "resolved_at": resolved,
            "peak": {"count": 240, "expected": 3.1, "at": peak_at or opened},
            "surfaces_at_peak": {"website": 62.0, "api": 38.0}, "symptoms_at_peak": {"errors": 100.0},
            "changes": changes}


@pytest.mark.parametrize("name,resolution,buckets", [("1h", "1m", 60), ("6h", "1m", 360), ("24h", "1m", 1440),
                                                       ("7d", "15m", 672), ("30d", "1h", 720)])
def test_each_range_has_a_resolution_that_draws_it_in_whole_buckets_ending_now(name, resolution, buckets):
    win = snapshot.window(name, END)
    assert win.resolution.name == resolution
    assert win.last - win.first + 1 == buckets
    span = int(name[:-1]) * {"h": 3600, "d": DAY}[name[-1]]
    assert END - span < win.start <= END - span + win.resolution.seconds
    assert win.end - win.resolution.seconds <= END < win.end


def test_an_unknown_range_is_refused_with_the_choices():
    with pytest.raises(ValidationError, match="1h, 6h, 24h, 7d, 30d"):
        snapshot.window("2h", END)


def test_an_incident_is_shaded_per_state_and_clipped_to_the_range():
    incident = _incident("2026-11-26T11:00:00Z", "2026-11-26T13:00:00Z", changes=[
        {"at": "2026-11-26T11:00:00Z", "state": "degraded"}, {"at": "2026-11-26T12:00:00Z", "state": "outage"},
        {"at": "2026-11-26T13:00:00Z", "state": "ok"}])
    start = epoch("2026-11-26T11:30:00Z")
    found = snapshot.segments(incident, start, epoch("2026-11-26T14:00:00Z"))
    assert [(s.start, s.end, s.state) for s in found] == [
        ("2026-11-26T11:30:00Z", "2026-11-26T12:00:00Z", "degraded"),
        ("2026-11-26T12:00:00Z", "2026-11-26T13:00:00Z", "outage")]


def test_an_open_incident_is_shaded_to_the_end_of_the_range():
    incident = _incident("2026-11-26T12:00:00Z")
    found = snapshot.segments(incident, epoch("2026-11-26T11:00:00Z"), epoch("2026-11-26T12:30:00Z"))
    assert [(s.start, s.end) for s in found] == [("2026-11-26T12:00:00Z", "2026-11-26T12:30:00Z")]


def test_only_incidents_open_during_the_range_are_shown():
    before = _incident("2026-11-25T01:00:00Z", "2026-11-25T02:00:00Z")
    across = _incident("2026-11-25T23:00:00Z", "2026-11-26T01:00:00Z")
    still_open = _incident("2026-11-20T00:00:00Z")
    shown = snapshot.overlapping([before, across, still_open], epoch("2026-11-26T00:00:00Z"),
                                 epoch("2026-11-27T00:00:00Z"))
    assert shown == [across, still_open]


def _whole(win, totals):
    """The sums of a range whose buckets hold `totals`: a quarter about the API, a quarter from no known country."""
    n = sum(totals)
    return Bucket(win.start, total=n, surfaces={"website": n - n // 4, "api": n // 4} if n else {},
                  countries={"US": n // 2, "unknown": n - n // 2 - n // 4, "XX": n // 4} if n else {})


def test_the_service_snapshot_holds_the_counts_the_baseline_and_the_threshold_of_every_bucket():
    win = snapshot.window("1h", END)
    totals = [0] * 58 + [40, 8]
    snap = snapshot.service_snapshot({"slug": "claude", "name": "Claude"}, win, totals, _whole(win, totals), FLAT,
                                     {"state": "ok", "evaluated_at": None}, [], END)
    series = snap["series"]
    assert series["reports"] == totals
    assert series["time"][0] == snapshot.iso(win.start) and len(series["time"]) == 60
    assert series["baseline"] == [2.0] * 60
    assert series["threshold"] == [threshold(FLAT, 2.0)] * 60
    assert snap["total"] == 48 and snap["expected_total"] == 120.0
    assert snap["peak"] == {"time": series["time"][58], "reports": 40, "baseline": 2.0}
    assert snap["status"]["label"] == "Not checked yet"


def test_shares_sum_to_100_and_unknown_regions_are_counted_apart_from_the_map():
    win = snapshot.window("1h", END)
    snap = snapshot.service_snapshot({"slug": "claude", "name": "Claude"}, win, [0] * 59 + [40],
                                     _whole(win, [40]), None, {"state": "ok", "evaluated_at": "x", "countries": []}, [], END)
    assert snap["surfaces"]["counts"] == {"website": 30, "api": 10}
    assert sum(snap["surfaces"]["percent"].values()) == 100.0
    regions = snap["regions"]
    assert regions["unknown"] == 10
    assert [(r["country"], r["alpha3"], r["count"]) for r in regions["countries"]] == [("US", "USA", 20),
                                                                                       ("XX", None, 10)]
    assert snap["series"]["baseline"] is None and snap["expected_total"] is None


def test_the_shares_at_the_peak_come_from_the_latest_incident_of_the_whole_service():
    win = snapshot.window("24h", END)
    newest_country = _incident(snapshot.iso(END - 3600), country="DE")
    service_wide = _incident(snapshot.iso(END - 7200), snapshot.iso(END - 5400), peak_at=snapshot.iso(END - 7000))
    snap = snapshot.service_snapshot({"slug": "claude", "name": "Claude"}, win, [0] * 1440, Bucket(win.start), None,
                                     {"state": "ok", "evaluated_at": "x", "countries": []},
                                     [newest_country, service_wide], END)
    assert snap["at_peak"]["incident"] == service_wide["id"]
    assert snap["at_peak"]["surfaces"] == {"website": 62.0, "api": 38.0}
    assert [i["id"] for i in snap["incidents"]] == [service_wide["id"], newest_country["id"]]
    assert snap["incidents"][0]["duration_seconds"] == 1800
    assert snap["incidents"][1]["duration_seconds"] == 3600


def test_the_overview_puts_an_outage_first_then_problems_then_the_most_excess():
    def row(name, state, score, last_hour):
        status = {"state": state, "evaluated_at": "x", "score": score}
        return snapshot.overview_row({"slug": name, "name": name}, status, last_hour, [], FLAT, END)

    rows = [row("calm", "ok", 0.5, 100), row("busy", "ok", 0.5, 400), row("down", "outage", 30.0, 900),
            row("shaky", "degraded", 8.0, 50)]
    assert [r["name"] for r in sorted(rows, key=snapshot.anomaly)] == ["down", "shaky", "busy", "calm"]
    assert rows[0]["baseline_hour"] == 120.0


def test_the_alert_threshold_is_the_fewest_reports_the_detector_flags_on_their_own():
    config = Config()
    for mean in (0.05, 2.0, 30.0, 900.0):
        count = threshold(FLAT, mean)
        assert count - mean >= config.min_excess
        assert tail_log10(count, mean, FLAT.dispersion) >= config.degraded_score
        below = count - 1
        assert below - mean < config.min_excess or tail_log10(below, mean, FLAT.dispersion) < config.degraded_score


def test_thresholds_of_buckets_with_one_expectation_are_the_same():
    assert thresholds(FLAT, [2.0, 2.0, 30.0]) == [threshold(FLAT, 2.0)] * 2 + [threshold(FLAT, 30.0)]


def _official(name, *updates):
    return {"id": name, "name": name, "status": updates[-1][1], "posted_at": updates[0][0], "shortlink": None,
            "updates": [{"id": f"{name}{n}", "status": status, "created_at": at, "display_at": shown or at}
                        for n, (at, status, shown) in enumerate(updates)]}


def test_the_official_updates_posted_in_the_range_are_its_markers_oldest_first():
    win = snapshot.window("6h", END)
    before, early, late = snapshot.iso(win.start - 60), snapshot.iso(win.start + 60), snapshot.iso(END - 60)
    officials = [_official("b", (late, "resolved", None)),
                 _official("a", (before, "investigating", None), (early, "identified", before))]
    snap = snapshot.service_snapshot({"slug": "claude", "name": "Claude"}, win, [0] * 360, Bucket(win.start), None,
                                     {"state": "ok", "evaluated_at": "x", "countries": []}, [], END, officials)
    assert snap["official_updates"] == [
        {"at": early, "status": "identified", "name": "a", "display_at": before},
        {"at": late, "status": "resolved", "name": "b", "display_at": late}]


def test_an_incident_row_carries_its_lead_time_and_the_official_incident_it_is_linked_to():
    win = snapshot.window("24h", END)
    opened = snapshot.iso(END - 7200)
    official = _official("vendor", (snapshot.iso(END - 5400), "investigating", None))
    linked = {**_incident(opened), "official": official, "lead_time_seconds": 1800}
    snap = snapshot.service_snapshot({"slug": "claude", "name": "Claude"}, win, [0] * 1440, Bucket(win.start), None,
                                     {"state": "ok", "evaluated_at": "x", "countries": []}, [linked], END)
    [row] = snap["incidents"]
    assert row["lead_time_seconds"] == 1800
    assert row["official"] == {"id": "vendor", "name": "vendor", "status": "investigating",
                               "posted_at": snapshot.iso(END - 5400), "shortlink": None}


@pytest.mark.parametrize("state, components, shown", [
    ("outage", ["operational", "operational"], "operational"),
    ("ok", ["operational", "major_outage"], "major outage"),
    ("degraded", ["partial_outage"], None),
    ("outage", ["degraded_performance", "major_outage"], None),
    ("ok", ["under_maintenance"], None),
    ("outage", None, None),
])
def test_the_overview_shows_the_official_status_only_when_it_disagrees_with_the_crowd(state, components, shown):
    status = {"state": state, "evaluated_at": "x", "score": 1.0}
    listed = None if components is None else [{"id": str(n), "name": str(n), "status": c}
                                              for n, c in enumerate(components)]
    row = snapshot.overview_row({"slug": "claude", "name": "Claude"}, status, 10, [], FLAT, END, listed)
    assert (row["official"] or {}).get("label") == shown


def test_a_service_not_checked_yet_shows_no_disagreement():
    row = snapshot.overview_row({"slug": "claude", "name": "Claude"}, {"state": "ok"}, 0, [], FLAT, END,
                                [{"id": "c", "name": "API", "status": "major_outage"}])
    assert row["official"] is None
