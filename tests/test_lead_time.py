"""Crowd lead time: an outage replayed through intake, a status page that catches up later, and the link between."""
import json
import time

import pytest

from workers import incidents, official
from workers.detect import State
from workers.incidents import search
from workers.lead import link, linked, matches, table
from workers.poller import poll_page
from workers.statuspage import parse_incidents

from .helpers import at_minute, evaluate_after, iso, report_outage, seed_history
from .statuspages import LOCAL, StatusPage, incident, incidents_doc, update

HOUR = 3600


def _crowd(iid, opened, resolved, state="outage"):
    return {"id": iid, "service": "claude", "opened_at": iso(opened),
            "resolved_at": None if resolved is None else iso(resolved), "worst_state": state}


def _official(oid, started, resolved=None, posted=None):
    return {"id": oid, "name": oid, "started_at": iso(started), "posted_at": iso(posted or started),
            "resolved_at": None if resolved is None else iso(resolved)}


@pytest.mark.parametrize("official, linked", [
    (_official("overlaps", at_minute(20), at_minute(90)), True),
    (_official("was-first", at_minute(0), at_minute(15)), True),
    (_official("still-open", at_minute(-600)), True),
    (_official("after-it-within-the-window", at_minute(200), at_minute(300)), True),
    (_official("after-the-window", at_minute(10 + 361), at_minute(400)), False),
    (_official("over-before-it-began", at_minute(-100), at_minute(9)), False),
])
def test_an_official_incident_matches_a_crowd_incident_it_overlaps_or_that_began_shortly_before_it(official, linked):
    assert matches(_crowd("c", at_minute(10), at_minute(30)), official, 360 * 60) is linked


def test_an_open_crowd_incident_matches_an_official_incident_posted_while_it_lasts():
    assert matches(_crowd("c", at_minute(10), None), _official("later", at_minute(10 + 600)), 60)


def test_of_several_matches_the_one_the_vendor_posted_first_is_linked():
    crowd = _crowd("c", at_minute(10), at_minute(30))
    first = _official("a", at_minute(5), posted=at_minute(40))
    second = _official("b", at_minute(20), posted=at_minute(25))
    assert link(crowd, [first, second], 3600)["id"] == "b"


def test_the_table_lists_lead_times_and_the_incidents_the_vendor_never_acknowledged():
    acknowledged, ignored, ongoing = (_crowd("seen", at_minute(10), at_minute(30)),
                                      _crowd("ignored", at_minute(1000), at_minute(1020)),
                                      _crowd("ongoing", at_minute(5000), None))
    posted = _official("o", at_minute(40), at_minute(120))
    result = table([linked(c, [posted], 60 * 60) for c in (ongoing, ignored, acknowledged)])
    assert [(r["incident_id"], r["lead_time_seconds"]) for r in result["lead_times"]] == [
        ("ongoing", None), ("ignored", None), ("seen", 1800)]
    assert [r["incident_id"] for r in result["never_acknowledged"]] == ["ignored"], \
        "an open incident may still be acknowledged"
    assert result["median_lead_time_seconds"] == 1800


