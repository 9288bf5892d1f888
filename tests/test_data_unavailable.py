"""With the data store gone, the API answers 503 with Retry-After and the pages say so; nothing is a 500."""
import pytest

from aggregator import create_app
from aggregator.embedded import start


@pytest.fixture
def stopped_app(tmp_path):
    server = start(tmp_path, persist=False)
    app = create_app({"REDIS_URL": server.url})
    server.stop()
    return app


def test_a_report_gets_503_with_retry_after_when_redis_is_down(stopped_app):
    response = stopped_app.test_client().post("/api/v1/reports", json={"service": "claude", "surface": "api"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "data_unavailable"


def test_a_page_says_data_is_temporarily_unavailable_when_redis_is_down(stopped_app):
    response = stopped_app.test_client().get("/claude")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "data temporarily unavailable" in response.get_data(as_text=True)
