"""Exactly-once bucketing: nothing lost, nothing counted twice, whatever happens to a drain."""
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict

from rq import Queue

from aggregator.base.catalog import load_catalog
from aggregator.base.stores import queue_client
from aggregator.intake import ReportIn, submit
from workers import keys
from workers.buckets import UNKNOWN, Entry, entry_fields, tally
from workers.drain import apply_batch, drain, ensure_group, release

from .helpers import NOW


def _fill(data, count, slug="claude", first=0):
    """Put `count` counted reports from distinct reporters into the intake stream; how many asked for a drain."""
    service = load_catalog(os.path.join("aggregator", "services.toml")).get(slug)
    report = ReportIn(service, "website", "errors")
    return sum(submit(data, report, f"reporter-{n}", "GB-ENG", NOW, 900).needs_drain
               for n in range(first, first + count))


def _total(data, slug="claude"):
    return int(data.hget(keys.bucket(slug, keys.HOUR, keys.HOUR.index(NOW)), "total") or 0)


def _read_as(data, consumer, count, slug="claude"):
    ensure_group(data, slug)
    return data.xreadgroup(keys.GROUP, consumer, {keys.intake(slug): ">"}, count=count)[0][1]


def test_a_batch_read_by_a_drain_that_died_is_counted_once_by_the_next(data):
    _fill(data, 50)
    _read_as(data, "died-mid-batch", 20)
    time.sleep(0.02)
    result = drain(data, "claude", batch_size=15, claim_idle_seconds=0.01)
    assert result.entries == 50
    assert _total(data) == 50
    assert data.xpending(keys.intake("claude"), keys.GROUP)["pending"] == 0
    assert data.xlen(keys.intake("claude")) == 0


def test_a_slow_drain_whose_batch_was_taken_over_counts_none_of_it(data):
    _fill(data, 10)
    slow = _read_as(data, "slow", 10)
    time.sleep(0.02)
    assert drain(data, "claude", claim_idle_seconds=0.01).entries == 10
    assert apply_batch(data, "claude", slow, "slow") == 0
    assert _total(data) == 10


def test_a_slow_drain_counts_only_the_part_of_its_batch_it_still_owns(data):
    _fill(data, 10)
    slow = _read_as(data, "slow", 10)
    taken = [entry_id for entry_id, _ in slow[:4]]
    data.xclaim(keys.intake("claude"), keys.GROUP, "other", 0, taken)
    assert apply_batch(data, "claude", slow, "slow") == 6
    assert apply_batch(data, "claude", slow[:4], "other") == 4
    assert _total(data) == 10


def test_entries_trimmed_from_the_stream_are_acknowledged_without_counting(data):
    _fill(data, 5)
    batch = _read_as(data, "trimmed", 5)
    data.xdel(keys.intake("claude"), batch[0][0])
    time.sleep(0.02)
    assert drain(data, "claude", claim_idle_seconds=0.01).entries == 4
    assert data.xpending(keys.intake("claude"), keys.GROUP)["pending"] == 0


