"""No raw client address is ever written to Redis; reporters are known only by a daily keyed hash whose key
Redis never holds."""
from __future__ import annotations

import hashlib
import hmac
import stat
import time
import zlib
from datetime import datetime, timezone

import pytest

from aggregator import create_app
from aggregator.base.exceptions import SettingsError
from aggregator.identity import Reporters, day_key, hkdf_sha256, hmac_hex, keyed_sha256
from aggregator.local_redis import start
from workers import keys

from .helpers import (
    CLIENTS,
    NOW,
    PROXIES,
    SECRET,
    TEST_GEOIP,
    TEST_SECRET,
    decompressed,
    everything_stored,
    leaks,
    post,
    post_from_everyone,
)

DAY = 86400

@pytest.fixture
def app(redis_server):
    """The conftest app, also trusting 10.0.0.0/8 as reverse proxies, with a rate limit whose keys are scanned."""
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, "TRUSTED_PROXIES": "10.0.0.0/8",
                      "RADAR_REPORT_RATE_LIMIT": "1000/minute"})
    app.extensions["radar"].clock = lambda: NOW
    return app


def test_the_addresses_are_believed_as_the_privacy_scan_assumes(client):
    # Guards the scan below: these requests really carry these client addresses to the app.
    regions = [a["region"] for a in post_from_everyone(client)]
    assert regions == ["GB-ENG", "GB-ENG", "JP", "unknown", "US-WA", "SE-E", "NO"]


def test_no_client_or_proxy_address_is_stored_anywhere_in_redis_before_or_after_draining(
        client, redis_server, run_jobs):
    post_from_everyone(client)
    before, types_before = everything_stored(redis_server.url)
    run_jobs()
    after, types_after = everything_stored(redis_server.url)

    # The scans saw what a report leaves behind: intake streams, dedupe marks, RQ's jobs...
    assert any(k.startswith(b"rq:job:") for k in types_before)
    assert any(k.startswith(b"rq:job:") for k in types_after)
    assert keys.intake("claude").encode() in types_before
    assert any(b":limit:" in k for k in types_before)
    assert any(b":seen:" in k for k in types_after)
    # ...and, once drained, the buckets and the comments.
    assert keys.comments("claude").encode() in types_after
    assert any(types_after[k] == "hash" and k.startswith(b"radar:{claude}:m:") for k in types_after)
    assert {"string", "hash", "stream", "set", "zset"} <= set(types_after.values())
    # RQ's job payloads were unpacked and read, not just their compressed bytes.
    assert any(b.startswith(b"\x80") and b"workers.jobs.drain_service" in b for b in after)

    assert leaks(before, CLIENTS + PROXIES) == []
    assert leaks(after, CLIENTS + PROXIES) == []


def test_the_scan_would_find_an_address_if_one_were_stored(client, data, redis_server):
    # The scan itself is checked: an address planted in each kind of value, and zlib-compressed, is found.
    post_from_everyone(client)
    data.hset("planted:hash", "where", "from 81.2.69.142")
    data.xadd("planted:stream", {"2001:0218:0000:0000:0000:0000:0000:0001": "x"})
    data.zadd("planted:zset", {"192.168.77.201": 1})
    data.rpush("planted:list", "x", "216.160.83.56")
    blobs, _ = everything_stored(redis_server.url)
    assert {address for address, _ in leaks(blobs, CLIENTS)} == {
        "81.2.69.142", "2001:218::1", "192.168.77.201", "216.160.83.56"}

    compressed = zlib.compress(b"\x80\x05\x95 pickled ('89.160.20.112',)")
    assert leaks(decompressed(compressed), CLIENTS) == [("89.160.20.112", zlib.decompress(compressed)[:200])]


# --- the reporter hash ------------------------------------------------------------------------------

def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m%d")


def test_the_reporter_hash_is_stable_for_one_address_and_browser_within_a_day():
    reporters = Reporters(TEST_SECRET)
    first = reporters.reporter("81.2.69.142", "firefox", NOW)
    assert reporters.reporter("81.2.69.142", "firefox", NOW + 60) == first
    assert "81.2.69.142" not in first
    assert len(first) == 32 and int(first, 16) >= 0


def test_the_reporter_hash_is_hmac_sha256_of_address_and_browser_under_the_days_key_from_the_secret():
    reporter = Reporters(TEST_SECRET).reporter("81.2.69.142", "firefox", NOW)
    key = hkdf_sha256(TEST_SECRET.encode(), f"outage-radar reporter key {_day(NOW)}".encode())
    assert reporter == hmac.new(key, b"81.2.69.142\0firefox", hashlib.sha256).hexdigest()[:32]


def test_the_days_key_is_derived_with_hkdf_sha256_as_rfc_5869_defines_it():
    # RFC 5869, test case 3: no salt, no info, 42 bytes (two blocks).
    okm = hkdf_sha256(bytes([0x0B] * 22), b"", 42)
    assert okm.hex() == ("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f"
                         "3c738d2d9d201395faa4b61a96c8")


@pytest.mark.parametrize("size", [0, 32, 64, 65, 200])
def test_the_precomputed_hmac_matches_the_standard_library_for_keys_of_any_length(size):
    key, message = bytes(n * 7 % 256 for n in range(size)), "81.2.69.142\0ünïcode".encode()
    assert hmac_hex(keyed_sha256(key), message) == hmac.new(key, message, hashlib.sha256).hexdigest()


def _second_app(redis_server, secret: str):
    app = create_app({**SECRET, "RADAR_SECRET": secret, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP,
                      "RADAR_REPORT_RATE_LIMIT": ""})
    app.extensions["radar"].clock = lambda: NOW
    return app.test_client()


