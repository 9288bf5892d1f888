"""The per-client limit on reads: fixed windows counted in Redis, 429 with Retry-After, probes exempt."""
from __future__ import annotations

import pytest

from aggregator import create_app

from .helpers import NOW, SECRET, TEST_GEOIP, api_error, post

READ = "/api/v1/services/claude/summary"


@pytest.fixture
def limited(redis_server):
    """A test client of an app whose clients may make `limit` reads, on a clock the test can move."""
    def make(limit="3/minute", **config):
        app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP,
                          "RADAR_READ_RATE_LIMIT": limit, "RADAR_REPORT_RATE_LIMIT": "", **config})
        app.extensions["radar"].clock = lambda: NOW
        return app.test_client()
    return make


def read(client, path=READ, ip="81.2.69.142", **headers):
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": ip})


def test_reads_past_the_limit_get_429_with_the_error_shape_and_retry_after(limited):
    client = limited("3/minute")
    answers = [read(client) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    error = api_error(answers[-1], 429)
    assert (error["code"], error["field"]) == ("rate_limited", None)
    assert "too many requests" in error["message"]
    # NOW is half a minute into its minute: the window admits reads again in 30 seconds.
    assert answers[-1].headers["Retry-After"] == "30"
    assert answers[-1].headers["Cache-Control"] == "no-store"


def test_the_retry_after_follows_the_longest_window_that_was_breached(limited):
    client = limited("5/minute;2/hour")
    assert [read(client).status_code for _ in range(3)] == [200, 200, 429]
    assert 60 < int(read(client).headers["Retry-After"]) <= 3600


def test_every_kind_of_read_counts_against_one_allowance(limited):
    client = limited("3/minute")
    assert read(client, "/").status_code == 200
    assert read(client, "/dashboard/data").status_code == 200
    assert read(client, "/badge/claude.svg").status_code == 200
    assert read(client, "/api/v1/status").status_code == 429


def test_health_probes_metrics_and_static_files_are_never_limited(limited):
    client = limited("1/minute")
    read(client)
    assert read(client).status_code == 429
    for path in ("/healthz", "/readyz", "/metrics", "/widget.js", "/static/pages.css"):
        assert read(client, path).status_code == 200, path


def test_reports_are_not_reads(limited):
    client = limited("2/minute")
    for n in range(5):
        assert post(client, {"service": "claude", "surface": "website"}, ua=f"browser-{n}").status_code == 202
    assert [read(client).status_code for _ in range(3)] == [200, 200, 429]


def test_each_client_address_has_its_own_allowance(limited):
    client = limited("1/minute")
    assert [read(client, ip="81.2.69.142").status_code for _ in range(2)] == [200, 429]
    assert read(client, ip="81.2.69.143").status_code == 200


def test_a_forged_forwarded_header_does_not_make_a_new_client(limited):
    client = limited("1/minute")
    assert read(client).status_code == 200
    assert read(client, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance(limited):
    client = limited("1/minute", TRUSTED_PROXIES="10.0.0.0/8")
    assert read(client, ip="10.1.1.1", **{"X-Forwarded-For": "81.2.69.142"}).status_code == 200
    assert read(client, ip="10.1.1.1", **{"X-Forwarded-For": "81.2.69.142"}).status_code == 429
    assert read(client, ip="10.1.1.1", **{"X-Forwarded-For": "81.2.69.143"}).status_code == 200


def test_the_next_window_admits_reads_again(limited):
    client = limited("1/minute")
    assert [read(client).status_code for _ in range(2)] == [200, 429]
    client.application.extensions["radar"].clock = lambda: NOW + 60
    assert read(client).status_code == 200


def test_the_counters_expire_with_their_window_and_hold_no_address(limited, redis_server):
    client = limited("5/minute;100/hour")
    read(client)
    data = client.application.extensions["radar"].data
    counters = sorted(data.scan_iter("radar:{reads:*"))
    assert len(counters) == 2
    assert [0 < data.ttl(key) <= seconds + 1 for key, seconds in zip(counters, (3600, 60))] == [True, True]
    assert not any("81.2.69.142" in key for key in counters)


def test_a_page_over_the_limit_is_a_page_that_says_so(limited):
    client = limited("1/minute", RADAR_PAGE_SNAPSHOT_SECONDS="0")
    read(client, "/claude")
    refused = read(client, "/claude")
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "too many requests" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "30"


def test_a_page_served_from_its_snapshot_is_not_counted_but_one_made_for_the_read_is(limited):
    client = limited("2/minute", RADAR_PAGE_SNAPSHOT_SECONDS="60")
    assert [read(client, "/claude").status_code for _ in range(20)] == [200] * 20, "made once, then served"
    assert read(client, "/claude?comments_before=0-0").status_code == 200, "another page, made: the second read"
    assert read(client, "/gemini").status_code == 429, "a third page to make is over the limit"
    assert read(client, "/claude").status_code == 200, "while the one made is still served"


def test_a_widget_over_the_limit_can_read_its_retry_after_from_another_site(limited):
    client = limited("1/minute")
    read(client)
    refused = read(client)
    assert refused.status_code == 429
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]


def test_an_empty_limit_is_no_limit(limited):
    client = limited("")
    assert {read(client).status_code for _ in range(150)} == {200}


def test_with_the_store_down_a_read_that_needs_no_data_still_answers(stopped_app):
    client = stopped_app.test_client()
    assert stopped_app.extensions["radar"].read_limits
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/services").status_code == 503
