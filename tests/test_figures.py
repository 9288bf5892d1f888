"""Figure functions: given known numbers, the figures hold exactly those numbers, bands, shades and labels."""
from dashboards.figures import Marker, Segment, labelled_low, region_map, shares_chart, sparkline_points, spike_chart
from dashboards.palette import BLUISH_GREEN, ORANGE, REDDISH_PURPLE, STATE_COLOURS, STATE_LABELS, VERMILLION
from workers.summary import percent_shares

TIMES = ["2026-11-26T12:00:00Z", "2026-11-26T12:01:00Z", "2026-11-26T12:02:00Z", "2026-11-26T12:03:00Z"]
COUNTS = [3, 0, 240, 57]
BASELINE = [2.5, 2.5, 3.1, 3.1]
THRESHOLD = [14, 14, 16, 16]


def _trace(figure, name):
    [trace] = [t for t in figure.data if t.name == name]
    return trace


def _spike(segments=(), baseline=BASELINE, threshold=THRESHOLD, counts=COUNTS):
    return spike_chart(TIMES[0], 60, counts, baseline, threshold, list(segments), "minute", uirevision="24h")


def test_the_reports_trace_holds_exactly_the_given_counts_one_bucket_apart_from_the_start():
    reports = _trace(_spike(), "Reports")
    assert list(reports.y) == COUNTS
    assert (reports.x0, reports.dx) == (TIMES[0], 60_000)
    assert "Reports: %{y:,}" in reports.hovertemplate


def test_the_baseline_is_a_dashed_line_and_the_band_fills_from_it_up_to_the_alert_threshold():
    figure = _spike()
    baseline, threshold = _trace(figure, "Baseline (expected)"), _trace(figure, "Alert threshold")
    assert list(baseline.y) == BASELINE and baseline.line.dash == "dash"
    assert (baseline.x0, threshold.x0, baseline.dx) == (TIMES[0], TIMES[0], 60_000)
    assert list(threshold.y) == THRESHOLD
    # 'tonexty' fills down to the trace drawn just before it, which must be the baseline.
    assert threshold.fill == "tonexty"
    assert figure.data.index(threshold) == figure.data.index(baseline) + 1


def test_without_a_learned_baseline_the_chart_draws_only_the_reports():
    figure = _spike(baseline=None, threshold=None)
    assert [t.name for t in figure.data] == ["Reports"]


def test_each_incident_stretch_is_shaded_in_its_states_colour_and_labelled_with_its_state():
    figure = _spike([Segment(TIMES[1], TIMES[2], "degraded"), Segment(TIMES[2], TIMES[3], "outage")])
    shades = [(s.x0, s.x1, s.fillcolor, s.yref) for s in figure.layout.shapes]
    assert shades == [(TIMES[1], TIMES[2], ORANGE, "paper"), (TIMES[2], TIMES[3], VERMILLION, "paper")]
    assert [(a.x, a.text) for a in figure.layout.annotations] == [(TIMES[1], "Possible problems"),
                                                                  (TIMES[2], "Outage")]


def test_each_official_update_is_a_dotted_line_labelled_with_its_status_and_the_time_it_was_posted():
    markers = [Marker(TIMES[1], "investigating", "Errors <b>on</b> claude.ai", TIMES[0]),
               Marker(TIMES[3], "identified", "Errors", TIMES[3])]
    figure = spike_chart(TIMES[0], 60, COUNTS, BASELINE, THRESHOLD, [], "minute", uirevision="24h", markers=markers)
    lines = [(s.type, s.x0, s.x1, s.line.dash, s.line.color) for s in figure.layout.shapes]
    assert lines == [("line", TIMES[1], TIMES[1], "dot", REDDISH_PURPLE), ("line", TIMES[3], TIMES[3], "dot",
                                                                           REDDISH_PURPLE)]
    notes = figure.layout.annotations
    assert [(a.x, a.text) for a in notes] == [(TIMES[1], "Investigating 12:01"), (TIMES[3], "Identified 12:03")]
    assert notes[0].hovertext == ("Official status page: Errors &lt;b&gt;on&lt;/b&gt; claude.ai — investigating "
                                  "posted 12:01 UTC, shown there as 12:00 UTC"), "a backdated post says so"
    assert "shown there" not in notes[1].hovertext


def test_labels_of_posts_close_together_take_turns_at_the_bottom_so_they_do_not_overlap():
    posts = [Marker(f"2026-11-26T12:{minute:02d}:00Z", "identified", "Errors", "") for minute in (0, 10, 12, 13, 40)]
    assert labelled_low(posts, 6 * 3600) == [False, False, True, False, False]
    assert labelled_low(posts, 24 * 3600) == [False, True, False, True, False]


def test_a_range_without_reports_says_so_on_the_chart():
    figure = _spike(counts=[0, 0, 0, 0])
    assert [a.text for a in figure.layout.annotations] == ["No reports in this range"]


def test_shares_bars_print_each_percentage_and_the_shares_sum_to_100():
    shares = percent_shares({"website": 620, "desktop": 150, "mobile": 131, "api": 99})
    figure = shares_chart([("website", "Website"), ("desktop", "Desktop app"), ("mobile", "Mobile app"),
                           ("api", "API")], [("Last 24 hours", shares)])
    [bars] = figure.data
    assert list(bars.y) == ["Website", "Desktop app", "Mobile app", "API"]
    assert list(bars.x) == [62.0, 15.0, 13.1, 9.9]
    assert round(sum(bars.x), 6) == 100
    assert list(bars.text) == ["62.0 %", "15.0 %", "13.1 %", "9.9 %"]


def test_shares_at_the_peak_are_a_second_set_of_bars_in_another_colour():
    categories = [("website", "Website"), ("api", "API")]
    figure = shares_chart(categories, [("Range", {"website": 50.0, "api": 50.0}),
                                       ("At the peak", {"website": 80.0, "api": 20.0})])
    assert [list(t.x) for t in figure.data] == [[50.0, 50.0], [80.0, 20.0]]
    assert figure.data[0].marker.color != figure.data[1].marker.color
    assert figure.layout.showlegend is True


def test_the_region_map_colours_countries_by_iso3_code_with_the_given_counts():
    figure = region_map(["USA", "GBR"], ["United States of America", "United Kingdom"], [384, 200], [65.8, 34.2])
    [countries] = figure.data
    assert countries.locationmode == "ISO-3"
    assert list(countries.locations) == ["USA", "GBR"]
    assert list(countries.z) == [384, 200]
    assert list(countries.customdata) == [65.8, 34.2]


def test_a_map_without_known_countries_says_so():
    figure = region_map([], [], [], [])
    assert [a.text for a in figure.layout.annotations] == ["No reports from a known country in this range"]


def test_sparkline_points_run_from_zero_at_the_bottom_to_the_maximum_at_the_top():
    assert sparkline_points([0, 5, 10], 100, 20) == "0.0,20.0 50.0,10.0 100.0,0.0"
    assert sparkline_points([0, 0], 100, 20) == "0.0,20.0 100.0,20.0"
    assert sparkline_points([], 100, 20) == ""


def test_every_state_has_a_label_and_an_okabe_ito_colour():
    assert STATE_LABELS == {"ok": "OK", "degraded": "Possible problems", "outage": "Outage",
                            "unknown": "Not checked yet"}
    assert (STATE_COLOURS["ok"], STATE_COLOURS["degraded"], STATE_COLOURS["outage"]) == (BLUISH_GREEN, ORANGE,
                                                                                          VERMILLION)