def test_a_worker_killed_while_draining_10000_reports_leaves_exact_totals(app, data, redis_server):
    _fill(data, 10_000)
    env = dict(os.environ, REDIS_URL=redis_server.url, RADAR_DRAIN_BATCH="50")
    worker = subprocess.Popen([sys.executable, "-m", "aggregator", "worker"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        Queue(keys.QUEUE, connection=queue_client(app.extensions["radar"].settings)).enqueue(
            "workers.jobs.drain_service", "claude")
        deadline = time.monotonic() + 60
        while _total(data) == 0 and time.monotonic() < deadline:
            time.sleep(0.002)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    at_kill = _total(data)
    assert 0 < at_kill < 10_000, "the worker should have been killed part way through"
    time.sleep(0.05)
    drain(data, "claude", claim_idle_seconds=0.01)
    assert _total(data) == 10_000
    assert data.hget(keys.bucket("claude", keys.MINUTE, keys.MINUTE.index(NOW)), "s:website") == "10000"
    assert data.xpending(keys.intake("claude"), keys.GROUP)["pending"] == 0


def test_an_entry_that_is_not_a_report_is_dropped_without_blocking_the_stream(data):
    _fill(data, 3)
    for junk in ({"junk": "1"}, {"ts": "inf", "surface": "api"}, {"ts": "nan", "surface": "api"},
                 {"ts": "1", "surface": ""}):
        data.xadd(keys.intake("claude"), junk)
    _fill(data, 2, first=3)
    assert drain(data, "claude").entries == 5
    assert _total(data) == 5
    assert data.xlen(keys.intake("claude")) == 0


def test_a_finished_drain_leaves_no_consumer_behind(data):
    _fill(data, 30)
    for _ in range(3):
        drain(data, "claude", batch_size=7)
    assert data.xinfo_consumers(keys.intake("claude"), keys.GROUP) == []


def test_a_consumer_that_still_holds_entries_is_never_forgotten(data, monkeypatch):
    import workers.drain as drain_module

    _fill(data, 5)
    _read_as(data, "killed", 5)
    monkeypatch.setattr(drain_module, "IDLE_CONSUMER_MS", 0)
    time.sleep(0.01)
    drain(data, "claude", claim_idle_seconds=3600)
    (consumer,) = data.xinfo_consumers(keys.intake("claude"), keys.GROUP)
    assert consumer["name"] == "killed" and consumer["pending"] == 5


def test_reports_arriving_while_a_drain_runs_are_counted_by_it_without_another_job(data):
    assert _fill(data, 5) == 1
    running = threading.Thread(target=drain, args=(data, "claude"), kwargs={"gather_seconds": 0.5})
    running.start()
    time.sleep(0.2)  # the drain counted the first five and waits for more
    assert _fill(data, 5, first=5) == 0
    running.join()
    assert _total(data) == 10
    assert data.xlen(keys.intake("claude")) == 0
    assert _fill(data, 1, first=10) == 1


def test_the_queued_flag_is_kept_while_reports_wait_to_be_read(data):
    _fill(data, 3)
    ensure_group(data, "claude")
    data.xreadgroup(keys.GROUP, "other", {keys.intake("claude"): ">"}, count=1)
    assert not release(data, "claude")
    assert data.exists(keys.drain_pending("claude"))
    data.xreadgroup(keys.GROUP, "other", {keys.intake("claude"): ">"}, count=2)
    assert release(data, "claude"), "entries pending on another drain are that drain's to count"
    assert not data.exists(keys.drain_pending("claude"))


def test_a_drain_out_of_time_lets_the_flag_go_so_the_next_report_enqueues_one(data):
    _fill(data, 3)
    assert drain(data, "claude", max_seconds=0).entries == 0
    assert _fill(data, 1, first=3) == 1


def _comment_at(data, when: float, text: str) -> None:
    service = load_catalog(os.path.join("aggregator", "services.toml")).get("claude")
    submit(data, ReportIn(service, "website", comment=text), f"reporter-{text}", "GB-ENG", when, 900)


def test_comments_are_stored_with_their_minute_in_both_their_time_and_their_entry_id(data):
    minute = NOW // 60 * 60
    for when, text in [(minute + 7.25, "a"), (minute + 59.9, "b"), (minute + 61.5, "c")]:
        _comment_at(data, when, text)
    drain(data, "claude")
    stored = data.xrange(keys.comments("claude"))
    assert [(fields["text"], fields["ts"]) for _, fields in stored] == [
        ("a", str(int(minute))), ("b", str(int(minute))), ("c", str(int(minute + 60)))]
    assert [entry_id for entry_id, _ in stored] == [
        f"{int(minute) * 1000}-0", f"{int(minute) * 1000}-1", f"{int(minute + 60) * 1000}-0"]


def test_a_comment_of_an_earlier_minute_drained_late_follows_the_newest_entry_id(data):
    minute = NOW // 60 * 60
    _comment_at(data, minute + 70, "newer")
    drain(data, "claude")
    # An id of Redis's choosing, as streams written before comments had minute ids hold.
    data.xadd(keys.comments("claude"), {"ts": "0", "surface": "api", "region": "unknown", "text": "old"},
              id=f"{int(minute) * 1000 + 60_001}-5")
    data.xdel(keys.comments("claude"), f"{int(minute) * 1000 + 60_001}-5")
    _comment_at(data, minute + 3, "older")
    assert drain(data, "claude").entries == 1
    (entry_id, fields), = data.xrange(keys.comments("claude"), min=f"{int(minute) * 1000 + 60_001}-6")
    assert (entry_id, fields["text"], fields["ts"]) == (f"{int(minute) * 1000 + 60_001}-6", "older", str(int(minute)))


def test_a_batch_whose_script_is_sent_again_is_counted_once(data):
    _fill(data, 5)
    batch = _read_as(data, "resent", 5)
    assert apply_batch(data, "claude", batch, "resent") == 5
    assert apply_batch(data, "claude", batch, "resent") == 0
    assert _total(data) == 5


def test_counted_entries_leave_the_stream_while_older_ones_another_drain_holds_stay(data):
    _fill(data, 10)
    older = _read_as(data, "older", 4)
    newer = _read_as(data, "newer", 6)
    assert apply_batch(data, "claude", newer, "newer") == 6
    assert [entry_id for entry_id, _ in data.xrange(keys.intake("claude"))] == [entry_id for entry_id, _ in older]
    assert apply_batch(data, "claude", older, "older") == 4
    assert data.xlen(keys.intake("claude")) == 0
    assert _total(data) == 10


def test_entries_no_drain_has_read_stay_in_the_stream_when_a_batch_is_counted(data):
    _fill(data, 10)
    assert apply_batch(data, "claude", _read_as(data, "first", 4), "first") == 4
    assert data.xlen(keys.intake("claude")) == 6
    assert drain(data, "claude").entries == 6
    assert _total(data) == 10


def test_a_comment_is_kept_when_its_batch_holds_an_entry_that_is_not_a_report(data):
    data.xadd(keys.intake("claude"), {"junk": "1"})
    _comment_at(data, NOW, "still here")
    assert drain(data, "claude").entries == 1
    assert [fields["text"] for _, fields in data.xrange(keys.comments("claude"))] == ["still here"]


def test_a_batch_added_up_by_key_makes_the_increments_of_each_report_added_to_each_bucket():
    hour = NOW // 3600 * 3600
    entries = [Entry(ts=hour - 61 + n * 7.5, surface=("website", "api")[n % 2], symptom=("", "slow")[n % 3 == 0],
                     region=("GB-ENG", "US", UNKNOWN)[n % 3], counted=n % 5 != 0,
                     origin=("api", "site", "widget:example.org")[n % 3]) for n in range(40)]
    expected, expire_at = defaultdict(Counter), {}
    for entry in entries:
        for resolution in keys.RESOLUTIONS.values():
            key = keys.bucket("claude", resolution, resolution.index(entry.ts))
            expected[key].update(entry_fields(entry))
            expire_at[key] = resolution.expire_at(resolution.index(entry.ts))
    added = tally("claude", entries)
    assert dict(added.increments) == dict(expected)
    assert added.expire_at == expire_at
