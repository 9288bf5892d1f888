"""No raw client address is ever written to Redis; reporters are known only by a daily keyed hash."""
from __future__ import annotations

import hashlib
import hmac
import zlib

import pytest

from aggregator import create_app
from aggregator.identity import SALT_TTL, Reporters, hmac_hex, keyed_sha256
from workers import keys

from .helpers import CLIENTS, NOW, PROXIES, TEST_GEOIP, decompressed, everything_stored, leaks, post_from_everyone

DAY = 86400

@pytest.fixture
def app(redis_server):
    """The conftest app, also trusting 10.0.0.0/8 as reverse proxies, with a rate limit whose keys are scanned."""
    app = create_app({"REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, "TRUSTED_PROXIES": "10.0.0.0/8",
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

    # The scans saw what a report leaves behind: intake streams, dedupe marks, the salt, RQ's jobs...
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

def test_the_reporter_hash_is_stable_for_one_address_and_browser_within_a_day(data):
    reporters = Reporters(data)
    first = reporters.reporter("81.2.69.142", "firefox", NOW)
    assert reporters.reporter("81.2.69.142", "firefox", NOW + 60) == first
    assert "81.2.69.142" not in first
    assert len(first) == 32 and int(first, 16) >= 0


def test_the_reporter_hash_is_hmac_sha256_of_address_and_browser_under_the_days_key(data):
    reporter = Reporters(data).reporter("81.2.69.142", "firefox", NOW)
    (salt,) = data.scan_iter(match=keys.daily_salt("*"))
    key = bytes.fromhex(data.get(salt))
    assert reporter == hmac.new(key, b"81.2.69.142\0firefox", hashlib.sha256).hexdigest()[:32]


@pytest.mark.parametrize("size", [0, 32, 64, 65, 200])
def test_the_precomputed_hmac_matches_the_standard_library_for_keys_of_any_length(size):
    key, message = bytes(n * 7 % 256 for n in range(size)), "81.2.69.142\0ünïcode".encode()
    assert hmac_hex(keyed_sha256(key), message) == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_every_web_process_makes_the_same_reporter_hash_from_the_shared_daily_key(data):
    assert Reporters(data).reporter("2001:218::1", "safari", NOW) == \
        Reporters(data).reporter("2001:218::1", "safari", NOW)


def test_a_different_user_agent_is_a_different_reporter(data):
    reporters = Reporters(data)
    assert reporters.reporter("81.2.69.142", "firefox", NOW) != reporters.reporter("81.2.69.142", "chrome", NOW)


def test_a_different_address_is_a_different_reporter(data):
    reporters = Reporters(data)
    assert reporters.reporter("81.2.69.142", "firefox", NOW) != reporters.reporter("81.2.69.143", "firefox", NOW)


def test_the_same_reporter_has_another_hash_on_another_day(data):
    reporters = Reporters(data)
    today = reporters.reporter("81.2.69.142", "firefox", NOW)
    tomorrow = reporters.reporter("81.2.69.142", "firefox", NOW + DAY)
    assert today != tomorrow
    # Back to the first day, the first day's key is used again.
    assert reporters.reporter("81.2.69.142", "firefox", NOW) == today
    assert Reporters(data).reporter("81.2.69.142", "firefox", NOW + DAY) == tomorrow


def test_the_days_salt_key_expires(data):
    Reporters(data).reporter("81.2.69.142", "firefox", NOW)
    Reporters(data).reporter("81.2.69.142", "firefox", NOW + DAY)
    salts = sorted(data.scan_iter(match=keys.daily_salt("*")))
    assert len(salts) == 2
    for salt in salts:
        assert 0 < data.ttl(salt) <= SALT_TTL
    assert SALT_TTL <= 2 * DAY


def test_a_report_leaves_only_a_salt_with_a_ttl_and_the_hash_behind(client, data):
    response = client.post("/api/v1/reports", json={"service": "claude", "surface": "website"},
                           headers={"User-Agent": "firefox"}, environ_base={"REMOTE_ADDR": "81.2.69.142"})
    assert response.status_code == 202
    salts = list(data.scan_iter(match=keys.daily_salt("*")))
    assert len(salts) == 1 and data.ttl(salts[0]) > 0
    reporter = Reporters(data).reporter("81.2.69.142", "firefox", NOW)
    assert data.exists(keys.seen("claude", reporter))


def test_processes_agree_on_a_new_day_key_within_a_minute_after_redis_lost_it(data):
    from aggregator.identity import REFRESH_SECONDS, Reporters

    now = 1_800_000_000.0
    first, second = Reporters(data), Reporters(data)
    assert first.reporter("192.0.2.1", "ua", now) == second.reporter("192.0.2.1", "ua", now)
    data.flushall()
    third = Reporters(data)
    later = now + REFRESH_SECONDS + 1
    assert first.reporter("192.0.2.1", "ua", later) == third.reporter("192.0.2.1", "ua", later)


def test_reports_either_side_of_midnight_each_hash_with_their_own_days_key(data):
    midnight = (NOW // 86400 + 1) * 86400
    times = [midnight - 1, midnight + 1, midnight - 2, midnight + 2]
    shared = Reporters(data)
    hashes = [shared.reporter("198.18.0.1", "browser", t) for t in times]
    assert hashes == [Reporters(data).reporter("198.18.0.1", "browser", t) for t in times]
    assert hashes[0] == hashes[2] != hashes[1] == hashes[3]
