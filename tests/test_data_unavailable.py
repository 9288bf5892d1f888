"""With the data store gone, the API answers 503 with Retry-After and the pages say so; nothing is a 500."""
from .helpers import store_full


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


def test_a_plain_form_gets_an_html_page_when_redis_is_down(stopped_app):
    response = stopped_app.test_client().post(
        "/api/v1/reports", data={"service": "claude", "surface": "website"},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "data temporarily unavailable" in response.get_data(as_text=True)


def test_a_redis_that_refuses_writes_gives_503_not_500(client, data):
    with store_full(data):
        response = client.post("/api/v1/reports", json={"service": "claude", "surface": "api"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.get_json()["error"]["code"] == "store_full"
