"""The report endpoint's per-client rate limit: moving windows checked in the report's own Redis call."""
from __future__ import annotations

import pytest

from aggregator import create_app
from aggregator.base.exceptions import SettingsError
from aggregator.base.ratelimit import Window, parse
from aggregator.base.settings import Settings

from .helpers import NOW, SECRET, TEST_GEOIP, post

REPORT = {"service": "claude", "surface": "website"}


@pytest.fixture
def limited(redis_server):
    def make(limit="3/minute", **config):
        app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP,
                          "RADAR_REPORT_RATE_LIMIT": limit, **config})
        app.extensions["radar"].clock = lambda: NOW
        return app.test_client()
    return make


def test_a_client_over_the_limit_gets_429_with_retry_after_and_the_json_error_shape(limited):
    client = limited("3/minute")
    answers = [post(client, REPORT, ua=f"browser-{n}") for n in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    refused = answers[-1]
    assert refused.get_json() == {"error": {"code": "rate_limited", "field": None,
                                            "message": refused.get_json()["error"]["message"]}}
    assert "too many reports" in refused.get_json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_the_retry_after_follows_the_window_that_was_breached(limited):
    client = limited("1/hour")
    post(client, REPORT)
    refused = post(client, REPORT, ua="other")
    assert refused.status_code == 429
    assert 60 < int(refused.headers["Retry-After"]) <= 3600


def test_a_plain_form_over_the_limit_gets_the_html_error_page(limited):
    client = limited("1/minute")
    headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    first = client.post("/api/v1/reports", data=REPORT, headers=headers)
    refused = client.post("/api/v1/reports", data=REPORT, headers=headers)
    assert first.status_code == 303
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "too many reports" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) >= 1


def test_each_client_address_has_its_own_allowance(limited):
    client = limited("2/minute")
    assert [post(client, REPORT, ip="81.2.69.142").status_code for _ in range(3)] == [202, 202, 429]
    assert post(client, REPORT, ip="81.2.69.143").status_code == 202


