"""JSON reports answered without the framework: the same answers, headers, logs and metrics as the view's."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from .helpers import post, store_full

REPORT = {"service": "claude", "surface": "website", "symptom": "errors"}
VIEW_ONLY = "application/report+json"
"""A JSON type the fast path leaves to the view, which reads every `+json` type."""


def _send(client, content_type: str, ua: str, body=REPORT, **headers):
    return client.post("/api/v1/reports", data=json.dumps(body), content_type=content_type,
                       headers={"User-Agent": ua, **headers}, environ_base={"REMOTE_ADDR": "81.2.69.142"})


def _shape(response) -> tuple:
    """What a client can tell about an answer, without the values that differ by design (ids, dates)."""
    names = sorted(name.lower() for name in response.headers.keys() if name.lower() not in ("date",))
    body = response.get_json()
    return response.status_code, names, response.mimetype, sorted(body), body.get("service"), body.get("counted")


def test_a_json_report_gets_the_answer_the_view_gives(client):
    fast = _send(client, "application/json", "browser-a")
    view = _send(client, VIEW_ONLY, "browser-b")
    assert fast.status_code == 202
    assert _shape(fast) == _shape(view)
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                 "Access-Control-Allow-Origin", "Access-Control-Expose-Headers"):
        assert fast.headers[name] == view.headers[name], name


def test_a_charset_on_the_json_type_is_still_the_fast_path(client, lines):  # noqa: F811
    assert _send(client, "application/json; charset=utf-8", "browser-a").status_code == 202
    access, = [line for line in lines() if line["logger"] == "aggregator.access"]
    assert access["status"] == 202 and len(access["request_id"]) == 32


def test_a_refused_report_gets_the_views_error_with_the_field_and_nothing_is_stored(client, data):
    bad = {**REPORT, "surface": "tv"}
    fast, view = _send(client, "application/json", "a", bad), _send(client, VIEW_ONLY, "a", bad)
    assert fast.status_code == view.status_code == 400
    assert fast.get_json() == view.get_json()
    assert fast.get_json()["error"]["field"] == "surface"
    assert data.xlen("radar:{claude}:intake") == 0


def test_a_body_that_is_not_json_gets_the_malformed_body_error(client):
    response = client.post("/api/v1/reports", data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_body"


def test_a_body_over_the_limit_gets_413_without_being_read_by_the_fast_path(client):
    response = client.post("/api/v1/reports", data=b" " * 5000 + json.dumps(REPORT).encode(),
                           content_type="application/json")
    assert response.status_code == 413


def test_a_report_sent_in_chunks_without_a_length_is_taken_by_the_view(live_server):
    host, port = urlsplit(live_server).hostname, urlsplit(live_server).port
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("POST", "/api/v1/reports", body=iter([json.dumps(REPORT).encode()]),
                           headers={"Content-Type": "application/json"}, encode_chunked=True)
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 202
    assert answer["service"] == "claude" and answer["id"]


def test_an_incoming_request_id_is_echoed_and_logged(client, lines):  # noqa: F811
    response = _send(client, "application/json", "a", **{"X-Request-ID": "edge-42"})
    assert response.headers["X-Request-ID"] == "edge-42"
    assert [line["request_id"] for line in lines() if line["logger"] == "aggregator.access"] == ["edge-42"]


def test_a_store_that_refuses_the_write_gets_503_once_and_is_counted_as_rejected(client, data):
    def rejected():
        text = client.get("/metrics").get_data(as_text=True)
        line = [l for l in text.splitlines() if l.startswith('radar_reports_rejected_total{code="store_full"}')]
        return float(line[0].split()[-1]) if line else 0.0
    before = rejected()
    post(client, REPORT, ua="first")  # the day's key and the catalog are read before the store fills up
    with store_full(data):
        response = post(client, REPORT, ua="second")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "store_full"
    assert response.headers["Retry-After"] == "60"
    assert rejected() == before + 1
    assert data.xlen("radar:{claude}:intake") == 1
