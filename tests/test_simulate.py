"""`simulate` against the production web server and a worker: slow rates over kept-alive connections, and
an end figure that counts exactly the simulation's reports."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from aggregator.local_redis import start
from aggregator.simulate import Mix, run_simulation

from .helpers import web_server

KEEP_ALIVE = 1
"""Seconds the test server keeps an idle connection open (gunicorn's --keep-alive; its default is 2)."""


@pytest.fixture(scope="module")
def radar(tmp_path_factory):
    """A web server that closes idle connections after KEEP_ALIVE seconds, and a worker counting reports."""
    directory = tmp_path_factory.mktemp("simulate")
    redis = start(directory / "redis", persist=False)
    env = dict(os.environ, REDIS_URL=redis.url)
    env.pop("REDIS_DATA_URL", None)
    with open(directory / "worker.log", "w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "aggregator", "worker"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        with web_server(redis.url, directory, GUNICORN_CMD_ARGS=f"--keep-alive {KEEP_ALIVE}") as base:
            yield base
    finally:
        worker.terminate()
        worker.wait(timeout=15)
        redis.stop()


def simulate(base: str, service: str, count: int, rate: float, concurrency: int = 1):
    lines = []
    result = run_simulation(base, service, count, rate, Mix.parse("website=1", "surfaces"),
                            Mix.parse("US=1", "regions"), concurrency, echo=lines.append, seed=7)
    return result, lines


def test_reports_slower_than_the_servers_keep_alive_are_all_delivered(radar):
    # Each report waits longer than the server keeps the connection of the one before open.
    result, lines = simulate(radar, "claude", count=3, rate=1 / (KEEP_ALIVE + 0.6))
    assert (result.sent, result.failed, result.counted) == (3, 0, 3), lines
    assert result.resent >= 1, "the server kept the idle connection open: this test proved nothing"


def test_the_end_figure_is_the_number_of_counted_reports_sent(radar):
    # Reports the service already counted, in this very minute too, are not the simulation's.
    for n in range(5):
        request = urllib.request.Request(f"{radar}/api/v1/reports", method="POST",
                                         data=json.dumps({"service": "github", "surface": "api"}).encode(),
                                         headers={"Content-Type": "application/json", "User-Agent": f"earlier-{n}"})
        urllib.request.urlopen(request, timeout=10).close()
    deadline = time.monotonic() + 30
    while _counted_last_hour(radar) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    result, lines = simulate(radar, "github", count=40, rate=400, concurrency=4)
    assert result.counted == 40 and result.failed == 0
    assert result.shown == result.counted, lines
    assert lines[-1].startswith("the service's count for the minutes since the simulation began rose by 40: "
                                "all 40 counted reports it sent, "), lines


def _counted_last_hour(base: str) -> int:
    with urllib.request.urlopen(f"{base}/api/v1/services/github/summary?window=1h", timeout=10) as response:
        return json.loads(response.read())["total"]
