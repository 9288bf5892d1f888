"""Every rejected report gets one JSON error shape, a 4xx status and a message that says what to change."""
import json

import pytest
from rq import Queue

from workers import keys

from .helpers import api_error, post

SURFACES = ("website", "desktop", "mobile", "api")
SYMPTOMS = ("login", "errors", "slow", "blank_response", "other")


def test_an_unknown_service_names_the_closest_slug(client):
    error = api_error(post(client, {"service": "clade", "surface": "website"}), 400)
    assert error["code"] == "unknown_service"
    assert error["field"] == "service"
    assert "'clade'" in error["message"]
    assert "did you mean: claude" in error["message"]


def test_a_bad_surface_lists_every_surface_to_choose_from(client):
    error = api_error(post(client, {"service": "claude", "surface": "web"}), 400)
    assert error["field"] == "surface"
    assert "'web'" in error["message"]
    assert ", ".join(SURFACES) in error["message"]


def test_a_bad_symptom_lists_every_symptom_to_choose_from(client):
    error = api_error(post(client, {"service": "claude", "surface": "website", "symptom": "broken"}), 400)
    assert error["field"] == "symptom"
    assert "'broken'" in error["message"]
    assert ", ".join(SYMPTOMS) in error["message"]


def test_a_missing_service_is_named_as_required(client):
    error = api_error(post(client, {"surface": "website"}), 400)
    assert error["field"] == "service"
    assert error["message"] == "'service' is required"


def test_a_missing_surface_is_named_as_required(client):
    error = api_error(post(client, {"service": "claude"}), 400)
    assert error["field"] == "surface"
    assert error["message"] == "'surface' is required"


def test_a_field_of_the_wrong_type_is_named_with_the_type_it_must_be(client):
    error = api_error(post(client, {"service": "claude", "surface": 5}), 400)
    assert error["code"] == "invalid"
    assert error["field"] == "surface"
    assert "must be a string" in error["message"]


def test_a_comment_over_280_characters_says_how_long_it_is_and_may_be(client):
    error = api_error(post(client, {"service": "claude", "surface": "website", "comment": "x" * 281}), 400)
    assert error["field"] == "comment"
    assert "281" in error["message"]
    assert "at most 280" in error["message"]


def test_a_comment_of_exactly_280_characters_is_accepted(client):
    assert post(client, {"service": "claude", "surface": "website", "comment": "x" * 280}).status_code == 202


def test_malformed_json_is_a_400_that_says_the_body_is_not_json(client):
    response = client.post("/api/v1/reports", data='{"service": "claude",', content_type="application/json")
    error = api_error(response, 400)
    assert error["code"] == "malformed_body"
    assert "not valid JSON" in error["message"]


def test_a_json_array_body_is_a_400_asking_for_an_object(client):
    error = api_error(post(client, [{"service": "claude", "surface": "website"}]), 400)
    assert error["field"] is None
    assert "must be a JSON object" in error["message"]


def test_a_body_over_4096_bytes_is_a_413_in_the_json_shape(client):
    body = json.dumps({"service": "claude", "surface": "website", "comment": "x" * 4100})
    error = api_error(client.post("/api/v1/reports", data=body, content_type="application/json"), 413)
    assert error["code"] == "request_entity_too_large"
    assert "4096 bytes" in error["message"]


def test_a_text_plain_body_is_a_415_naming_the_types_to_send(client):
    response = client.post("/api/v1/reports", data="claude website", content_type="text/plain")
    error = api_error(response, 415)
    assert error["code"] == "unsupported_media_type"
    assert "application/json or a form" in error["message"]
    assert "'text/plain'" in error["message"]


def test_get_on_the_reports_endpoint_is_a_405_in_the_json_shape(client):
    error = api_error(client.get("/api/v1/reports"), 405)
    assert error["code"] == "method_not_allowed"


def test_a_405_names_the_methods_that_are_allowed(client):
    assert set(client.delete("/api/v1/services").headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_an_unknown_url_under_the_api_is_a_404_in_the_json_shape(client):
    error = api_error(client.get("/api/v1/no-such-endpoint"), 404)
    assert error["code"] == "not_found"


def test_rejected_reports_write_nothing_to_redis(client, data, app):
    post(client, {"service": "clade", "surface": "website"})
    post(client, {"service": "claude", "surface": "web"})
    post(client, {"service": "claude", "surface": "website", "symptom": "broken"})
    post(client, {"service": "claude"})
    post(client, {"service": "claude", "surface": 5})
    post(client, {"service": "claude", "surface": "website", "comment": "x" * 281})
    post(client, [{"service": "claude", "surface": "website"}])
    client.post("/api/v1/reports", data='{"service": "claude",', content_type="application/json")
    client.post("/api/v1/reports", data="claude website", content_type="text/plain")
    assert list(data.scan_iter("radar:*")) == []
    assert Queue(keys.QUEUE, connection=app.extensions["radar"].queue).count == 0
    # The same check sees an accepted report, so the emptiness above is not for looking in the wrong place.
    post(client, {"service": "claude", "surface": "website"})
    assert data.xlen(keys.intake("claude")) == 1


@pytest.mark.parametrize("request_kind", ["bad field", "not json", "too large", "wrong type", "405", "404"])
def test_the_error_body_has_exactly_code_message_and_field(client, request_kind):
    response = {
        "bad field": lambda: post(client, {"service": "clade", "surface": "website"}),
        "not json": lambda: client.post("/api/v1/reports", data="{", content_type="application/json"),
        "too large": lambda: client.post("/api/v1/reports", data="x" * 5000, content_type="application/json"),
        "wrong type": lambda: client.post("/api/v1/reports", data="x", content_type="text/plain"),
        "405": lambda: client.get("/api/v1/reports"),
        "404": lambda: client.get("/api/v1/nope"),
    }[request_kind]()
    assert 400 <= response.status_code < 500
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert body["error"]["field"] is None or isinstance(body["error"]["field"], str)


def test_a_comment_with_a_lone_surrogate_is_refused_naming_the_field(client):
    response = client.post("/api/v1/reports", data='{"service": "claude", "surface": "api", "comment": "\\ud800"}',
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "comment"


def test_json_nested_too_deeply_for_the_parser_is_malformed_not_a_crash(client):
    response = client.post("/api/v1/reports", data="[" * 3000, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_body"
