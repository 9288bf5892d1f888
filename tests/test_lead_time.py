"""Crowd lead time: an outage replayed through intake, a status page that catches up later, and the link between."""
import json
import time

import pytest

from workers import incidents, official
from workers.detect import State
from workers.drain import drain
from workers.incidents import search
from workers.lead import link, linked, matches, table
from workers.poller import poll_page
from workers.statuspage import parse_incidents

from .statuspages import LOCAL, StatusPage, incident, incidents_doc, update
from .test_incidents import _at, _evaluate, _history, _iso, _submit

HOUR = 3600


def _crowd(iid, opened, resolved, state="outage"):
    return {"id": iid, "service": "claude", "opened_at": _iso(opened),
            "resolved_at": None if resolved is None else _iso(resolved), "worst_state": state}


def _official(oid, started, resolved=None, posted=None):
    return {"id": oid, "name": oid, "started_at": _iso(started), "posted_at": _iso(posted or started),
            "resolved_at": None if resolved is None else _iso(resolved)}


@pytest.mark.parametrize("official, linked", [
    (_official("overlaps", _at(20), _at(90)), True),
    (_official("was-first", _at(0), _at(15)), True),
    (_official("still-open", _at(-600)), True),
    (_official("after-it-within-the-window", _at(200), _at(300)), True),
    (_official("after-the-window", _at(10 + 361), _at(400)), False),
    (_official("over-before-it-began", _at(-100), _at(9)), False),
])
def test_an_official_incident_matches_a_crowd_incident_it_overlaps_or_that_began_shortly_before_it(official, linked):
    assert matches(_crowd("c", _at(10), _at(30)), official, 360 * 60) is linked


def test_an_open_crowd_incident_matches_an_official_incident_posted_while_it_lasts():
    assert matches(_crowd("c", _at(10), None), _official("later", _at(10 + 600)), 60)


def test_of_several_matches_the_one_the_vendor_posted_first_is_linked():
    crowd = _crowd("c", _at(10), _at(30))
    first, second = _official("a", _at(5), posted=_at(40)), _official("b", _at(20), posted=_at(25))
    assert link(crowd, [first, second], 3600)["id"] == "b"


def test_the_table_lists_lead_times_and_the_incidents_the_vendor_never_acknowledged():
    acknowledged, ignored, ongoing = (_crowd("seen", _at(10), _at(30)), _crowd("ignored", _at(1000), _at(1020)),
                                      _crowd("ongoing", _at(5000), None))
    posted = _official("o", _at(40), _at(120))
    result = table([linked(c, [posted], 60 * 60) for c in (ongoing, ignored, acknowledged)])
    assert [(r["incident_id"], r["lead_time_seconds"]) for r in result["lead_times"]] == [
        ("ongoing", None), ("ignored", None), ("seen", 1800)]
    assert [r["incident_id"] for r in result["never_acknowledged"]] == ["ignored"], \
        "an open incident may still be acknowledged"
    assert result["median_lead_time_seconds"] == 1800


def _outage(data, minutes):
    for minute in minutes:
        _submit(data, minute, 40)
    drain(data, "claude")


