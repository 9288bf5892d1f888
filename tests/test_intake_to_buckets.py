from workers import keys

from .helpers import NOW, post


def test_a_report_is_answered_with_its_id_region_and_count(client):
    response = post(client, {"service": "claude", "surface": "website", "symptom": "login"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["service"] == "claude"
    assert body["surface"] == "website"
    assert body["region"] == "GB-ENG"
    assert body["counted"] is True
    assert body["reports_last_hour"] == 1
    assert body["id"]


def test_drained_reports_land_in_minute_quarter_and_hour_buckets(client, data, run_jobs):
    post(client, {"service": "claude", "surface": "website", "symptom": "login"}, ip="81.2.69.142")
    post(client, {"service": "claude", "surface": "api"}, ip="216.160.83.56")
    post(client, {"service": "claude", "surface": "website", "symptom": "errors"}, ip="10.0.0.1")
    run_jobs()
    for resolution in keys.RESOLUTIONS.values():
        bucket = data.hgetall(keys.bucket("claude", resolution, resolution.index(NOW)))
        assert bucket == {
            "total": "3", "s:website": "2", "s:api": "1", "y:login": "1", "y:errors": "1",
            "c:GB": "1", "c:US": "1", "c:unknown": "1", "r:GB-ENG": "1", "r:US-WA": "1",
            "cs:GB:website": "1", "cs:US:api": "1", "cs:unknown:website": "1", "o:api": "3",
        }
    assert data.xlen(keys.intake("claude")) == 0


def test_reports_of_other_services_stay_apart(client, data, run_jobs):
    post(client, {"service": "claude", "surface": "website"})
    post(client, {"service": "chatgpt", "surface": "mobile"})
    run_jobs()
    minute = keys.MINUTE.index(NOW)
    assert data.hget(keys.bucket("claude", keys.MINUTE, minute), "s:website") == "1"
    assert data.hget(keys.bucket("chatgpt", keys.MINUTE, minute), "s:mobile") == "1"
    assert data.hget(keys.bucket("claude", keys.MINUTE, minute), "s:mobile") is None


def test_reports_last_hour_counts_drained_reports(client, run_jobs):
    for n in range(3):
        post(client, {"service": "claude", "surface": "website"}, ua=f"browser-{n}")
    run_jobs()
    body = post(client, {"service": "claude", "surface": "website"}, ua="browser-new").get_json()
    assert body["reports_last_hour"] == 4


def test_an_alias_reports_the_service_it_names(client):
    body = post(client, {"service": "Anthropic", "surface": "api"}).get_json()
    assert body["service"] == "claude"


def test_the_stream_entry_written_by_intake_is_the_one_entry_fields_describe(client, data):
    from workers.buckets import Entry
    post(client, {"service": "claude", "surface": "api", "symptom": "slow", "comment": "it hangs"}, ip="81.2.69.142")
    post(client, {"service": "claude", "surface": "website"}, ua="other")
    (_, full), (_, bare) = data.xrange(keys.intake("claude"))
    assert full == Entry(ts=NOW, surface="api", symptom="slow", region="GB-ENG", comment="it hangs").to_fields()
    assert bare == Entry(ts=NOW, surface="website", region="GB-ENG").to_fields()
