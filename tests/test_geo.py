"""Where a report comes from: the client address behind trusted proxies, and its region."""
from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

import pytest

from aggregator import create_app, geo
from aggregator.base.settings import _default_geoip_db

from .helpers import NOW, SECRET, TEST_GEOIP

REPORT = {"service": "claude", "surface": "website"}


@pytest.fixture
def make_app(redis_server):
    """Build an app on the test Redis with the test GeoIP database unless `config` says otherwise."""
    def make(**config):
        app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP,
                          "RADAR_REPORT_RATE_LIMIT": "", **config})
        app.extensions["radar"].clock = lambda: NOW
        return app
    return make


def region_of(app_or_client, ip, headers=None, ua="geo-browser"):
    """POST one report from `ip` with extra `headers`; the region the 202 answer gives."""
    client = app_or_client.test_client() if hasattr(app_or_client, "test_client") else app_or_client
    response = client.post("/api/v1/reports", json=REPORT, headers={"User-Agent": ua, **(headers or {})},
                           environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["region"]


def nets(*specs):
    return tuple(ipaddress.ip_network(s) for s in specs)


# --- region from the database -------------------------------------------------------------------

@pytest.mark.parametrize("ip, region", [
    ("81.2.69.142", "GB-ENG"),
    ("216.160.83.56", "US-WA"),
    ("89.160.20.112", "SE-E"),
    ("2001:218::1", "JP"),
])
def test_the_region_comes_from_the_geoip_database(client, ip, region):
    assert region_of(client, ip) == region


@pytest.mark.parametrize("ip", ["10.0.0.1", "192.168.1.20", "127.0.0.1", "::1", "fd00::5", "1.2.3.4"])
def test_a_private_or_unlisted_address_has_an_unknown_region(client, ip):
    assert region_of(client, ip) == "unknown"


# --- the CDN's country header ----------------------------------------------------------------------

def test_a_trusted_cdn_header_wins_over_the_database(make_app):
    app = make_app(RADAR_COUNTRY_HEADER="CF-IPCountry")
    assert region_of(app, "81.2.69.142", {"CF-IPCountry": "DE"}) == "DE"


def test_a_lowercase_cdn_country_is_read_as_its_code(make_app):
    app = make_app(RADAR_COUNTRY_HEADER="CF-IPCountry")
    assert region_of(app, "81.2.69.142", {"CF-IPCountry": " fr "}) == "FR"


def test_the_cdn_header_is_ignored_when_the_setting_is_empty(client):
    assert region_of(client, "81.2.69.142", {"CF-IPCountry": "DE"}) == "GB-ENG"


def test_a_missing_cdn_header_falls_back_to_the_database(make_app):
    app = make_app(RADAR_COUNTRY_HEADER="CF-IPCountry")
    assert region_of(app, "216.160.83.56") == "US-WA"


@pytest.mark.parametrize("junk", ["XX", "T1", "abc", "", "1", "G1", "D E", "EU"])
def test_a_junk_cdn_header_value_falls_back_to_the_database(make_app, junk):
    app = make_app(RADAR_COUNTRY_HEADER="CF-IPCountry")
    assert region_of(app, "81.2.69.142", {"CF-IPCountry": junk}) == "GB-ENG"


def test_a_junk_cdn_header_value_for_an_unlisted_address_gives_unknown(make_app):
    app = make_app(RADAR_COUNTRY_HEADER="CF-IPCountry")
    assert region_of(app, "10.1.2.3", {"CF-IPCountry": "XX"}) == "unknown"


# --- X-Forwarded-For through the app -----------------------------------------------------------------

def test_x_forwarded_for_from_an_untrusted_remote_address_is_ignored(client):
    assert region_of(client, "81.2.69.142", {"X-Forwarded-For": "216.160.83.56"}) == "GB-ENG"


def test_x_forwarded_for_is_ignored_when_no_proxy_is_trusted(client):
    assert region_of(client, "10.0.0.1", {"X-Forwarded-For": "216.160.83.56"}) == "unknown"


def test_x_forwarded_for_from_a_trusted_proxy_is_walked_through_trusted_hops(make_app):
    app = make_app(TRUSTED_PROXIES="10.0.0.0/8")
    assert region_of(app, "10.0.0.1", {"X-Forwarded-For": "216.160.83.56, 10.0.0.2"}) == "US-WA"


def test_a_spoofed_leftmost_forwarded_address_is_not_believed(make_app):
    app = make_app(TRUSTED_PROXIES="10.0.0.0/8")
    # The client itself wrote 81.2.69.142; the trusted proxy appended the address it saw.
    assert region_of(app, "10.0.0.1", {"X-Forwarded-For": "81.2.69.142, 216.160.83.56"}) == "US-WA"


def test_an_ipv6_client_behind_a_trusted_ipv4_proxy_is_located(make_app):
    app = make_app(TRUSTED_PROXIES="10.0.0.0/8")
    assert region_of(app, "10.0.0.1", {"X-Forwarded-For": "2001:218::1"}) == "JP"


def test_the_forwarded_client_decides_dedupe_not_the_proxy(make_app):
    app = make_app(TRUSTED_PROXIES="10.0.0.0/8")
    client = app.test_client()
    answers = [client.post("/api/v1/reports", json=REPORT,
                           headers={"User-Agent": "same", "X-Forwarded-For": forwarded},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"}).get_json()
               for forwarded in ("81.2.69.142", "216.160.83.56")]
    assert [a["region"] for a in answers] == ["GB-ENG", "US-WA"]
    assert [a["counted"] for a in answers] == [True, True]


# --- no usable database ---------------------------------------------------------------------------

def test_with_geoip_db_empty_every_region_is_unknown(make_app):
    app = make_app(GEOIP_DB="")
    assert isinstance(app.extensions["radar"].locator, geo.NoLocator)
    client = app.test_client()
    assert [region_of(client, ip) for ip in ("81.2.69.142", "216.160.83.56", "2001:218::1")] == ["unknown"] * 3


def test_the_cdn_header_still_works_without_a_database(make_app):
    app = make_app(GEOIP_DB="", RADAR_COUNTRY_HEADER="CF-IPCountry")
    assert region_of(app, "81.2.69.142", {"CF-IPCountry": "NL"}) == "NL"


@pytest.mark.parametrize("content", [None, b"", b"this is not a MaxMind database\n" * 50],
                         ids=["missing", "empty", "text"])
def test_an_unreadable_geoip_db_still_starts_the_app_with_unknown_regions(make_app, tmp_path, caplog, content):
    path = tmp_path / "GeoLite2-City.mmdb"
    if content is not None:
        path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="aggregator.geo"):
        app = make_app(GEOIP_DB=str(path))
    assert isinstance(app.extensions["radar"].locator, geo.NoLocator)
    assert any("GEOIP_DB" in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)
    assert region_of(app, "81.2.69.142") == "unknown"


def test_a_geoip_db_that_is_not_a_city_database_gives_unknown_regions_not_errors(make_app, tmp_path, caplog):
    # The test City database relabelled (same length, so the file stays valid) as another kind, the way a
    # GeoLite2-Country or ASN file would be: reader.city() refuses every lookup in those.
    raw = open(TEST_GEOIP, "rb").read()
    marker = raw.rfind(b"\xab\xcd\xefMaxMind.com")
    path = tmp_path / "GeoIP2-Country.mmdb"
    path.write_bytes(raw[:marker] + raw[marker:].replace(b"GeoIP2-City", b"GeoIP2-Ctry"))
    with caplog.at_level(logging.WARNING, logger="aggregator.geo"):
        app = make_app(GEOIP_DB=str(path))
    assert isinstance(app.extensions["radar"].locator, geo.NoLocator)
    assert any("not a City database" in r.getMessage() for r in caplog.records)
    assert region_of(app, "81.2.69.142") == "unknown"


def test_a_directory_as_geoip_db_still_starts_the_app_with_unknown_regions(make_app, tmp_path):
    app = make_app(GEOIP_DB=str(tmp_path))
    assert region_of(app, "216.160.83.56") == "unknown"


# --- geo.client_address ---------------------------------------------------------------------------

def test_without_x_forwarded_for_the_remote_address_is_the_client():
    assert geo.client_address("81.2.69.142", None, nets("10.0.0.0/8")) == "81.2.69.142"
    assert geo.client_address("10.0.0.1", "", nets("10.0.0.0/8")) == "10.0.0.1"


def test_x_forwarded_for_from_an_untrusted_remote_address_is_not_read():
    assert geo.client_address("81.2.69.142", "216.160.83.56", nets("10.0.0.0/8")) == "81.2.69.142"
    assert geo.client_address("10.0.0.1", "216.160.83.56", ()) == "10.0.0.1"


def test_x_forwarded_for_is_walked_from_the_right_to_the_first_untrusted_hop():
    trusted = nets("10.0.0.0/8")
    assert geo.client_address("10.0.0.1", "216.160.83.56, 10.0.0.2", trusted) == "216.160.83.56"
    assert geo.client_address("10.0.0.1", "81.2.69.142, 216.160.83.56, 10.0.0.3, 10.0.0.2",
                              trusted) == "216.160.83.56"


def test_a_forwarded_chain_of_only_trusted_hops_gives_its_leftmost_address():
    assert geo.client_address("10.0.0.1", "10.0.0.9, 10.0.0.2", nets("10.0.0.0/8")) == "10.0.0.9"


def test_blank_and_padded_forwarded_entries_are_skipped():
    assert geo.client_address("10.0.0.1", " 216.160.83.56 , , 10.0.0.2 ,", nets("10.0.0.0/8")) == "216.160.83.56"


def test_trusted_proxies_may_be_single_addresses_and_ipv6_networks():
    trusted = nets("192.0.2.7/32", "fd00::/8")
    assert geo.client_address("192.0.2.7", "2001:218::1, fd00::2", trusted) == "2001:218::1"
    assert geo.client_address("192.0.2.8", "2001:218::1", trusted) == "192.0.2.8"


def test_a_garbled_forwarded_hop_is_not_walked_past_and_is_no_reporter_of_its_own():
    # The walk stops at a hop that is no address, so the spoofed address to its left is never reached; the
    # report is the proxy's that wrote it, so a stream of made-up names is one network, not many reporters.
    trusted = nets("10.0.0.0/8")
    assert geo.client_address("10.0.0.1", "81.2.69.142, garbage", trusted) == "10.0.0.1"
    assert geo.client_address("10.0.0.1", "81.2.69.142, unknown, 10.0.0.2", trusted) == "10.0.0.2"


def test_a_missing_remote_address_is_an_empty_client_address():
    assert geo.client_address(None, "216.160.83.56", nets("10.0.0.0/8")) == ""


# --- geo.region_for and the locators --------------------------------------------------------------

def test_region_for_prefers_a_valid_cdn_country_and_otherwise_asks_the_locator():
    locator = geo.GeoLocator(TEST_GEOIP)
    try:
        assert geo.region_for(locator, "81.2.69.142", "DE") == "DE"
        assert geo.region_for(locator, "81.2.69.142", "XX") == "GB-ENG"
        assert geo.region_for(locator, "81.2.69.142", None) == "GB-ENG"
        assert geo.region_for(locator, "not an address", None) == "unknown"
    finally:
        locator.close()


@pytest.mark.parametrize("addresses", [
    # 81.2.69.142/31 is GB-ENG, the rest of its /24 unlisted: the /24 must not be remembered from either.
    [("81.2.69.142", "GB-ENG"), ("81.2.69.1", "unknown"), ("81.2.69.143", "GB-ENG"), ("81.2.69.2", "unknown")],
    [("81.2.69.1", "unknown"), ("81.2.69.142", "GB-ENG"), ("81.2.69.2", "unknown"), ("81.2.69.143", "GB-ENG")],
    # Two neighbouring /24 networks with their own regions, each asked twice.
    [("214.0.0.5", "SG"), ("214.0.1.5", "AU-VIC"), ("214.0.0.200", "SG"), ("214.0.1.200", "AU-VIC")],
    [("2001:218::1", "JP"), ("2001:218:1::1", "JP"), ("2a02:cf40::7", "NO"), ("2001:218::2", "JP")],
    [("::ffff:81.2.69.142", "GB-ENG"), ("::ffff:81.2.69.1", "unknown"), ("::ffff:81.2.69.143", "GB-ENG")],
])
def test_remembered_networks_never_give_an_address_another_networks_region(addresses):
    locator = geo.GeoLocator(TEST_GEOIP)
    try:
        assert [(ip, locator.region(ip)) for ip, _ in addresses * 2] == addresses * 2
    finally:
        locator.close()


def test_a_reloaded_database_forgets_the_regions_remembered_from_the_old_one(tmp_path):
    path = tmp_path / "GeoLite2-City.mmdb"
    path.write_bytes(Path(TEST_GEOIP).read_bytes())
    now = [0.0]
    locator = geo.GeoLocator(str(path), clock=lambda: now[0])
    assert locator.region("2.2.3.7") == locator.region("2.2.3.8") == "GB-WBK"  # a /24 in the test file
    replacement = tmp_path / "new.mmdb"
    replacement.write_bytes(Path(_default_geoip_db()).read_bytes())
    replacement.replace(path)
    now[0] += geo.RELOAD_CHECK_SECONDS + 1
    assert locator.region("2.2.3.8") == locator.region("2.2.3.7") == "FR"


def test_open_locator_without_a_path_is_a_no_locator():
    locator = geo.open_locator("")
    assert isinstance(locator, geo.NoLocator)
    assert locator.region("81.2.69.142") == "unknown"


def test_a_replaced_database_file_is_reloaded_and_a_broken_one_keeps_the_old_data(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="aggregator.geo")
    path = tmp_path / "GeoLite2-City.mmdb"
    path.write_bytes(Path(TEST_GEOIP).read_bytes())
    now = [0.0]
    locator = geo.GeoLocator(str(path), clock=lambda: now[0])
    assert locator.region("81.2.69.142") == "GB-ENG"
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a database")
    broken.replace(path)  # geoipupdate writes aside, then renames over the old file
    now[0] += geo.RELOAD_CHECK_SECONDS + 1
    assert locator.region("81.2.69.142") == "GB-ENG"
    assert "cannot be read" in caplog.text and "reloaded" not in caplog.text
    replacement = tmp_path / "new.mmdb"
    replacement.write_bytes(Path(TEST_GEOIP).read_bytes())
    replacement.replace(path)
    now[0] += geo.RELOAD_CHECK_SECONDS + 1
    assert locator.region("216.160.83.56") == "US-WA"
    assert "reloaded" in caplog.text