def test_a_reporter_counted_by_one_web_process_is_deduped_by_another_with_the_same_secret(client, redis_server):
    assert post(client, {"service": "claude", "surface": "api"}).get_json()["counted"] is True
    again = post(_second_app(redis_server, TEST_SECRET), {"service": "claude", "surface": "api"})
    assert again.get_json()["counted"] is False


def test_a_web_process_with_another_secret_makes_other_reporter_hashes(client, redis_server):
    assert post(client, {"service": "claude", "surface": "api"}).get_json()["counted"] is True
    other = _second_app(redis_server, "another secret, just as long as the first one")
    assert post(other, {"service": "claude", "surface": "api"}).get_json()["counted"] is True
    assert Reporters(TEST_SECRET).reporter("81.2.69.142", "ua", NOW) != \
        Reporters("another secret, just as long as the first one").reporter("81.2.69.142", "ua", NOW)


def test_the_app_refuses_to_start_without_a_secret_naming_radar_secret(redis_server):
    with pytest.raises(SettingsError) as info:
        create_app({"REDIS_URL": redis_server.url, "RADAR_SECRET": ""})
    assert "RADAR_SECRET" in info.value.message and "secrets.token_hex(32)" in info.value.message


def test_a_different_user_agent_is_a_different_reporter():
    reporters = Reporters(TEST_SECRET)
    assert reporters.reporter("81.2.69.142", "firefox", NOW) != reporters.reporter("81.2.69.142", "chrome", NOW)


def test_a_different_address_is_a_different_reporter():
    reporters = Reporters(TEST_SECRET)
    assert reporters.reporter("81.2.69.142", "firefox", NOW) != reporters.reporter("81.2.69.143", "firefox", NOW)


def test_the_same_reporter_has_another_hash_on_another_day():
    reporters = Reporters(TEST_SECRET)
    today = reporters.reporter("81.2.69.142", "firefox", NOW)
    tomorrow = reporters.reporter("81.2.69.142", "firefox", NOW + DAY)
    assert today != tomorrow
    # Back to the first day, the first day's key is used again.
    assert reporters.reporter("81.2.69.142", "firefox", NOW) == today
    assert Reporters(TEST_SECRET).reporter("81.2.69.142", "firefox", NOW + DAY) == tomorrow


def test_the_network_and_rate_limit_hashes_change_with_the_day_too():
    reporters = Reporters(TEST_SECRET)
    assert reporters.networks_at(NOW)("81.2.69.0/24") != reporters.networks_at(NOW + DAY)("81.2.69.0/24")
    assert reporters.client_key("81.2.69.142", NOW) != reporters.client_key("81.2.69.142", NOW + DAY)


def test_reports_either_side_of_midnight_each_hash_with_their_own_days_key():
    midnight = (NOW // 86400 + 1) * 86400
    times = [midnight - 1, midnight + 1, midnight - 2, midnight + 2]
    shared = Reporters(TEST_SECRET)
    hashes = [shared.reporter("198.18.0.1", "browser", t) for t in times]
    assert hashes == [Reporters(TEST_SECRET).reporter("198.18.0.1", "browser", t) for t in times]
    assert hashes[0] == hashes[2] != hashes[1] == hashes[3]


# --- nothing in Redis lets anyone test a guess --------------------------------------------------------

def test_a_report_leaves_the_hash_behind_and_no_key(client, data):
    response = client.post("/api/v1/reports", json={"service": "claude", "surface": "website"},
                           headers={"User-Agent": "firefox"}, environ_base={"REMOTE_ADDR": "81.2.69.142"})
    assert response.status_code == 202
    assert data.exists(keys.seen("claude", Reporters(TEST_SECRET).reporter("81.2.69.142", "firefox", NOW)))
    assert list(data.scan_iter(match="radar:salt:*")) == []


def test_no_value_in_redis_holds_the_secret_or_a_days_key_after_reports(client, redis_server, run_jobs):
    post_from_everyone(client)
    run_jobs()
    blobs, types = everything_stored(redis_server.url)
    assert any(b":seen:" in k for k in types) and any(b":limit:" in k for k in types)
    secrets = [TEST_SECRET.encode()]
    for day in {_day(NOW - DAY), _day(NOW), _day(time.time()), _day(NOW + DAY)}:
        key = day_key(TEST_SECRET, day)
        secrets += [key, key.hex().encode(), key.hex().upper().encode()]
    assert [blob[:80] for blob in blobs if any(secret in blob for secret in secrets)] == []


def test_the_embedded_redis_keeps_its_files_and_directory_to_its_owner(tmp_path):
    directory = tmp_path / "var"
    directory.mkdir(mode=0o755)
    server = start(directory)
    try:
        app = create_app({**SECRET, "REDIS_URL": server.url, "GEOIP_DB": TEST_GEOIP})
        assert post(app.test_client(), {"service": "claude", "surface": "api", "comment": "down"}).status_code == 202
        data = app.extensions["radar"].data
        data.bgsave()
        data.bgrewriteaof()
        deadline = time.monotonic() + 30
        busy = ("rdb_bgsave_in_progress", "aof_rewrite_scheduled", "aof_rewrite_in_progress")
        while any(data.info("persistence")[name] for name in busy) or not (directory / "dump.rdb").exists():
            assert time.monotonic() < deadline, "Redis did not finish saving"
            time.sleep(0.1)
    finally:
        server.stop()
    written = [path for path in directory.rglob("*") if not path.is_socket()]
    assert {"dump.rdb", "redis.log"} <= {path.name for path in written}
    assert any(path.name.startswith("appendonly") for path in written)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert [(path.name, oct(path.stat().st_mode)) for path in written if path.stat().st_mode & 0o077] == []
