"""Every key expires with its retention; only the intake streams, the durable queue, have no TTL."""
import time

from workers import keys

from .helpers import NOW, post


def test_every_key_but_the_intake_streams_has_a_ttl(client, data, run_jobs):
    post(client, {"service": "claude", "surface": "website", "comment": "login loops"}, ua="a")
    post(client, {"service": "claude", "surface": "website"}, ua="a")
    post(client, {"service": "gemini", "surface": "api", "symptom": "slow"}, ua="b")
    run_jobs()
    names = list(data.scan_iter("radar:*"))
    assert any(":seen:" in n for n in names) and any(":comments" in n for n in names)
    for name in names:
        if name.endswith(":intake"):
            assert data.ttl(name) == -1
        else:
            assert data.ttl(name) > 0, name


def test_buckets_expire_at_their_end_plus_their_retention(client, data, run_jobs):
    post(client, {"service": "claude", "surface": "website"})
    run_jobs()
    for resolution in keys.RESOLUTIONS.values():
        index = resolution.index(NOW)
        ttl = data.ttl(keys.bucket("claude", resolution, index))
        expected = (index + 1) * resolution.seconds + resolution.retention
        assert abs(ttl - (expected - time.time())) < 5


def test_comments_are_kept_apart_from_the_counts(client, data, run_jobs):
    post(client, {"service": "claude", "surface": "mobile", "comment": "app shows a blank screen"})
    run_jobs()
    (entry_id, fields), = data.xrange(keys.comments("claude"))
    assert fields["text"] == "app shows a blank screen"
    assert fields["surface"] == "mobile"
    assert "comment" not in str(data.hgetall(keys.bucket("claude", keys.MINUTE, keys.MINUTE.index(NOW))))
