"""HTTP caching of reads: Cache-Control by freshness, an ETag and 304 on every public read, errors never stored."""
from __future__ import annotations

import re

import pytest

from aggregator.api.openapi import DOCUMENT
from aggregator.caching import POLICIES
from workers.drain import drain

from .helpers import NOW, iso, post, set_state, store_incident

PUBLIC_READS = [
    "/api/v1/services",
    "/api/v1/services/claude/series",
    "/api/v1/services/claude/series?resolution=1h&format=csv",
    "/api/v1/services/claude/summary?window=6h",
    "/api/v1/status",
    "/api/v1/services/claude/status",
    "/api/v1/incidents",
    "/api/v1/services/claude/official",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/",
    "/claude",
    "/embed/claude",
    "/badge/claude.svg",
    "/dashboard",
    "/dashboard/data",
    "/dashboard/claude",
    "/dashboard/claude/data?range=7d",
    "/dashboard/claude/export.json",
    "/dashboard/claude/export.csv",
]
"""One of each kind: the API, the site's pages, the embed surface, the dashboard with its data and exports."""


def max_age(response) -> int:
    return int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1))


@pytest.fixture
def busy(client, data):
    """Some reports counted and an incident stored, so that the reads have something to say."""
    for n in range(3):
        post(client, {"service": "claude", "surface": "website"}, ua=f"browser-{n}")
    drain(data, "claude")
    set_state(data, "claude", "outage")
    store_incident(data, "claude", NOW - 1800)
    return client


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_every_kind_of_public_read_says_how_long_it_may_be_kept_and_gives_an_etag(busy, path):
    response = busy.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert max_age(response) > 0
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_a_repeat_with_the_etag_in_if_none_match_is_304_without_a_body(busy, path):
    first = busy.get(path)
    again = busy.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]


def test_a_head_request_and_a_weak_or_listed_etag_match_too(busy):
    tag = busy.get("/api/v1/status").headers["ETag"]
    assert busy.head("/api/v1/status", headers={"If-None-Match": tag}).status_code == 304
    assert busy.get("/api/v1/status", headers={"If-None-Match": f"W/{tag}"}).status_code == 304
    assert busy.get("/api/v1/status", headers={"If-None-Match": f'"other", {tag}'}).status_code == 304
    assert busy.get("/api/v1/status", headers={"If-None-Match": '"other"'}).status_code == 200


def test_an_answer_that_changed_is_sent_whole_with_its_new_etag(client, data):
    first = client.get("/api/v1/services/claude/summary")
    post(client, {"service": "claude", "surface": "api"})
    drain(data, "claude")
    again = client.get("/api/v1/services/claude/summary", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.get_json()["total"] == first.get_json()["total"] + 1
    assert again.headers["ETag"] != first.headers["ETag"]


def test_last_hour_counts_and_pages_are_kept_seconds_and_detection_a_little_longer(client):
    assert max_age(client.get("/api/v1/services")) == 5
    assert max_age(client.get("/")) == 5
    assert max_age(client.get("/dashboard/data")) == 5
    assert max_age(client.get("/api/v1/status")) == 10
    assert max_age(client.get("/api/v1/incidents")) == 10
    assert max_age(client.get("/api/v1/services/claude/official")) == 30
    assert "stale-while-revalidate=10" in client.get("/api/v1/services").headers["Cache-Control"]


def test_a_summary_is_kept_longer_the_coarser_its_window(client):
    ages = [max_age(client.get(f"/api/v1/services/claude/summary?window={w}")) for w in ("1h", "7d", "60d")]
    assert ages == [5, 30, 60]


def test_a_series_that_ended_long_ago_is_kept_an_hour_and_one_reaching_now_seconds(client):
    past = client.get(f"/api/v1/services/claude/series?to={iso(NOW - 86400)}")
    recent = client.get(f"/api/v1/services/claude/series?to={iso(NOW - 60)}")
    assert max_age(past) == 3600
    assert "stale-while-revalidate=86400" in past.headers["Cache-Control"]
    assert max_age(recent) == 5
    assert max_age(client.get("/api/v1/services/claude/series")) == 5
    assert max_age(client.get("/api/v1/services/claude/series?resolution=1h")) == 60


def test_a_past_dashboard_range_is_kept_as_long_as_the_status_beside_it(client):
    assert max_age(client.get(f"/dashboard/claude/data?to={iso(NOW - 86400)}")) == 10
    assert max_age(client.get("/dashboard/claude/data")) == 5


def test_a_file_flask_answers_conditionally_itself_keeps_its_lifetime_in_its_304(client):
    script = client.get("/widget.js")
    again = client.get("/widget.js", headers={"If-None-Match": script.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == script.headers["Cache-Control"]


def test_the_embed_surface_keeps_the_lifetimes_it_documents_for_other_sites(client):
    assert max_age(client.get("/widget.js")) == 300
    assert max_age(client.get("/embed/claude")) == 300
    badge = client.get("/badge/claude.svg")
    assert max_age(badge) == 60
    assert client.get("/badge/claude.svg", headers={"If-None-Match": badge.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("path, status", [
    ("/api/v1/services/nope/summary", 404),
    ("/api/v1/services/claude/summary?window=forever", 400),
    ("/api/v1/services/claude/series?resolution=1s", 400),
    ("/api/v1/incidents/claude.20000101T0000Z", 404),
    ("/nope", 404),
    ("/badge/nope.svg", 404),
    ("/embed/nope", 404),
    ("/dashboard/nope", 404),
    ("/api/v1/no-such-endpoint", 404),
])
def test_errors_are_never_stored_and_carry_no_etag(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_a_read_that_carries_a_token_is_for_its_sender_alone(client):
    response = client.get("/api/v1/status", headers={"Authorization": "Bearer some-token-of-someone"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers


def test_admin_answers_are_private_and_reports_are_never_stored(client):
    admin = client.post("/api/v1/admin/catalog/reload")
    assert admin.status_code == 403
    assert admin.headers["Cache-Control"] == "private, no-store"
    assert post(client, {"service": "claude", "surface": "website"}).headers["Cache-Control"] == "no-store"


def test_probes_and_metrics_are_never_stored(client):
    for path in ("/healthz", "/readyz", "/metrics"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert "ETag" not in response.headers, path


def test_every_get_endpoint_of_the_app_has_its_lifetime_in_the_one_table(app):
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if "GET" in rule.methods and rule.endpoint not in POLICIES]
    assert missing == []


def test_the_api_description_gives_every_read_its_304_429_and_if_none_match():
    for path, item in DOCUMENT["paths"].items():
        op = item.get("get")
        if op is None or op["tags"] == ["health"]:
            continue
        assert {"304", "429"} <= set(op["responses"]), path
        assert {"Cache-Control", "ETag"} <= set(op["responses"]["200"]["headers"]), path
        assert "If-None-Match" in [p["name"] for p in op["parameters"] if p["in"] == "header"], path
