"""`run` keeps its parts going: one that dies is started again after a delay that grows, what it left behind is
stopped, and one that keeps dying makes `run` stop everything and say why."""
from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

from rq import Worker
from rq.cron import CronScheduler

from aggregator.base.settings import Settings
from aggregator.base.stores import queue_client
from aggregator.local_redis import attach
from aggregator.supervise import GIVE_UP_AFTER

from .helpers import radar_run


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    """True while the process runs; one that has ended and waits to be reaped counts as gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _until(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.1)
    return result


def _started_again(radar, name: str, old: int) -> int:
    def new_pid():
        pid = radar.parts().get(name)
        return pid if pid != old else None
    return _until(new_pid, f"{name} started again")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _post_report(base: str) -> int:
    request = urllib.request.Request(f"{base}/api/v1/reports", method="POST",
                                     data=json.dumps({"service": "claude", "surface": "api"}).encode(),
                                     headers={"Content-Type": "application/json", "User-Agent": "after-the-kills"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def _counted(base: str) -> int:
    with urllib.request.urlopen(f"{base}/api/v1/services/claude/summary?window=1h", timeout=10) as response:
        return json.loads(response.read())["total"]


def test_run_starts_again_a_part_killed_with_sigkill_stops_what_it_left_and_stays_up(tmp_path):
    with radar_run(tmp_path) as radar:
        queue = queue_client(Settings.from_env(REDIS_URL=attach(tmp_path / "var").url))
        for name in ("web", "worker", "scheduler"):
            old = radar.parts()[name]
            left = _children(old)  # gunicorn's workers; the RQ scheduler of delayed jobs, the worker's child
            os.kill(old, signal.SIGKILL)
            radar.wait_for_output(f"{name} stopped (killed by SIGKILL); starting it again in 1 s")
            _started_again(radar, name, old)
            _until(lambda: not any(_alive(pid) for pid in left), f"what the killed {name} left stopped")
        parts = radar.parts()
        _until(lambda: _answers(f"{radar.base}/healthz"), "the web app answering")
        _until(lambda: parts["worker"] in {w.pid for w in Worker.all(connection=queue)}, "the worker registered")
        _until(lambda: parts["scheduler"] in {s.pid for s in CronScheduler.all(queue)}, "the scheduler registered")
        assert _post_report(radar.base) == 202
        _until(lambda: _counted(radar.base) == 1, "the report counted")
        assert radar.process.poll() is None and radar.parts() == parts
        code = radar.stop()
    output = radar.output()
    assert code == 0, output
    assert "giving up" not in output and "Traceback" not in output


def test_run_gives_up_on_a_part_that_keeps_dying_and_stops_everything(tmp_path):
    with radar_run(tmp_path) as radar:
        pid = radar.parts()["scheduler"]
        for stop in range(1, GIVE_UP_AFTER + 1):
            os.kill(pid, signal.SIGKILL)
            if stop < GIVE_UP_AFTER:
                pid = _started_again(radar, "scheduler", pid)
        code = radar.process.wait(timeout=60)
    output = radar.output()
    assert code == 1, output
    delays = [line.rsplit(" in ", 1)[1] for line in output.splitlines() if "starting it again in" in line]
    assert delays == ["1 s", "2 s", "4 s", "8 s"]
    assert (f"scheduler stopped {GIVE_UP_AFTER} times within 60 s (killed by SIGKILL the last time); "
            "giving up and stopping everything") in output
    # Everything stopped: the web app no longer answers, and the embedded Redis is gone.
    assert not _answers(f"{radar.base}/healthz")
    assert not (tmp_path / "var" / "redis.sock").exists()
