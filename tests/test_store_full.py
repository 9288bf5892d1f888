"""A Redis at its maxmemory refuses writes instead of evicting data; reports then get a clear 503 and nothing is
stored half-way."""
import pytest
import redis

from aggregator import create_app
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client
from aggregator.local_redis import start

from .helpers import RELAY_KEY, SECRET, UNLIMITED, api_error, form_post, post, relay_report, send_batch


def _limits(client) -> tuple[int, str]:
    config = client.config_get("maxmemory*")
    return int(config["maxmemory"]), config["maxmemory-policy"]


def test_the_embedded_redis_starts_with_a_memory_limit_and_evicts_nothing(redis_server, data):
    assert _limits(data) == (Settings.from_env(environ={}).RADAR_REDIS_MAXMEMORY, "noeviction")
    assert Settings.from_env(environ={}).RADAR_REDIS_MAXMEMORY == 2**30


def test_the_embedded_redis_takes_the_limit_it_is_given_also_when_it_is_running_already(tmp_path):
    server = start(tmp_path, persist=False, maxmemory="64mb")
    try:
        with data_client(Settings.from_env(environ={}, REDIS_URL=server.url)) as client:
            assert _limits(client) == (64 * 2**20, "noeviction")
            start(tmp_path, persist=False, maxmemory=100 * 2**20)
            assert _limits(client) == (100 * 2**20, "noeviction")
    finally:
        server.stop()


@pytest.fixture
def full(tmp_path):
    """An app on its own Redis, and that Redis's client; the test makes it full with `_fill`."""
    server = start(tmp_path, persist=False)
    app = create_app({**SECRET, **UNLIMITED, "REDIS_URL": server.url, "RADAR_RELAY_KEYS": RELAY_KEY})
    client = data_client(Settings.from_env(environ={}, REDIS_URL=server.url))
    yield app.test_client(), client
    client.close()
    server.stop()


def _stored(client) -> dict:
    return {key: client.type(key) for key in client.scan_iter()}


def _fill(client) -> None:
    client.config_set("maxmemory", 1)


def _empty(client) -> None:
    client.config_set("maxmemory", 0)


def test_a_report_to_a_full_store_gets_503_store_full_and_stores_nothing(full):
    web, client = full
    before = _stored(client)
    _fill(client)
    try:
        response = post(web, {"service": "claude", "surface": "api", "symptom": "errors", "comment": "down"})
    finally:
        _empty(client)
    error = api_error(response, 503)
    assert error["code"] == "store_full"
    assert "full" in error["message"] and "nothing was stored" in error["message"]
    assert response.headers["Retry-After"] == "60"
    assert _stored(client) == before


def test_a_relay_batch_to_a_full_store_gets_503_store_full_and_stores_nothing(full):
    web, client = full
    before = _stored(client)
    _fill(client)
    try:
        response = send_batch(web, [relay_report(n) for n in range(20)])
    finally:
        _empty(client)
    assert api_error(response, 503)["code"] == "store_full"
    assert _stored(client) == before


def test_a_form_sent_to_a_full_store_gets_a_page_that_says_so(full):
    web, client = full
    _fill(client)
    try:
        response = form_post(web, {"service": "claude", "surface": "website"})
    finally:
        _empty(client)
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "the data store is full" in response.get_data(as_text=True)


def test_a_report_is_taken_again_once_the_store_has_room(full):
    web, client = full
    _fill(client)
    try:
        assert post(web, {"service": "claude", "surface": "api"}).status_code == 503
    finally:
        _empty(client)
    assert post(web, {"service": "claude", "surface": "api"}).status_code == 202


def test_a_full_store_refuses_a_write_outright_rather_than_evicting(full):
    _, client = full
    client.set("kept", "1")
    _fill(client)
    try:
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            client.set("new", "1")
    finally:
        _empty(client)
    assert client.get("kept") == "1"
