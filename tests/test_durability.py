"""Redis restarts: what a report's 202 promises, measured against a Redis with an append-only file synced
every second, how the web app behaves while Redis is away and when it returns, and how `run` rides one out."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from rq import Queue, Worker

from aggregator.base.settings import Settings
from aggregator.base.stores import SOCKET_TIMEOUT, data_client, queue_client
from aggregator.local_redis import start
from workers import keys
from workers.buckets import read_buckets
from workers.drain import drain

from .helpers import radar_run, web_server

SLUG = "claude"


@dataclass
class Attempt:
    status: int  # 0: no answer at all (connection refused or reset)
    entry_id: str | None
    answered_at: float
    seconds: float
    retry_after: str | None
    n: int = 0


@dataclass
class Poster:
    """Threads posting reports from distinct reporters as fast as the server answers, recording each answer;
    with `comments`, report n says `report n`, so that what was counted can be told apart."""

    base: str
    threads: int = 2
    comments: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _post(self, n: int) -> Attempt:
        report = {"service": SLUG, "surface": "api", **({"comment": f"report {n}"} if self.comments else {})}
        request = urllib.request.Request(
            f"{self.base}/api/v1/reports", data=json.dumps(report).encode(),
            headers={"Content-Type": "application/json", "User-Agent": f"durability-{n}"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body = json.loads(response.read())
                return Attempt(response.status, body["id"], time.time(), time.monotonic() - started, None, n)
        except urllib.error.HTTPError as exc:
            exc.close()
            return Attempt(exc.code, None, time.time(), time.monotonic() - started, exc.headers.get("Retry-After"),
                           n)
        except OSError:
            return Attempt(0, None, time.time(), time.monotonic() - started, None, n)

    def _run(self, worker: int) -> None:
        n = worker
        while not self._stop.is_set():
            attempt = self._post(n)
            with self._lock:
                self.attempts.append(attempt)
            if attempt.status != 202:
                time.sleep(0.02)  # as a client told to come back does: not thousands of refusals a second
            n += self.threads

    def __enter__(self):
        self._workers = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(self.threads)]
        for thread in self._workers:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=90)

    def count(self, status: int) -> int:
        with self._lock:
            return sum(1 for a in self.attempts if a.status == status)

    def wait_for(self, status: int, more: int, timeout: float = 60) -> None:
        """Until `more` further answers with `status` have come in."""
        target = self.count(status) + more
        deadline = time.monotonic() + timeout
        while self.count(status) < target:
            assert time.monotonic() < deadline, f"no {more} more answers {status} in {timeout} s"
            time.sleep(0.05)

    def acknowledged(self) -> list[Attempt]:
        with self._lock:
            return [a for a in self.attempts if a.status == 202]


@pytest.fixture
def persistent(tmp_path_factory):
    """A Redis keeping an append-only file synced every second, as docker-compose.yml runs it."""
    directory = tmp_path_factory.mktemp("aof")
    servers = [start(directory, persist=True)]
    yield directory, servers
    for server in servers:
        server.stop()


def _stored_ids(url: str) -> list[str]:
    with data_client(Settings.from_env(REDIS_URL=url)) as data:
        return [entry_id for entry_id, _ in data.xrange(keys.intake(SLUG))]


def _drain_and_count(url: str, since: float) -> int:
    """Drain the service, then add up its counted reports in the hour buckets since `since`."""
    with data_client(Settings.from_env(REDIS_URL=url)) as data:
        drain(data, SLUG)
        assert data.xlen(keys.intake(SLUG)) == 0
        buckets = read_buckets(data, SLUG, keys.HOUR, keys.HOUR.index(since), keys.HOUR.index(time.time()))
        return sum(b.total for b in buckets)


def test_a_clean_redis_restart_keeps_every_acknowledged_report_exactly_once(persistent, tmp_path):
    directory, servers = persistent
    began = time.time()
    with web_server(servers[0].url, tmp_path, workers=2) as base, Poster(base) as poster:
        poster.wait_for(202, 100)
        servers[0].stop()  # SIGTERM: Redis writes and syncs its append-only file, then exits
        poster.wait_for(503, 5)
        servers.append(start(directory, persist=True))
        poster.wait_for(202, 100)
    acknowledged = {a.entry_id for a in poster.acknowledged()}
    refused = [a for a in poster.attempts if a.status != 202]
    stored = _stored_ids(servers[-1].url)

    assert {a.status for a in refused} == {503}
    assert {a.retry_after for a in refused} == {"5"}
    assert len(stored) == len(set(stored))
    assert acknowledged <= set(stored)
    unacknowledged = len(stored) - len(acknowledged)
    print(f"\nclean restart: {len(acknowledged)} acknowledged, all kept; {len(refused)} refused with 503 while "
          f"Redis was down; {unacknowledged} stored without an acknowledgement")
    # A report written just before the shutdown whose answer was lost is kept, never doubled: at most one
    # per refused request.
    assert unacknowledged <= len(refused)
    assert _drain_and_count(servers[-1].url, began) == len(stored)


def test_a_killed_redis_loses_at_most_the_last_second_or_so_of_acknowledged_reports(persistent, tmp_path):
    directory, servers = persistent
    with web_server(servers[0].url, tmp_path, workers=2) as base, Poster(base) as poster:
        poster.wait_for(202, 300)
        killed_at = time.time()
        servers[0].process.send_signal(signal.SIGKILL)
        servers[0].process.wait()
        poster.wait_for(503, 5)
        servers.append(start(directory, persist=True))
        poster.wait_for(202, 20)
    before_kill = [a for a in poster.acknowledged() if a.answered_at <= killed_at]
    stored = set(_stored_ids(servers[-1].url))
    lost = [a for a in before_kill if a.entry_id not in stored]
    window = max((killed_at - a.answered_at for a in lost), default=0.0)
    print(f"\nSIGKILL: {len(before_kill)} acknowledged before the kill, {len(lost)} lost, "
          f"the oldest lost one acknowledged {window:.2f} s before the kill")
    # appendfsync everysec promises about one second; Redis allows itself up to two when the disk is slow.
    assert window <= 3.0
    assert len(before_kill) >= 300


def test_a_stalled_redis_gets_503_with_retry_after_in_bounded_time_and_recovers_by_itself(persistent, tmp_path):
    _, servers = persistent
    redis_process = servers[0].process
    with web_server(servers[0].url, tmp_path, workers=1, RADAR_REPORT_RATE_LIMIT="1000/minute") as base:
        poster = Poster(base, threads=1)
        assert poster._post(0).status == 202
        os.kill(redis_process.pid, signal.SIGSTOP)
        try:
            stalled = poster._post(1)
        finally:
            os.kill(redis_process.pid, signal.SIGCONT)
        print(f"\nstalled Redis: 503 after {stalled.seconds:.1f} s (socket timeout {SOCKET_TIMEOUT} s)")
        assert stalled.status == 503 and stalled.retry_after == "5"
        # One socket timeout, with room for a slow machine; redis-py's default retries would take a minute.
        assert stalled.seconds < 3 * SOCKET_TIMEOUT
        assert [poster._post(n).status for n in (2, 3, 4)] == [202, 202, 202]


def test_reports_are_accepted_again_as_soon_as_a_stopped_redis_returns(persistent, tmp_path):
    directory, servers = persistent
    with web_server(servers[0].url, tmp_path, workers=1) as base:
        poster = Poster(base, threads=1)
        assert poster._post(0).status == 202
        servers[0].stop()
        down = poster._post(1)
        assert (down.status, down.retry_after) == (503, "5")
        servers.append(start(directory, persist=True))
        assert [poster._post(n).status for n in (2, 3)] == [202, 202]


def _until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.1)


def test_a_worker_busy_when_redis_stops_waits_for_it_and_goes_on_with_its_scheduler_of_delayed_jobs(
        persistent, tmp_path):
    directory, servers = persistent
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "aggregator", "worker"],
                                  env=dict(os.environ, REDIS_URL=servers[0].url, RADAR_LOG_FORMAT="json"),
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        connection = queue_client(Settings.from_env(REDIS_URL=servers[0].url))
        queue = Queue(keys.QUEUE, connection=connection)
        _until(lambda: worker.pid in {w.pid for w in Worker.all(connection=connection)}, "the worker registered")
        busy = queue.enqueue("time.sleep", 2)
        _until(lambda: busy.get_status() == "started", "the job started")
        servers[0].stop()
        time.sleep(3)  # the job ends meanwhile, with no Redis to say so to
        servers.append(start(directory, persist=True))
        # Delayed: it waits for the worker's RQ scheduler, which must have come back too.
        later = queue.enqueue_in(timedelta(seconds=1), "time.sleep", 0)
        _until(lambda: later.get_status() == "finished", "the delayed job done")
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=30)
    output = log_path.read_text()
    assert code == 0, output
    assert output.count("worker lost its connection to Redis") == 1, output
    assert output.count("worker reconnected to Redis after") == 1, output
    assert "Traceback" not in output


def _counted_comments(url: str) -> list[str]:
    """The comments of the counted reports: the drain stores one for each report it counts."""
    with data_client(Settings.from_env(REDIS_URL=url)) as data:
        return [fields["text"] for _, fields in data.xrange(keys.comments(SLUG))]


def _wait_until_drained(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with data_client(Settings.from_env(REDIS_URL=url)) as data:
        while data.xlen(keys.intake(SLUG)):
            assert time.monotonic() < deadline, f"reports still waiting to be counted after {timeout:.0f} s"
            time.sleep(0.2)


def _summary_total(base: str) -> int:
    with urllib.request.urlopen(f"{base}/api/v1/services/{SLUG}/summary?window=1h", timeout=10) as response:
        return json.loads(response.read())["total"]


def test_run_rides_out_a_redis_restart_and_counts_every_acknowledged_report_exactly_once(persistent, tmp_path):
    directory, servers = persistent
    # A drain cut off by the stop leaves its reports pending; they are taken over after 2 s instead of 30.
    with radar_run(tmp_path, REDIS_URL=servers[0].url, RADAR_CLAIM_IDLE_SECONDS="2") as radar:
        parts = radar.parts()
        assert set(parts) == {"web", "worker", "scheduler"}
        with Poster(radar.base, comments=True) as poster:
            poster.wait_for(202, 50)
            servers[0].stop()
            stopped = time.monotonic()
            poster.wait_for(503, 5)
            # Away for longer than the scheduler's 5 s between drains, so that it too finds Redis gone.
            time.sleep(max(0.0, stopped + 6 - time.monotonic()))
            servers.append(start(directory, persist=True))
            poster.wait_for(202, 50)
        _wait_until_drained(servers[-1].url)
        counted = _counted_comments(servers[-1].url)
        total = _summary_total(radar.base)
        assert radar.process.poll() is None
        assert radar.parts() == parts  # the same processes: none of them stopped
        code = radar.stop()

    acknowledged = {f"report {a.n}" for a in poster.attempts if a.status == 202}
    refused = [a for a in poster.attempts if a.status != 202]
    print(f"\nrun through a Redis restart: {len(acknowledged)} reports acknowledged, {len(refused)} refused while "
          f"Redis was away, {len(counted)} counted")
    assert {a.status for a in refused} == {503}  # never a connection refused: the web app stayed up
    assert {a.retry_after for a in refused} == {"5"}
    assert len(counted) == len(set(counted)) == total  # each counted once, and the charts say so
    assert acknowledged <= set(counted)
    # A report written just as Redis stopped may be counted although its answer was a 503.
    assert set(counted) - acknowledged <= {f"report {a.n}" for a in refused}
    output = radar.output()
    assert code == 0, output
    for part in ("worker", "scheduler"):
        assert output.count(f"{part} lost its connection to Redis") == 1, output
        assert output.count(f"{part} reconnected to Redis after") == 1, output
    assert "Traceback" not in output and "starting it again" not in output
