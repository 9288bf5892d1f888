"""Liveness and readiness probes."""
from aggregator import create_app
from aggregator.local_redis import start
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
