"""Detection as pure functions: the baseline, the score, the state machine, and the runner the backtest uses."""
import json
import random
from dataclasses import replace

from bench.outages import poisson
from workers.baseline import FLOOR_PER_HOUR, Quality, hour_of_week, learn_profile
from workers.detect import Assessment, Config, Detector, State, Track, assess, evaluate, incidents_from, run, step
from workers.score import poisson_tail_log10, tail_log10

MONDAY = 1_767_571_200.0
"""2026-01-05 00:00 UTC, a Monday."""
WEEK = 7 * 86400


def _hours(first: float, last: float, per_hour) -> list[tuple[float, float]]:
    return [(float(h), float(per_hour(h))) for h in range(int(first), int(last), 3600)]




def test_an_outage_last_tuesday_does_not_raise_this_tuesdays_baseline():
    now = MONDAY + 4 * WEEK + 86400 + 11 * 3600  # Tuesday 11:00, four weeks in
    last_tuesday = MONDAY + 3 * WEEK + 86400

    def per_hour(h):
        return 1200 if last_tuesday + 9 * 3600 <= h < last_tuesday + 14 * 3600 else 60

    profile = learn_profile(_hours(MONDAY, now, per_hour), now)
    assert profile.quality is Quality.WEEKLY
    assert profile.rates[hour_of_week(now)] == 60
    assert profile.expected(now, 60) == 1.0


def test_a_service_without_history_falls_back_to_the_floor_and_says_so():
    profile = learn_profile([], MONDAY)
    assert profile.quality is Quality.FLOOR
    assert set(profile.rates) == {FLOOR_PER_HOUR}


