"""Long summary windows read whole past days as one sum each: the same answer as their hours, far fewer keys."""
from __future__ import annotations

import pytest

from aggregator import ranges
from workers import keys
from workers.buckets import read_buckets
from workers.daysums import DAY, HOURS, SETTLE_SECONDS, spans
from workers.demo import seed
from workers.summary import summarize

from .helpers import CLAUDE, NOW, iso

WINDOW = 119 * DAY
LAST_HOUR = keys.HOUR.index(NOW)


def hour_fields(hour: int) -> dict[str, int]:
    """An hour's counts, different from hour to hour, with no two countries ever tied over a long window."""
    fields = {"total": 20, "deduped": hour % 4, "s:website": 12, "s:api": 8 - hour % 2, "y:errors": hour % 5,
              "c:US": 9, "c:GB": 4, "c:DE": 2, "cs:US:website": 9, "r:US-CA": 3}
    if hour % 2:
        fields["c:FR"] = 1
    if hour % 3 == 0:
        fields["c:JP"] = 1
    return fields


@pytest.fixture
def months(data):
    """Hour buckets of claude over the 119 days before NOW, the current hour included."""
    with data.pipeline(transaction=False) as pipe:
        for hour in range(LAST_HOUR - 119 * HOURS - 1, LAST_HOUR + 1):
            pipe.hset(keys.bucket("claude", keys.HOUR, hour), mapping=hour_fields(hour))
        pipe.execute()
    return data


def summary_of(client, window):
    answer = client.get(f"/api/v1/services/claude/summary?window={window}").get_json()
    return {name: value for name, value in answer.items() if name not in ("service", "window")}


def summary_from_hours(data, window_seconds):
    span = ranges.window_range(window_seconds, NOW)
    buckets = read_buckets(data, "claude", span.resolution, span.first, span.last)
    return {"resolution": span.resolution.name, "from": iso(span.start), "to": iso(span.end), **summarize(buckets)}


def test_a_long_window_gives_the_answer_its_hour_buckets_give(client, months):
    expected = summary_from_hours(months, WINDOW)
    assert expected["resolution"] == "1h" and expected["total"] > 50_000
    assert summary_of(client, "119d") == expected
    # Again, now from the day sums the first read kept.
    assert summary_of(client, "119d") == expected


def test_a_long_window_reads_whole_past_days_as_one_key_each(client, months):
    span = ranges.window_range(WINDOW, NOW)
    days, rest = spans(span.resolution, span.first, span.last, NOW)
    read = len(days) + sum(last - first + 1 for _, first, last in rest)
    assert span.last - span.first + 1 > 2800
    assert len(days) >= 117 and read < 170
    client.get("/api/v1/services/claude/summary?window=119d")
    kept = [months.ttl(keys.day_sums("claude", day)) for day in days]
    assert all(0 < ttl <= DAY for ttl in kept)


def test_a_kept_days_sums_answer_for_its_hours(client, months):
    before = summary_of(client, "30d")["total"]
    day = int(NOW // DAY) - 10
    months.hincrby(keys.bucket("claude", keys.HOUR, day * HOURS + 5), "total", 1000)
    assert summary_of(client, "30d")["total"] == before
    months.delete(keys.day_sums("claude", day))
    assert summary_of(client, "30d")["total"] == before + 1000


def test_today_and_a_day_just_ended_are_read_from_their_buckets():
    midnight = (NOW // DAY) * DAY
    hours = (keys.HOUR, keys.HOUR.index(midnight - 3 * DAY), keys.HOUR.index(midnight + 3600))
    assert spans(*hours, midnight + SETTLE_SECONDS - 1)[0][-1] == midnight // DAY - 2
    assert spans(*hours, midnight + SETTLE_SECONDS)[0][-1] == midnight // DAY - 1


def test_a_day_is_not_kept_while_a_report_of_it_still_waits_to_be_counted(client, months):
    waiting_since = int(NOW // DAY) - 3  # a drain that fell behind at one in the morning three days ago
    months.xadd(keys.intake("claude"), {"ts": "0", "surface": "api", "region": "unknown", "counted": "1"},
                id=f"{(waiting_since * DAY + 3600) * 1000}-0")
    client.get("/api/v1/services/claude/summary?window=30d")
    kept = {day for day in range(waiting_since - 20, waiting_since + 3) if months.exists(keys.day_sums("claude", day))}
    assert kept == set(range(waiting_since - 20, waiting_since))


def test_demo_reports_written_into_past_days_drop_the_sums_kept_for_them(data):
    yesterday = int(NOW // DAY) - 1
    data.hset(keys.day_sums("claude", yesterday), mapping={"_": 1, "total": 0})
    seed(data, [CLAUDE], NOW)
    assert not data.exists(keys.day_sums("claude", yesterday))
