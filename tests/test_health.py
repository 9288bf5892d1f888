"""Liveness and readiness probes."""
from aggregator import create_app
from aggregator.local_redis import start
from aggregator.store_memory import NodeMemory, warnings
from workers import keys

from .helpers import NOW, SECRET


def test_liveness_answers_ok(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readiness_is_ok_when_redis_answers_and_nothing_waits(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["intake_lag_seconds"] == 0.0


def test_readiness_fails_when_reports_wait_too_long_to_be_counted(client, data):
    data.xadd(keys.intake("claude"), {"ts": "1", "surface": "api"}, id=f"{int((NOW - 120) * 1000)}-0")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["intake_lag_seconds"] >= 119
    assert "claude" in body["problems"][0]


def test_readiness_fails_but_liveness_holds_when_redis_is_down(tmp_path):
    server = start(tmp_path, persist=False)
    client = create_app({**SECRET, "REDIS_URL": server.url}).test_client()
    server.stop()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_readiness_reports_the_data_redis_memory_against_its_limit(client):
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok" and body["warnings"] == []
    memory, = body["memory"]
    assert memory["node"] == "data"
    assert memory["maxmemory_bytes"] == 2**30
    assert 0 < memory["used_bytes"] < memory["maxmemory_bytes"]


def test_readiness_warns_but_stays_ready_when_the_data_redis_is_nearly_full(tmp_path):
    server = start(tmp_path, persist=False)
    try:
        client = create_app({**SECRET, "REDIS_URL": server.url}).test_client()
        data = client.application.extensions["radar"].data
        data.config_set("maxmemory", int(data.info("memory")["used_memory"] / 0.9))
        response = client.get("/readyz")
    finally:
        server.stop()
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["problems"] == []
    assert "maxmemory" in body["warnings"][0] and "refuses new reports" in body["warnings"][0]


def test_only_a_server_at_80_percent_of_a_set_limit_is_warned_about_naming_the_cluster_master():
    nodes = [NodeMemory("data", 79, 100), NodeMemory("10.0.0.1:7000", 80, 100), NodeMemory("10.0.0.2:7000", 2**40, 0)]
    found = warnings(nodes)
    assert len(found) == 1
    assert found[0].startswith("data redis 10.0.0.1:7000 uses 80 % of its maxmemory")