def test_a_day_of_history_is_still_the_floor_two_days_learn_the_hour_of_day_three_weeks_the_week():
    def per_hour(h):
        return 30 if (h // 3600) % 24 >= 8 else 6

    one_day = learn_profile(_hours(MONDAY, MONDAY + 86400, per_hour), MONDAY + 86400)
    assert one_day.quality is Quality.FLOOR
    assert min(one_day.rates) >= FLOOR_PER_HOUR

    three_days = learn_profile(_hours(MONDAY, MONDAY + 3 * 86400, per_hour), MONDAY + 3 * 86400)
    assert three_days.quality is Quality.DAILY
    assert three_days.expected(MONDAY + 3 * 86400 + 12 * 3600, 3600) == 30
    assert three_days.expected(MONDAY + 3 * 86400 + 3 * 3600, 3600) == 6

    weeks = learn_profile(_hours(MONDAY, MONDAY + 3 * WEEK, per_hour), MONDAY + 3 * WEEK)
    assert weeks.quality is Quality.WEEKLY


def test_the_dispersion_is_learned_from_how_much_counts_stray():
    rng = random.Random(1)
    steady = learn_profile(_hours(MONDAY, MONDAY + 3 * WEEK, lambda h: poisson(rng, 20)), MONDAY + 3 * WEEK)
    jumpy = learn_profile(_hours(MONDAY, MONDAY + 3 * WEEK, lambda h: poisson(rng, 20 * rng.choice((0.5, 1.5)))),
                          MONDAY + 3 * WEEK)
    assert steady.dispersion < 0.02
    assert jumpy.dispersion > 0.1


def test_weeks_of_nothing_but_zeros_learn_the_floor_without_failing():
    # A country whose first reports ever come in an outage: its history is there, and all zeros.
    profile = learn_profile(_hours(MONDAY, MONDAY + 3 * WEEK, lambda h: 0), MONDAY + 3 * WEEK)
    assert set(profile.rates) == {FLOOR_PER_HOUR}


def test_the_tail_score_is_how_many_tens_of_improbability():
    assert poisson_tail_log10(1, 1) < 1
    assert 8 < poisson_tail_log10(6, 0.1) < 10
    # A wandering rate (dispersion) makes the same jump far less surprising.
    assert tail_log10(80, 40, 0.1) < poisson_tail_log10(80, 40) / 3


def test_a_quiet_service_getting_six_reports_in_two_minutes_is_anomalous():
    counts = [0.0] * 178 + [3.0, 3.0]
    found = assess(counts, [0.05] * 180)
    assert found.level is not State.OK
    assert found.spread
    assert found.score > 8


def test_a_busy_service_going_from_40_to_400_is_an_outage():
    counts = [40.0] * 178 + [400.0, 400.0]
    found = assess(counts, [40.0] * 180, dispersion=0.01)
    assert found.level is State.OUTAGE
    assert found.score > 100


def test_a_rise_that_is_improbable_but_less_than_threefold_is_degraded_not_an_outage():
    counts = [40.0] * 170 + [70.0] * 10
    found = assess(counts, [40.0] * 180, dispersion=0.005)
    assert found.level is State.DEGRADED


def test_counts_at_the_baseline_are_ok():
    rng = random.Random(2)
    counts = [float(poisson(rng, 4)) for _ in range(180)]
    assert assess(counts, [4.0] * 180).level is State.OK


def _sparse_detector() -> Detector:
    """A detector for a service with 3 reports an hour (0.05 a minute) and three weeks of hourly history."""
    rng = random.Random(3)
    history = _hours(MONDAY - 3 * WEEK, MONDAY, lambda h: poisson(rng, 3))
    return Detector(60, Config(), history)


def test_a_single_one_minute_burst_of_a_handful_does_not_open_an_incident():
    detector = _sparse_detector()
    states = []
    for minute in range(240):
        count = 8.0 if minute == 120 else 0.0
        states.append(detector.observe(MONDAY + minute * 60, count)[1].state)
    assert set(states) == {State.OK}


def test_reports_that_keep_coming_open_an_incident_backdated_to_the_first_anomalous_minute():
    detector = _sparse_detector()
    onset = MONDAY + 60 * 60
    opened_at = None
    for minute in range(120):
        ts = MONDAY + minute * 60
        _, track = detector.observe(ts, 1.0 if ts >= onset else 0.0)
        if opened_at is None and track.state is not State.OK:
            opened_at, run_start = ts, track.run_start
    assert opened_at is not None and opened_at > onset
    assert run_start == onset


def test_an_incident_does_not_flap_on_a_noisy_boundary_and_resolves_once_after_a_calm_stretch():
    config = Config()
    expected = [40.0] * 180
    counts = [40.0] * 180
    track = Track()
    changes = []

    def minute(ts, count):
        nonlocal track
        counts.append(count)
        del counts[0]
        before = track.state
        track = step(track, ts, assess(counts, expected, config, dispersion=0.01), config)
        if track.state is not before:
            changes.append((ts, track.state))

    ts = MONDAY
    for _ in range(10):  # an outage
        minute(ts, 400.0)
        ts += 60
    for _ in range(6):  # then counts that hover on the edge: a raised minute every few calm ones
        for count in (40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 90.0):
            minute(ts, count)
            ts += 60
    assert [state for _, state in changes] == [State.OUTAGE]
    for _ in range(config.resolve_after + 15):
        minute(ts, 40.0)
        ts += 60
    assert [state for _, state in changes] == [State.OUTAGE, State.OK]


def test_the_state_machine_opens_at_the_assessed_level_only_after_the_evidence_has_lasted():
    config = Config()
    hot = Assessment(score=20, count=400, expected=40, level=State.OUTAGE, bucket_seconds=60)
    first = step(Track(), MONDAY, hot, config)
    assert first.state is State.OK and first.hot == 1 and first.run_start == MONDAY
    second = step(first, MONDAY + 60, hot, config)
    assert second.state is State.OUTAGE and second.run_start == MONDAY
    # A five-minute bucket holds two minutes of evidence by itself.
    assert step(Track(), MONDAY, Assessment(20, 400, 40, State.OUTAGE, bucket_seconds=300), config).state \
        is State.OUTAGE


def _after_incident(peak: float) -> tuple[Config, Track]:
    """A track whose incident, peaking at `peak`, resolved at MONDAY."""
    return Config(), Track(quiet_from=MONDAY, last_peak=peak)


def test_an_after_shock_no_bigger_than_the_last_incident_does_not_open_a_new_one():
    config, track = _after_incident(peak=30.0)
    shock = Assessment(score=50, count=300, expected=40, level=State.OUTAGE, window=5, spread=True)
    after = step(track, MONDAY + 3600, shock, config)
    assert after.state is State.OK and after.last_peak == 30.0 and after.quiet_from == MONDAY
    assert after.shocks == after.bursts == ((int(MONDAY // 86400), 50),)


def _spike(score: float) -> Assessment:
    return Assessment(score=score, count=10 * score, expected=40, level=State.OUTAGE, window=5, spread=True)


def test_a_spike_no_bigger_than_the_after_shocks_of_the_last_days_does_not_open():
    config = Config()
    day = int(MONDAY // 86400)
    track = Track(shocks=((day - 3, 40.0),))
    assert step(track, MONDAY, _spike(40), config).state is State.OK
    assert step(track, MONDAY, _spike(41), config).state is State.OUTAGE


def test_after_shocks_are_forgotten_after_their_memory():
    config = Config()
    day = int(MONDAY // 86400)
    track = Track(shocks=((day - config.after_shock_days - 1, 40.0),))
    assert step(track, MONDAY, _spike(20), config).state is State.OUTAGE
    refused = step(Track(quiet_from=MONDAY, last_peak=20.0, shocks=track.shocks), MONDAY + 60, _spike(50), config)
    assert refused.shocks == ((day, 50),)


def _resolved(track: Track, config: Config, at: float) -> Track:
    """`track` after enough calm buckets from `at` on for its incident to resolve."""
    calm = Assessment(0, 40, 40, State.OK)
    for minute in range(config.resolve_after):
        track = step(track, at + minute * 60, calm, config)
    assert track.state is State.OK
    return track


def test_a_burst_no_bigger_than_half_a_recent_burst_incident_does_not_open():
    config = Config()
    track = _resolved(step(Track(), MONDAY, _spike(100), config), config, MONDAY + 60)
    assert track.bursts == ((int(MONDAY // 86400), 100),)
    later = MONDAY + 3 * 86400
    assert step(track, later, _spike(config.burst_factor * 100), config).state is State.OK
    assert step(track, later, _spike(config.burst_factor * 100 + 1), config).state is State.OUTAGE
    forgotten = MONDAY + (config.burst_days + 1) * 86400
    assert step(track, forgotten, _spike(20), config).state is State.OUTAGE


def test_a_refused_after_shock_counts_as_a_recent_burst():
    config, track = _after_incident(peak=30.0)
    track = step(track, MONDAY + 3600, _spike(100), config)
    # Past the after-shock memory (which refuses anything up to its whole score), within the burst memory.
    later = MONDAY + (config.after_shock_days + 2) * 86400
    assert config.after_shock_days + 2 < config.burst_days
    assert step(track, later, _spike(config.burst_factor * 100), config).state is State.OK
    assert step(track, later, _spike(config.burst_factor * 100 + 1), config).state is State.OUTAGE


def test_a_sustained_rise_opens_however_big_the_recent_bursts():
    config = Config()
    track = _resolved(step(Track(), MONDAY, _spike(100), config), config, MONDAY + 60)
    level = Assessment(score=20, count=300, expected=40, level=State.OUTAGE, window=5, spread=True, sustained=True)
    assert step(track, MONDAY + 3 * 86400, level, config).state is State.OUTAGE


def test_a_sustained_outage_is_not_remembered_so_it_hides_no_later_one():
    config = Config()
    big = Assessment(score=5000, count=9000, expected=40, level=State.OUTAGE, window=180, spread=True)
    track = step(step(Track(), MONDAY, big, config), MONDAY + 60, replace(big, sustained=True), config)
    track = _resolved(track, config, MONDAY + 120)
    assert track.bursts == () and not track.sustained
    assert step(track, MONDAY + 3 * 86400, _spike(20), config).state is State.OUTAGE


def test_a_second_wave_bigger_than_the_last_incident_opens_one():
    config, track = _after_incident(peak=30.0)
    bigger = config.refractory_factor * 30.0 + 1
    wave = Assessment(score=bigger, count=2000, expected=40, level=State.OUTAGE, window=5, spread=True)
    opened = step(track, MONDAY + 3600, wave, config)
    assert opened.state is State.OUTAGE and opened.last_peak == bigger


def test_a_rise_that_shows_over_hours_soon_after_an_incident_is_a_new_one_not_an_after_shock():
    config, track = _after_incident(peak=30.0)
    level = Assessment(score=50, count=300, expected=40, level=State.OUTAGE, window=5, spread=True, sustained=True)
    assert step(track, MONDAY + 3600, level, config).state is State.OUTAGE


def test_a_window_of_hours_that_is_anomalous_marks_the_rise_as_sustained():
    config = Config()
    expected = [40.0] * 180
    burst = assess([40.0] * 175 + [400.0] * 5, expected, config, dispersion=0.3)
    level = assess([40.0] * 60 + [100.0] * 120, expected, config, dispersion=0.01)
    assert burst.level is not State.OK and not burst.sustained
    assert level.level is not State.OK and level.sustained


def test_an_anomaly_long_after_the_last_incident_opens_whatever_its_size():
    config, track = _after_incident(peak=30.0)
    later = MONDAY + config.refractory_minutes * 60
    anomaly = Assessment(score=12, count=120, expected=40, level=State.OUTAGE, window=5, spread=True)
    assert step(track, later, anomaly, config).state is State.OUTAGE


def test_an_incident_remembers_its_peak_score_after_it_resolves():
    config = Config(resolve_after=1)
    track = Track()
    for score, count in ((20, 400), (45, 900), (25, 500)):
        hot = Assessment(score, count, 40, State.OUTAGE, window=5, spread=True, recent_score=score)
        track = step(track, MONDAY, hot, config)
    assert track.state is State.OUTAGE and track.last_peak == 45
    calm = step(track, MONDAY + 60, Assessment(0, 40, 40, State.OK), config)
    assert calm.state is State.OK and calm.last_peak == 45


def test_a_track_survives_its_stored_form():
    detector = _sparse_detector()
    for minute in range(3 * 1440 + 10):
        detector.observe(MONDAY + minute * 60, 1.0 if minute % 97 == 0 else 0.0)
    track = detector.track
    assert len(track.peaks) == 4 and track.bars
    stored = {key: value for key, value in track.to_dict().items()}
    assert all(value is None or isinstance(value, (str, int, float)) for value in stored.values())
    again = Track.from_dict(stored)
    assert again.state is track.state and again.quiet_from == track.quiet_from
    assert [day for day, _ in again.peaks] == [day for day, _ in track.peaks]
    assert again.bars == tuple(round(b, 2) for b in track.bars)
    stored = Track(quiet_from=MONDAY, last_peak=41.5, shocks=((20458, 50.25), (20460, 12.0)),
                   bursts=((20459, 80.5),), sustained=True).to_dict()
    assert isinstance(stored["shocks"], str) and isinstance(stored["bursts"], str)
    again = Track.from_dict(json.loads(json.dumps(stored)))
    assert again.last_peak == 41.5 and again.shocks == ((20458, 50.25), (20460, 12.0))
    assert again.bursts == ((20459, 80.5),) and again.sustained
    as_text = Track.from_dict({key: "" if value is None else str(value) for key, value in stored.items()})
    assert as_text.sustained and not Track.from_dict({**stored, "sustained": "0"}).sustained


def test_a_service_whose_counts_jump_every_day_needs_a_bigger_jump_to_open():
    # Every day at noon a burst of 60 reports over three minutes, in a service of 2 a minute.
    def counts(day_bursts: int, extra_day: float):
        rng = random.Random(4)
        points = []
        for minute in range(6 * 1440):
            ts = MONDAY + minute * 60
            count = float(poisson(rng, 2))
            if minute % 1440 in (720, 721, 722) and minute // 1440 < day_bursts:
                count += 20
            if minute // 1440 == 5 and minute % 1440 in range(720, 723):
                count += extra_day
            points.append((ts, count))
        return points

    history = _hours(MONDAY - 3 * WEEK, MONDAY, lambda h: 120)
    every_day = incidents_from(run(counts(5, 20), 60, Config(), history))
    once = incidents_from(run(counts(0, 20), 60, Config(), history))
    assert [i["start"][:10] for i in once] == ["2026-01-10"]
    assert every_day == [] or all(i["start"][:10] < "2026-01-08" for i in every_day)


def test_incidents_from_a_replay_have_a_backdated_start_an_end_and_a_peak():
    rng = random.Random(6)
    history = _hours(MONDAY - 3 * WEEK, MONDAY, lambda h: poisson(rng, 600))
    points = []
    for minute in range(600):
        ts = MONDAY + minute * 60
        outage = (400 if 300 <= minute < 330 else 0) + (100 if minute == 310 else 0)
        points.append((ts, float(poisson(rng, 10) + outage)))
    found = incidents_from(run(points, 60, Config(), history))
    assert len(found) == 1
    incident = found[0]
    assert incident["start"] == "2026-01-05T05:00:00Z"
    assert incident["state"] == "outage"
    assert incident["peak_at"] == "2026-01-05T05:10:00Z" and incident["peak"] >= 500
    assert "2026-01-05T05:30:00Z" <= incident["end"] <= "2026-01-05T05:45:00Z"


def test_evaluate_looks_at_nothing_before_the_last_incident_ended():
    profile = learn_profile(_hours(MONDAY - 3 * WEEK, MONDAY, lambda h: 600), MONDAY)
    starts = [MONDAY + m * 60 for m in range(180)]
    counts = [400.0] * 60 + [10.0] * 120  # an outage that ended two hours ago, still inside the 3-hour window
    fresh, _ = evaluate(profile, starts, counts, Track(), Config())
    after, _ = evaluate(profile, starts, counts, Track(quiet_from=starts[60]), Config())
    assert fresh.level is not State.OK
    assert after.level is State.OK
