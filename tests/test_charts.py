"""The service page's chart geometry: pure functions from counts and times to SVG coordinates and paths."""
from __future__ import annotations

import pytest

from aggregator import charts
from aggregator.base.times import epoch

DAY = epoch("2026-11-26T00:00:00Z")


def test_minutes_are_gathered_into_clock_aligned_quarter_hours_partial_at_the_ends():
    starts = [DAY + 600 + 60 * n for n in range(20)]  # 00:10 to 00:29
    groups = charts.regroup(starts, 60, 900)
    assert [(g[0] - DAY, g[1] - DAY, len(g[2])) for g in groups] == [(600, 900, 5), (900, 1800, 15)]


def test_totals_add_up_each_group():
    groups = charts.regroup([DAY + 60 * n for n in range(30)], 60, 900)
    assert charts.totals(list(range(30)), groups) == [sum(range(15)), sum(range(15, 30))]


@pytest.mark.parametrize("value, top", [(0, 1), (0.4, 1), (1, 1), (1.2, 2), (3, 5), (7, 10), (10, 10), (11, 20),
                                        (4999, 5000), (5001, 10000)])
def test_the_count_axis_ends_on_one_two_or_five_times_a_power_of_ten(value, top):
    assert charts.nice_ceiling(value) == top


def test_scale_maps_the_domain_onto_the_span_and_can_turn_it_upside_down():
    assert charts.scale(5, (0, 10), (0, 100)) == 50
    assert charts.scale(10, (0, 10), (160, 8)) == 8
    assert charts.scale(3, (3, 3), (0, 100)) == 0, "an empty domain puts everything at the start"


def test_a_line_goes_through_its_points_in_order():
    assert charts.line_path([0, 10, 20.5], [5, 6, 7]) == "M0,5L10,6L20.5,7"
    assert charts.line_path([], []) == ""


def test_a_band_runs_along_the_top_and_back_along_the_bottom():
    assert charts.band_path([0, 10], [8, 9], [2, 3]) == "M0,2L10,3L10,9L0,8Z"


def test_an_incident_is_a_rectangle_over_its_time_clipped_to_the_chart():
    start, end = DAY, DAY + 86400
    [rect] = charts.spans([{"start": "2026-11-25T22:00:00Z", "end": "2026-11-26T12:00:00Z", "state": "outage"}],
                          start, end)
    assert (rect["x"], rect["width"], rect["state"]) == (charts.LEFT, (charts.RIGHT - charts.LEFT) / 2, "outage")
    assert charts.spans([{"start": "2026-11-27T01:00:00Z", "end": "2026-11-27T02:00:00Z", "state": "degraded"}],
                        start, end) == []


def test_a_short_incident_is_still_a_visible_sliver():
    [rect] = charts.spans([{"start": "2026-11-26T12:00:00Z", "end": "2026-11-26T12:01:00Z", "state": "degraded"}],
                          DAY, DAY + 86400)
    assert rect["width"] == 1.0


def test_the_time_axis_is_labelled_every_six_hours_in_utc():
    ticks = charts.time_ticks(DAY - 1800, DAY + 86400 - 1800)
    assert [t["label"] for t in ticks] == ["00:00", "06:00", "12:00", "18:00"]
    assert ticks[0]["at"] == "2026-11-26T00:00:00Z" and charts.LEFT < ticks[0]["x"] < ticks[1]["x"]


def test_the_count_axis_has_round_labels_from_zero_to_the_top():
    assert [t["label"] for t in charts.value_ticks(5000)] == ["0", "2.5k", "5k"]
    assert [t["y"] for t in charts.value_ticks(10)] == [charts.BOTTOM, (charts.BOTTOM + charts.TOP) / 2, charts.TOP]


def _day(reports, baseline=None, threshold=None, segments=()):
    starts = [DAY + 60 * n for n in range(len(reports))]
    return charts.chart(starts, 60, reports, baseline, threshold, list(segments), DAY, DAY + 60 * len(reports))


def test_a_day_of_minutes_is_drawn_as_96_quarter_hours_with_the_band_between_baseline_and_threshold():
    drawn = _day([1] * 1440, [0.5] * 1440, [3] * 1440)
    assert drawn["slot_minutes"] == 15
    assert drawn["reports"].count("L") == 95 and drawn["band"].endswith("Z")
    # The counts axis reaches the highest threshold (45 a quarter hour): the band is drawn whole.
    assert [t["label"] for t in drawn["y_ticks"]] == ["0", "25", "50"]
    first_band_point = drawn["band"][1:].split("L")[0]
    assert float(first_band_point.split(",")[1]) == charts.scale(45, (0, 50), (charts.BOTTOM, charts.TOP))


def test_the_peak_is_the_busiest_quarter_hour():
    reports = [0] * 1440
    reports[600:615] = [10] * 15
    assert _day(reports)["peak"] == {"at": "2026-11-26T10:00:00Z", "count": 150}


def test_without_a_baseline_there_is_no_band_and_without_reports_no_peak():
    drawn = _day([0] * 60)
    assert drawn["band"] is None and drawn["baseline"] is None and drawn["peak"] is None


def test_the_chart_shades_the_incidents_given():
    drawn = _day([0] * 1440, segments=[{"start": "2026-11-26T12:00:00Z", "end": "2026-11-26T13:00:00Z",
                                        "state": "outage"}])
    assert [s["state"] for s in drawn["spans"]] == ["outage"]
