"""A Redis at its maxmemory refuses writes instead of evicting data; reports then get a clear 503 and nothing is
stored half-way."""
import pytest
import redis

from aggregator import create_app
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client
from aggregator.local_redis import start
from workers import keys
from workers.drain import drain, ensure_group

from .helpers import RELAY_KEY, SECRET, UNLIMITED, api_error, form_post, post, relay_report, send_batch, store_full


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
    """An app on its own Redis, and that Redis's client."""
    server = start(tmp_path, persist=False)
    app = create_app({**SECRET, **UNLIMITED, "REDIS_URL": server.url, "RADAR_RELAY_KEYS": RELAY_KEY})
    client = data_client(Settings.from_env(environ={}, REDIS_URL=server.url))
    yield app.test_client(), client
    client.close()
    server.stop()


def _stored(client) -> dict:
    return {key: client.type(key) for key in client.scan_iter()}


def test_a_report_to_a_full_store_gets_503_store_full_and_stores_nothing(full):
    web, client = full
    before = _stored(client)
    with store_full(client):
        response = post(web, {"service": "claude", "surface": "api", "symptom": "errors", "comment": "down"})
    error = api_error(response, 503)
    assert error["code"] == "store_full"
    assert "full" in error["message"] and "nothing was stored" in error["message"]
    assert response.headers["Retry-After"] == "60"
    assert _stored(client) == before


def test_a_relay_batch_to_a_full_store_gets_503_store_full_and_stores_nothing(full):
    web, client = full
    before = _stored(client)
    with store_full(client):
        response = send_batch(web, [relay_report(n) for n in range(20)])
    assert api_error(response, 503)["code"] == "store_full"
    assert _stored(client) == before


def test_a_form_sent_to_a_full_store_gets_a_page_that_says_so(full):
    web, client = full
    with store_full(client):
        response = form_post(web, {"service": "claude", "surface": "website"})
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "the data store is full" in response.get_data(as_text=True)


def test_a_report_is_taken_again_once_the_store_has_room(full):
    web, client = full
    with store_full(client):
        assert post(web, {"service": "claude", "surface": "api"}).status_code == 503
    assert post(web, {"service": "claude", "surface": "api"}).status_code == 202


def test_a_full_store_refuses_a_write_outright_rather_than_evicting(full):
    _, client = full
    client.set("kept", "1")
    with store_full(client):
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            client.set("new", "1")
    assert client.get("kept") == "1"


def test_reports_taken_before_the_store_filled_wait_in_their_stream_and_are_counted_once_there_is_room(full):
    web, client = full
    for n in range(3):
        assert post(web, {"service": "claude", "surface": "api"}, ua=f"browser-{n}").status_code == 202
    ensure_group(client, "claude")  # as an earlier drain left it: what the full store refuses is the counting
    with store_full(client):
        with pytest.raises(redis.ResponseError, match="maxmemory"):
            drain(client, "claude")
    assert client.xlen(keys.intake("claude")) == 3
    assert drain(client, "claude", claim_idle_seconds=0).entries == 3
    assert client.xlen(keys.intake("claude")) == 0