def test_clients_behind_a_trusted_proxy_are_told_apart_by_x_forwarded_for(limited):
    client = limited("1/minute", TRUSTED_PROXIES="10.0.0.0/8")

    def via_proxy(address):
        return client.post("/api/v1/reports", json=REPORT, headers={"X-Forwarded-For": address},
                           environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code
    assert [via_proxy("81.2.69.142"), via_proxy("89.160.20.112"), via_proxy("81.2.69.142")] == [202, 202, 429]


def test_a_forged_x_forwarded_for_from_an_untrusted_client_does_not_reset_its_allowance(limited):
    client = limited("1/minute")

    def forged(address):
        return client.post("/api/v1/reports", json=REPORT, headers={"X-Forwarded-For": address},
                           environ_base={"REMOTE_ADDR": "81.2.69.142"}).status_code
    assert [forged("1.1.1.1"), forged("2.2.2.2")] == [202, 429]


def test_the_limiter_keeps_only_hashed_client_keys_that_expire(limited, data):
    client = limited("5/minute")
    post(client, REPORT, ip="81.2.69.142")
    names = list(data.scan_iter("radar:*:limit:*"))
    assert len(names) == 1
    assert names[0].startswith("radar:{claude}:limit:") and names[0].endswith(":60")
    assert "81.2.69.142" not in names[0] and "81-2-69-142" not in names[0]
    assert 0 < data.ttl(names[0]) <= 60
    assert data.llen(names[0]) == 1


def test_the_limiter_keeps_report_times_in_whole_seconds(limited, data):
    client = limited("5/minute;10/hour")
    for at in (NOW + 12.75, NOW + 13.5):
        assert _post_at(client, at, f"b{at}").status_code == 202
    names = sorted(data.scan_iter("radar:{claude}:limit:*"))
    assert len(names) == 2
    assert [data.lrange(name, 0, -1) for name in names] == [[str(int(NOW + 13)), str(int(NOW + 12))]] * 2


def test_refused_reports_do_not_use_up_the_allowance(limited):
    client = limited("2/minute")
    assert [post(client, {"service": "claude", "surface": "tv"}).status_code for _ in range(3)] == [400] * 3
    assert [post(client, REPORT, ua=f"b{n}").status_code for n in range(3)] == [202, 202, 429]


def test_a_report_over_the_limit_stores_nothing(limited, data):
    client = limited("1/minute")
    post(client, REPORT)
    length = data.xlen("radar:{claude}:intake")
    assert post(client, REPORT, ua="another browser").status_code == 429
    assert data.xlen("radar:{claude}:intake") == length
    assert not list(data.scan_iter("radar:{claude}:seen:*"))[1:]


def test_deduplicated_reports_use_up_the_allowance_too(limited):
    client = limited("2/minute")
    answers = [post(client, REPORT) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert [a.get_json().get("counted") for a in answers[:2]] == [True, False]


def test_the_allowance_is_per_service(limited):
    client = limited("1/minute")
    assert post(client, REPORT).status_code == 202
    assert post(client, {"service": "chatgpt", "surface": "website"}).status_code == 202
    assert post(client, REPORT, ua="x").status_code == 429


def _post_at(client, when: float, ua: str):
    client.application.extensions["radar"].clock = lambda: when
    return post(client, REPORT, ua=ua)


def test_the_window_moves_rather_than_restarting_on_the_clock(limited):
    client = limited("2/minute")
    start = NOW - NOW % 60 + 50  # 10 s before a clock minute ends
    answers = [_post_at(client, at, f"b{at}") for at in (start, start + 5, start + 15, start + 61)]
    assert [a.status_code for a in answers] == [202, 202, 429, 202]
    assert answers[2].headers["Retry-After"] == "45"


def test_every_window_of_several_applies(limited):
    client = limited("3/minute;4/hour")
    answers = [_post_at(client, NOW + s, f"b{s}").status_code for s in (0, 1, 2, 70, 71)]
    assert answers == [202, 202, 202, 202, 429]


def test_only_the_report_endpoint_is_limited(limited):
    client = limited("1/minute")
    post(client, REPORT)
    assert post(client, REPORT, ua="x").status_code == 429
    assert client.get("/api/v1/services").status_code == 200
    assert client.get("/claude").status_code == 200


def test_an_empty_setting_turns_the_limit_off(limited):
    client = limited("")
    assert {post(client, REPORT, ua=f"b{n}").status_code for n in range(30)} == {202}


def test_the_default_limit_is_one_window_of_sixty_a_minute():
    assert Settings.from_env(environ={}).RADAR_REPORT_RATE_LIMIT == "60/minute"


@pytest.mark.parametrize("value", ["lots", "10/fortnight", "10 per"])
def test_a_limit_that_cannot_be_parsed_stops_start_up_naming_the_setting(value):
    with pytest.raises(SettingsError) as info:
        Settings.from_env(environ={"RADAR_REPORT_RATE_LIMIT": value})
    assert info.value.message.startswith("RADAR_REPORT_RATE_LIMIT=")
    assert "10/minute;100/hour" in info.value.message


def test_limits_are_read_in_every_documented_spelling():
    assert parse("60/minute") == (Window(60, 60),)
    assert parse("10/minute; 100/hour") == (Window(10, 60), Window(100, 3600))
    assert parse("30 per 5 minutes;2 PER second;1/day") == (Window(30, 300), Window(2, 1), Window(1, 86400))
    assert parse("") == ()


@pytest.mark.parametrize("value", ["0/minute", "10/minutely", "ten/minute", "10/minute;;x"])
def test_a_limit_that_is_not_one_is_refused(value):
    with pytest.raises(ValueError):
        parse(value)


def test_a_client_over_the_limit_is_counted_as_rate_limited_in_metrics(limited):
    client = limited("1/minute")

    def rate_limited():
        text = client.get("/metrics").get_data(as_text=True)
        line = [l for l in text.splitlines() if l.startswith('radar_reports_rejected_total{code="rate_limited"}')]
        return float(line[0].split()[-1]) if line else 0.0
    before = rate_limited()
    post(client, REPORT)
    post(client, REPORT, ua="again")
    assert rate_limited() == before + 1
