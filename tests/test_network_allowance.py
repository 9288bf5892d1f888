"""One network, one small allowance: an IPv4 address or an IPv6 /64 counts at most a few reporters a window."""
from __future__ import annotations

import pytest

from aggregator import create_app, geo
from workers import keys

from .helpers import NOW, RELAY_KEY, SECRET, TEST_GEOIP, post

CLAUDE = {"service": "claude", "surface": "website"}


@pytest.fixture
def limited(redis_server):
    """The shipped allowance (3 a network), with the rate limit off so only the allowance decides."""
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, "RADAR_REPORT_RATE_LIMIT": "",
                      "RADAR_RELAY_KEYS": RELAY_KEY})
    app.extensions["radar"].clock = lambda: NOW
    assert app.extensions["radar"].settings.RADAR_REPORTS_PER_NETWORK == 3
    return app.test_client()


def counted(answers) -> int:
    assert {a.status_code for a in answers} == {202}
    return sum(a.get_json()["counted"] for a in answers)


def test_one_address_with_a_thousand_browsers_counts_as_the_allowance(limited):
    answers = [post(limited, CLAUDE, ip="81.2.69.142", ua=f"browser-{n}") for n in range(1000)]
    assert counted(answers) == 3


def test_one_ipv6_64_with_a_thousand_addresses_counts_as_the_allowance(limited):
    answers = [post(limited, CLAUDE, ip=f"2001:db8:1:2::{n:x}", ua="same-browser") for n in range(1, 1001)]
    assert counted(answers) == 3


def test_each_ipv6_64_has_an_allowance_of_its_own(limited):
    answers = [post(limited, CLAUDE, ip=f"2001:db8:1:{n:x}::1", ua="same-browser") for n in range(10)]
    assert counted(answers) == 10


def test_the_allowance_is_per_service(limited):
    for slug in ("claude", "chatgpt"):
        answers = [post(limited, {"service": slug, "surface": "api"}, ip="81.2.69.142", ua=f"b{n}") for n in range(5)]
        assert counted(answers) == 3


def test_a_port_or_an_ipv4_mapped_spelling_is_the_same_reporter(limited):
    spellings = ["81.2.69.142", "81.2.69.142:5555", "::ffff:81.2.69.142", "[::ffff:81.2.69.142]:443"]
    answers = [post(limited, CLAUDE, ip=ip, ua="one-browser") for ip in spellings]
    assert counted(answers) == 1


def test_reports_over_the_allowance_are_kept_as_not_counted(limited, data, run_jobs):
    for n in range(6):
        post(limited, CLAUDE, ip="81.2.69.142", ua=f"browser-{n}")
    assert data.xlen(keys.intake("claude")) == 6
    run_jobs()
    minute = data.hgetall(keys.bucket("claude", keys.MINUTE, keys.MINUTE.index(NOW)))
    assert minute.get("total") == "3"


def test_no_network_or_address_is_stored_only_its_keyed_hash(limited, data):
    post(limited, CLAUDE, ip="2001:db8:1:2::1")
    stored = list(data.scan_iter(match="radar:*:net:*"))
    assert len(stored) == 1
    assert "2001" not in stored[0] and "db8" not in stored[0]


def test_a_relay_batch_gives_one_network_the_same_allowance(limited):
    reports = [{"service": "claude", "surface": "website", "client": f"2001:db8:9:9::{n:x}", "user_agent": "b"}
               for n in range(1, 51)]
    answer = limited.post("/api/v1/reports/batch", json={"reports": reports},
                          headers={"Authorization": f"Bearer {RELAY_KEY}"})
    assert answer.status_code == 202
    assert answer.get_json()["counted"] == 3


@pytest.mark.parametrize("raw, expected", [
    ("81.2.69.142", "81.2.69.142"), ("81.2.69.142:5555", "81.2.69.142"), ("::ffff:81.2.69.142", "81.2.69.142"),
    ("[2001:DB8::1]:443", "2001:db8::1"), ("2001:db8:0:0::1", "2001:db8::1"), ("fe80::1%eth0", "fe80::1"),
    ("unknown", None), ("", None), (None, None), (":ffff::9", None), ("1.2.3.4.5", None),
])
def test_an_address_has_one_spelling_and_a_non_address_none(raw, expected):
    assert geo.canonical(raw) == expected


def test_the_network_of_an_ipv6_address_is_its_64_and_of_an_ipv4_address_itself():
    assert geo.network("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == geo.network("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert geo.network("2001:db8:1:3::1") != geo.network("2001:db8:1:2::1")
    assert geo.network("81.2.69.142") == "81.2.69.142"