def test_an_outage_found_by_the_crowd_is_linked_to_the_vendors_later_incident_with_its_lead_time(app, client, data):
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5)
    report_outage(data, range(10, 30))
    radar = app.extensions["radar"]
    vendor = [update("u1", "investigating", at_minute(40), display=at_minute(12), body="We are looking into errors.")]
    with StatusPage() as page:
        for minute, status in ((45, None), (50, "investigating"), (80, "identified"), (130, "resolved")):
            if status == "identified":
                vendor.insert(0, update("u2", "identified", at_minute(75)))
            elif status == "resolved":
                vendor.insert(0, update("u3", "resolved", at_minute(125)))
            if status:
                page.publish([incident("vendor1", vendor)], {"Website": "major_outage"})
            else:
                page.publish([])
            evaluate_after(data, minute)
            assert poll_page(data, ["claude"], page.url, 120, 2, at_minute(minute), LOCAL) == "ok"
            radar.clock = lambda minute=minute: at_minute(minute, 30)
            [crowd] = client.get("/api/v1/incidents?service=claude&country=none").get_json()["incidents"]
            assert crowd["opened_at"] == iso(at_minute(10))
            if status is None:
                assert crowd["official"] is None and crowd["lead_time_seconds"] is None
                board = client.get(f"/dashboard/claude/data?range=6h&to={iso(at_minute(minute))}").get_json()
                assert crowd["resolved_at"] is None and "not posted by the vendor yet" in board["panels"]["incidents"]
                continue
            assert crowd["official"]["status"] == status
            assert crowd["lead_time_seconds"] == 30 * 60, "the first update's created_at, not its backdated display_at"

    linked = client.get(f"/api/v1/incidents/{crowd['id']}").get_json()
    assert linked["lead_time_seconds"] == 1800
    official = linked["official"]
    assert official["id"] == "vendor1" and official["resolved_at"] == iso(at_minute(125))
    assert [(u["status"], u["created_at"]) for u in official["updates"]] == [
        ("investigating", iso(at_minute(40))), ("identified", iso(at_minute(75))), ("resolved", iso(at_minute(125)))]
    assert official["updates"][0]["display_at"] == iso(at_minute(12))
    assert {k: v for k, v in linked.items() if k not in ("official", "lead_time_seconds")} == \
        search(data, service="claude", country="none")[0]

    # A second outage that the vendor never posts about.
    evaluate_after(data, 190)
    report_outage(data, range(200, 220))
    evaluate_after(data, 250)
    radar.clock = lambda: at_minute(250)
    answer = client.get("/api/v1/services/claude/official").get_json()
    assert [(r["opened_at"], r["lead_time_seconds"], r["official_id"]) for r in answer["lead_times"]] == [
        (iso(at_minute(200)), None, None), (iso(at_minute(10)), 1800, "vendor1")]
    assert [r["opened_at"] for r in answer["never_acknowledged"]] == [iso(at_minute(200))]
    assert answer["median_lead_time_seconds"] == 1800
    assert answer["components"] == [{"id": "c0", "name": "Website", "status": "major_outage"}]
    assert answer["statuspage_api"] == "https://status.anthropic.com" and answer["error"] is None

    # The dashboard: the vendor's posts on the spike chart, the lead time on the incident, the disagreement.
    board = client.get(f"/dashboard/claude/data?range=6h&to={iso(at_minute(250))}").get_json()
    notes = [a["text"] for a in board["figures"]["spike"]["layout"]["annotations"]]
    assert [n for n in notes if n.split()[0] in ("Investigating", "Identified", "Resolved")] == [
        f"Investigating {iso(at_minute(40))[11:16]}", f"Identified {iso(at_minute(75))[11:16]}",
        f"Resolved {iso(at_minute(125))[11:16]}"]
    assert "the crowd knew 30 min earlier" in board["panels"]["incidents"]
    assert f"identified (“Elevated errors”) at <time datetime=\"{iso(at_minute(75))}\">" in board["panels"]["spike"]
    assert "not posted by the vendor</td>" in board["panels"]["incidents"], "no 'yet' once it is over"
    assert ("Over its last 2 service-wide incidents the crowd knew a median 30 min before the official status page "
            "posted;\n  1 resolved without a post from the vendor.") in board["panels"]["incidents"]
    assert board["snapshot"]["lead"] == {"incidents": 2, "median_seconds": 1800, "never": 1}
    overview = client.get("/dashboard/data").get_json()
    [row] = [r for r in overview["rows"] if r["slug"] == "claude"]
    assert row["status"]["state"] == "ok" and row["official"]["label"] == "major outage"
    assert "crowd: ok · official: major outage" in overview["html"]


def test_a_service_without_a_status_page_has_no_table_and_no_unacknowledged_incidents(client):
    assert client.get("/dashboard/slack/data").get_json()["snapshot"]["lead"] is None
    answer = client.get("/api/v1/services/slack/official").get_json()
    assert answer == {"service": "slack", "statuspage_api": None, "polled_at": None, "ok_at": None, "error": None,
                      "components": None, "lead_times": [], "median_lead_time_seconds": None,
                      "never_acknowledged": []}


def test_an_unknown_service_has_no_official_side(client):
    response = client.get("/api/v1/services/nope/official")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_service"


def _stored_outages(data, onsets):
    """Resolved half-hour crowd outages of claude at these times, and one official incident posted about each."""
    with data.pipeline(transaction=False) as pipe:
        for onset in onsets:
            crowd = incidents.open_incident("claude", None, State.OUTAGE, onset, onset + 120)
            incidents.resolve(crowd, onset + 1800)
            incidents.save(pipe, crowd, time.time())
        pipe.execute()
    posts = [incident(f"vendor{n}", [update(f"u{n}", "resolved", onset + 600)]) for n, onset in enumerate(onsets)]
    official.store_incidents(data, "claude", parse_incidents(json.dumps(incidents_doc(posts))), time.time())


def test_the_lead_time_table_holds_the_incidents_with_an_onset_from_to_and_at_most_limit(client, data):
    onsets = [at_minute(0), at_minute(600), at_minute(1200), at_minute(1800)]
    _stored_outages(data, onsets)

    def listed(query):
        answer = client.get(f"/api/v1/services/claude/official?{query}").get_json()
        return [row["official_id"] for row in answer["lead_times"]]

    assert listed("") == ["vendor3", "vendor2", "vendor1", "vendor0"]
    assert listed(f"from={iso(at_minute(600))}&to={iso(at_minute(1800))}") == ["vendor2", "vendor1"]
    assert listed(f"from={int(at_minute(1200))}") == ["vendor3", "vendor2"]
    assert listed("limit=3") == ["vendor3", "vendor2", "vendor1"]
    assert listed(f"to={iso(at_minute(1800))}&limit=1") == ["vendor2"]


@pytest.mark.parametrize("query, field", [
    ("from=yesterday", "from"), ("to=1e99", "to"), ("from=2026-11-26T12:00:00Z&to=2026-11-26T11:00:00Z", "from"),
    ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"), ("limit=-1", "limit"),
])
def test_a_wrong_range_or_limit_of_the_lead_time_table_is_a_400_naming_the_field(client, query, field):
    response = client.get(f"/api/v1/services/claude/official?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["field"] == field, error
