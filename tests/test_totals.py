from workers import keys
from workers.totals import cover, last_hour, last_hour_spans

from .helpers import NOW, post


def _minutes(spans):
    return [minute for res, first, last in spans for index in range(first, last + 1)
            for minute in range(index * res.seconds // 60, (index + 1) * res.seconds // 60)]


def test_cover_holds_exactly_the_minutes_asked_for():
    for first, last in [(0, 59), (7, 131), (14, 16), (60, 60), (1439, 1500)]:
        assert sorted(_minutes(cover(keys.MINUTE, first, last))) == list(range(first, last + 1))


def test_cover_uses_coarser_buckets_where_whole_ones_fit():
    spans = cover(keys.MINUTE, 1, 120)
    assert (keys.HOUR, 1, 1) in spans
    assert len(_minutes(spans)) == 120 and len(spans) == 4


def test_last_hour_is_the_sixty_minutes_ending_with_the_current_one_and_nothing_before():
    for now in (NOW, NOW + 7 * 60, NOW + 59 * 60 + 59):
        minute = keys.MINUTE.index(now)
        held = _minutes(last_hour_spans(now))
        assert set(range(minute - 59, minute + 1)) <= set(held)
        assert min(held) == minute - 59 and len(held) == len(set(held))
        assert max(held) < (keys.HOUR.index(now) + 1) * 60


def test_a_report_in_the_current_minute_counts_in_the_last_hour_read_through_the_hour_bucket(client, data, run_jobs):
    post(client, {"service": "claude", "surface": "website"}, ua="first")
    run_jobs()
    assert any(res is keys.HOUR for res, _, _ in last_hour_spans(NOW))
    assert last_hour(data, "claude", NOW) == 1


def test_a_report_waiting_in_the_stream_counts_once_in_the_last_hour(client, data, run_jobs):
    post(client, {"service": "claude", "surface": "website"}, ua="first")
    run_jobs()
    waiting = post(client, {"service": "claude", "surface": "api"}, ua="second").get_json()
    assert waiting["reports_last_hour"] == 2
    assert last_hour(data, "claude", NOW, waiting["id"]) == 2
    assert last_hour(data, "claude", NOW) == 1
    run_jobs()
    assert last_hour(data, "claude", NOW, waiting["id"]) == 2


def test_a_deduplicated_report_does_not_add_to_the_last_hour(client, run_jobs):
    post(client, {"service": "claude", "surface": "website"}, ua="same")
    run_jobs()
    again = post(client, {"service": "claude", "surface": "website"}, ua="same").get_json()
    assert again["counted"] is False and again["reports_last_hour"] == 1
