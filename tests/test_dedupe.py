"""A reporter's repeat reports of one service within the dedupe window are kept apart from the counts."""
from __future__ import annotations

import pytest

from aggregator import create_app
from workers import keys

from .helpers import NOW, SECRET, TEST_GEOIP, post

CLAUDE = {"service": "claude", "surface": "website"}


def minute_bucket(data, slug="claude"):
    return data.hgetall(keys.bucket(slug, keys.MINUTE, keys.MINUTE.index(NOW)))


def seen_keys(data):
    return list(data.scan_iter(match="radar:*:seen:*"))


@pytest.fixture
def five_minute_app(redis_server):
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, "RADAR_DEDUPE_MINUTES": "5",
                      "RADAR_REPORT_RATE_LIMIT": ""})
    app.extensions["radar"].clock = lambda: NOW
    return app


def test_a_repeat_report_within_the_window_is_answered_as_not_counted(client):
    assert post(client, CLAUDE).get_json()["counted"] is True
    second = post(client, CLAUDE)
    assert second.status_code == 202
    assert second.get_json()["counted"] is False
    assert second.get_json()["id"]


def test_a_repeat_report_is_drained_as_deduped_not_as_a_report(client, data, run_jobs):
    post(client, {"service": "claude", "surface": "website", "symptom": "login"})
    post(client, {"service": "claude", "surface": "api", "symptom": "errors"})
    run_jobs()
    for resolution in keys.RESOLUTIONS.values():
        bucket = data.hgetall(keys.bucket("claude", resolution, resolution.index(NOW)))
        assert bucket["total"] == "1"
        assert bucket["deduped"] == "1"
        # Nothing of the repeat shows in the breakdowns.
        assert "s:api" not in bucket and "y:errors" not in bucket
        assert bucket["s:website"] == "1" and bucket["c:GB"] == "1"
    assert data.xlen(keys.intake("claude")) == 0


def test_many_repeats_count_once(client, data, run_jobs):
    answers = [post(client, CLAUDE).get_json()["counted"] for _ in range(4)]
    assert answers == [True, False, False, False]
    run_jobs()
    bucket = minute_bucket(data)
    assert (bucket["total"], bucket["deduped"]) == ("1", "3")


def test_a_different_user_agent_from_the_same_address_is_counted(client, data, run_jobs):
    assert post(client, CLAUDE, ua="firefox").get_json()["counted"] is True
    assert post(client, CLAUDE, ua="chrome").get_json()["counted"] is True
    run_jobs()
    bucket = minute_bucket(data)
    assert bucket["total"] == "2"
    assert "deduped" not in bucket


def test_a_different_address_with_the_same_user_agent_is_counted(client, data, run_jobs):
    assert post(client, CLAUDE, ip="81.2.69.142").get_json()["counted"] is True
    assert post(client, CLAUDE, ip="216.160.83.56").get_json()["counted"] is True
    run_jobs()
    bucket = minute_bucket(data)
    assert bucket["total"] == "2"
    assert (bucket["c:GB"], bucket["c:US"]) == ("1", "1")
    assert "deduped" not in bucket


def test_the_same_reporter_reporting_a_different_service_is_counted(client, data, run_jobs):
    assert post(client, CLAUDE).get_json()["counted"] is True
    assert post(client, {"service": "chatgpt", "surface": "website"}).get_json()["counted"] is True
    run_jobs()
    assert minute_bucket(data, "claude")["total"] == "1"
    assert minute_bucket(data, "chatgpt")["total"] == "1"
    assert "deduped" not in minute_bucket(data, "claude")
    assert "deduped" not in minute_bucket(data, "chatgpt")


def test_an_alias_is_the_same_service_for_dedupe(client):
    assert post(client, {"service": "claude", "surface": "website"}).get_json()["counted"] is True
    assert post(client, {"service": "Anthropic", "surface": "website"}).get_json()["counted"] is False


def test_a_deduped_report_still_appends_to_the_intake_stream(client, data):
    post(client, CLAUDE)
    post(client, CLAUDE)
    entries = data.xrange(keys.intake("claude"))
    assert [fields["counted"] for _, fields in entries] == ["1", "0"]


@pytest.mark.parametrize("which, minutes", [("default", 15), ("five", 5)])
def test_the_seen_key_lives_for_the_dedupe_window(request, redis_server, which, minutes):
    app = request.getfixturevalue("app" if which == "default" else "five_minute_app")
    radar = app.extensions["radar"]
    assert radar.settings.RADAR_DEDUPE_MINUTES == minutes
    post(app.test_client(), CLAUDE, ip="81.2.69.142", ua="firefox")
    reporter = radar.reporters.reporter("81.2.69.142", "firefox", NOW)
    seen = keys.seen("claude", reporter)
    assert seen_keys(radar.data) == [seen]
    # Set with EX to exactly the window; read back a moment later it is within a second of it.
    assert minutes * 60 - 1 <= radar.data.ttl(seen) <= minutes * 60


def test_a_repeat_does_not_extend_the_window(client, data):
    post(client, CLAUDE)
    [seen] = seen_keys(data)
    data.expire(seen, 100)
    post(client, CLAUDE)
    assert data.ttl(seen) <= 100
