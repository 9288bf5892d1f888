import pytest

from aggregator import create_app, metrics
from aggregator.api import batch as relay_module
from workers import keys

from .helpers import NOW, SECRET, relay_report, send_batch


def test_a_batch_is_counted_exactly_once_per_report(relay, data, run_jobs):
    reports = [relay_report(n) for n in range(300)] + [{**relay_report(n), "service": "chatgpt"} for n in range(200)]
    response = send_batch(relay, reports)
    assert response.status_code == 202
    body = response.get_json()
    assert (body["accepted"], body["counted"], body["deduped"], len(body["ids"])) == (500, 500, 0, 500)
    run_jobs()
    minute = keys.MINUTE.index(NOW)
    assert data.hget(keys.bucket("claude", keys.MINUTE, minute), "total") == "300"
    assert data.hget(keys.bucket("chatgpt", keys.MINUTE, minute), "total") == "200"


def test_relayed_text_reaches_the_stream_exactly_and_each_id_names_its_own_entry(relay, data):
    comments = ["Ünïcode ✓ 🚨", 'quotes " and \\ backslash', "new\nline", "no\u00a0break\u3000space", ""]
    reports = [relay_report(n, comment=text, symptom="login" if text else "") for n, text in enumerate(comments)]
    ids = send_batch(relay, reports).get_json()["ids"]
    for entry_id, text in zip(ids, comments):
        (_, fields), = data.xrange(keys.intake("claude"), entry_id, entry_id)
        assert fields.get("comment", "") == text
        assert fields.get("symptom", "") == ("login" if text else "")


def test_a_relayed_client_is_placed_by_its_address_unless_the_relay_names_its_region(relay, data, run_jobs):
    send_batch(relay, [relay_report(1, client="81.2.69.142"), relay_report(2, client="81.2.69.142", region="DE")])
    run_jobs()
    bucket = data.hgetall(keys.bucket("claude", keys.MINUTE, keys.MINUTE.index(NOW)))
    assert bucket["r:GB-ENG"] == "1" and bucket["c:DE"] == "1"


def test_relayed_reports_are_deduplicated_like_direct_ones_and_counted_in_metrics(relay):
    def reports(outcome):
        return metrics.LOCAL.get_sample_value("radar_reports_total", {"service": "claude", "outcome": outcome}) or 0
    before = reports("counted"), reports("deduped")
    first = send_batch(relay, [relay_report(1)]).get_json()
    again = send_batch(relay, [relay_report(1), relay_report(1)]).get_json()
    assert first["counted"] == 1 and (again["counted"], again["deduped"]) == (0, 2)
    assert (reports("counted"), reports("deduped")) == (before[0] + 1, before[1] + 2)


def test_a_bad_report_refuses_the_whole_batch_naming_it(relay, data):
    response = send_batch(relay, [relay_report(0), relay_report(1, surface="tv")])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == "reports[1].surface" and "tv" in error["message"]
    assert data.xlen(keys.intake("claude")) == 0


@pytest.mark.parametrize("report, field", [
    ({"service": "claude", "surface": "api"}, "reports[0].client"),
    ({"service": "claude", "surface": "api", "client": "not-an-ip"}, "reports[0].client"),
    ({"service": "claude", "surface": "api", "client": "198.18.0.1", "region": "<b>"}, "reports[0].region"),
    ({"service": "clade", "surface": "api", "client": "198.18.0.1"}, "reports[0].service"),
    ("just text", "reports[0]"),
])
def test_each_wrong_field_is_named(relay, report, field):
    response = send_batch(relay, [report])
    assert response.status_code == 400 and response.get_json()["error"]["field"] == field


def test_more_than_a_thousand_reports_are_refused(relay):
    response = send_batch(relay, [relay_report(n) for n in range(1001)])
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "reports"


def test_a_wrong_or_missing_key_is_unauthorized(relay):
    assert send_batch(relay, [relay_report(0)], key="wrong-key-0123456789").status_code == 401
    response = relay.post("/api/v1/reports/batch", json={"reports": [relay_report(0)]})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="relay"'


def test_the_endpoint_is_off_without_relay_keys(client):
    response = send_batch(client, [relay_report(0)])
    assert response.status_code == 403 and "RADAR_RELAY_KEYS" in response.get_json()["error"]["message"]