def test_an_outage_found_by_the_crowd_is_linked_to_the_vendors_later_incident_with_its_lead_time(app, client, data):
    _history(data, {"total": 120, "c:GB": 120})
    _evaluate(data, 5)
    _outage(data, range(10, 30))
    radar = app.extensions["radar"]
    vendor = [update("u1", "investigating", _at(40), display=_at(12), body="We are looking into errors.")]
    with StatusPage() as page:
        for minute, status in ((45, None), (50, "investigating"), (80, "identified"), (130, "resolved")):
            if status == "identified":
                vendor.insert(0, update("u2", "identified", _at(75)))
            elif status == "resolved":
                vendor.insert(0, update("u3", "resolved", _at(125)))
            if status:
                page.publish([incident("vendor1", vendor)], {"Website": "major_outage"})
            else:
                page.publish([])
            _evaluate(data, minute)
            assert poll_page(data, ["claude"], page.url, 120, 2, _at(minute), LOCAL) == "ok"
            radar.clock = lambda minute=minute: _at(minute, 30)
            [crowd] = client.get("/api/v1/incidents?service=claude&country=none").get_json()["incidents"]
            assert crowd["opened_at"] == _iso(_at(10))
            if status is None:
                assert crowd["official"] is None and crowd["lead_time_seconds"] is None
                board = client.get(f"/dashboard/claude/data?range=6h&to={_iso(_at(minute))}").get_json()
                assert crowd["resolved_at"] is None and "not posted by the vendor yet" in board["panels"]["incidents"]
                continue
            assert crowd["official"]["status"] == status
            assert crowd["lead_time_seconds"] == 30 * 60, "the first update's created_at, not its backdated display_at"

    linked = client.get(f"/api/v1/incidents/{crowd['id']}").get_json()
    assert linked["lead_time_seconds"] == 1800
    official = linked["official"]
    assert official["id"] == "vendor1" and official["resolved_at"] == _iso(_at(125))
    assert [(u["status"], u["created_at"]) for u in official["updates"]] == [
        ("investigating", _iso(_at(40))), ("identified", _iso(_at(75))), ("resolved", _iso(_at(125)))]
    assert official["updates"][0]["display_at"] == _iso(_at(12))
    assert {k: v for k, v in linked.items() if k not in ("official", "lead_time_seconds")} == \
        search(data, service="claude", country="none")[0]

    # A second outage that the vendor never posts about.
    _evaluate(data, 190)
    _outage(data, range(200, 220))
    _evaluate(data, 250)
    radar.clock = lambda: _at(250)
    answer = client.get("/api/v1/services/claude/official").get_json()
    assert [(r["opened_at"], r["lead_time_seconds"], r["official_id"]) for r in answer["lead_times"]] == [
        (_iso(_at(200)), None, None), (_iso(_at(10)), 1800, "vendor1")]
    assert [r["opened_at"] for r in answer["never_acknowledged"]] == [_iso(_at(200))]
    assert answer["median_lead_time_seconds"] == 1800
    assert answer["components"] == [{"id": "c0", "name": "Website", "status": "major_outage"}]
    assert answer["statuspage_api"] == "https://status.anthropic.com" and answer["error"] is None

    # The dashboard: the vendor's posts on the spike chart, the lead time on the incident, the disagreement.
    board = client.get(f"/dashboard/claude/data?range=6h&to={_iso(_at(250))}").get_json()
    notes = [a["text"] for a in board["figures"]["spike"]["layout"]["annotations"]]
    assert [n for n in notes if n.split()[0] in ("Investigating", "Identified", "Resolved")] == [
        f"Investigating {_iso(_at(40))[11:16]}", f"Identified {_iso(_at(75))[11:16]}",
        f"Resolved {_iso(_at(125))[11:16]}"]
    assert "the crowd knew 30 min earlier" in board["panels"]["incidents"]
    assert f"identified (“Elevated errors”) at <time datetime=\"{_iso(_at(75))}\">" in board["panels"]["spike"]
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
    onsets = [_at(0), _at(600), _at(1200), _at(1800)]
    _stored_outages(data, onsets)

    def listed(query):
        answer = client.get(f"/api/v1/services/claude/official?{query}").get_json()
        return [row["official_id"] for row in answer["lead_times"]]

    assert listed("") == ["vendor3", "vendor2", "vendor1", "vendor0"]
    assert listed(f"from={_iso(_at(600))}&to={_iso(_at(1800))}") == ["vendor2", "vendor1"]
    assert listed(f"from={int(_at(1200))}") == ["vendor3", "vendor2"]
    assert listed("limit=3") == ["vendor3", "vendor2", "vendor1"]
    assert listed(f"to={_iso(_at(1800))}&limit=1") == ["vendor2"]


@pytest.mark.parametrize("query, field", [
    ("from=yesterday", "from"), ("to=1e99", "to"), ("from=2026-11-26T12:00:00Z&to=2026-11-26T11:00:00Z", "from"),
    ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"), ("limit=-1", "limit"),
])
def test_a_wrong_range_or_limit_of_the_lead_time_table_is_a_400_naming_the_field(client, query, field):
    response = client.get(f"/api/v1/services/claude/official?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["field"] == field, error