def test_short_relay_keys_are_refused_at_start():
    from aggregator.base.exceptions import SettingsError
    with pytest.raises(SettingsError, match="RADAR_RELAY_KEYS"):
        create_app({**SECRET, "RADAR_RELAY_KEYS": "short"})


@pytest.mark.parametrize("report, field", [
    ({"service": "claude", "surface": "api", "client": "1.2.3.4\u0000"}, "reports[0].client"),
    ({"service": "claude", "surface": "api", "client": "\ud800"}, "reports[0].client"),
    ({"service": "claude", "surface": "api", "client": "198.18.0.1", "user_agent": "\ud800"}, "reports[0].user_agent"),
])
def test_text_no_store_can_hold_is_refused_naming_its_field(relay, report, field):
    response = send_batch(relay, [report])
    assert response.status_code == 400 and response.get_json()["error"]["field"] == field


@pytest.mark.parametrize("extra", [
    {}, {"symptom": "login", "comment": "  checkout spins  "}, {"region": "GB-ENG"}, {"region": "unknown"},
    {"client": "2001:218::1"}, {"client": "81.2.69.142", "user_agent": "  Mozilla/5.0 (X11)  "},
    {"client": "::ffff:81.2.69.142"}, {"client": "81.2.69.142:5555"}, {"client": "[2001:218::1]:443"},
    {"service": "anthropic"}, {"service": " Claude "}, {"surface": "API"}, {"symptom": "Slow"}, {"symptom": ""},
    {"comment": "Ünïcode ✓"}, {"user_agent": "Ünïcode ✓"}, {"user_agent": None}, {"comment": None},
    {"comment": " " * 300 + "short"}, {"user_agent": "x" * 512},
    {"comment": "one\r\ntwo"}, {"comment": "one\rtwo"}, {"comment": "nul \u0000"}, {"comment": "x\r\n" * 140},
    {"comment": "tab\t"}, {"comment": "\u007f"},
])
def test_the_one_pass_checks_give_what_the_full_checks_give(relay, extra):
    r = relay.application.extensions["radar"]
    item = relay_report(7, **extra)
    identify = relay_module.Identify.at(r.reporters, NOW)
    quick = relay_module._quick(r, item, identify)
    assert quick is None or quick == relay_module._checked(r, item, identify)


def test_the_one_pass_checks_take_the_common_report(relay):
    r = relay.application.extensions["radar"]
    item = relay_report(7, symptom="errors", comment="down again")
    assert relay_module._quick(r, item, relay_module.Identify.at(r.reporters, NOW)) is not None


@pytest.mark.parametrize("extra, field", [
    ({"surface": ["website"]}, "reports[1].surface"), ({"service": 7}, "reports[1].service"),
    ({"symptom": "hungry"}, "reports[1].symptom"), ({"symptom": 0}, "reports[1].symptom"),
    ({"region": ""}, "reports[1].region"), ({"region": "de"}, "reports[1].region"),
    ({"client": ["198.18.0.1"]}, "reports[1].client"), ({"client": "198.18.0.1 "}, "reports[1].client"),
    ({"comment": "x" * 281}, "reports[1].comment"), ({"comment": 0}, "reports[1].comment"),
    ({"user_agent": "x" * 513}, "reports[1].user_agent"), ({"user_agent": 0}, "reports[1].user_agent"),
    ({"user_agent": False}, "reports[1].user_agent"),
])
def test_a_wrong_field_after_a_good_report_is_named_with_its_index(relay, data, extra, field):
    response = send_batch(relay, [relay_report(0), relay_report(1, **extra)])
    assert response.status_code == 400 and response.get_json()["error"]["field"] == field
    assert data.xlen(keys.intake("claude")) == 0


def test_relayed_values_are_normalised_as_for_a_direct_report(relay, data):
    reports = [relay_report(1, service=" Anthropic ", surface="Website", symptom=" LOGIN ", comment="  spins  ",
                       user_agent="  browser-1  "), relay_report(1)]
    body = send_batch(relay, reports).get_json()
    assert (body["counted"], body["deduped"]) == (1, 1)  # the padded browser is the same reporter
    (_, fields), = data.xrange(keys.intake("claude"), body["ids"][0], body["ids"][0])
    assert (fields["surface"], fields["symptom"], fields["comment"]) == ("website", "login", "spins")
