"""Reading Statuspage's incidents.json and summary.json: UTC times, display_at apart, statuses checked."""
import json

import pytest

from workers.statuspage import StatuspageError, parse_components, parse_incidents

from .statuspages import incident, incidents_doc, summary_doc, update

T = 1795694400  # 2026-11-26T12:00:00Z


def _parse(*incidents):
    return parse_incidents(json.dumps(incidents_doc(list(incidents))))


def test_times_with_the_pages_offset_are_stored_in_utc():
    doc = incidents_doc([incident("a", [update("u1", "investigating", T + 90)])])
    assert doc["incidents"][0]["created_at"] == "2026-11-26T07:01:30.000-05:00"
    [parsed] = parse_incidents(json.dumps(doc))
    assert parsed["created_at"] == "2026-11-26T12:01:30Z"
    assert parsed["updates"][0]["created_at"] == "2026-11-26T12:01:30Z"


def test_a_backdated_display_at_is_kept_apart_from_when_the_update_was_posted():
    [parsed] = _parse(incident("a", [update("u1", "investigating", T + 3600, display=T)]))
    assert parsed["updates"][0]["display_at"] == "2026-11-26T12:00:00Z"
    assert parsed["updates"][0]["created_at"] == "2026-11-26T13:00:00Z"
    assert parsed["posted_at"] == "2026-11-26T13:00:00Z", "the first post is when it was written, not shown"


def test_updates_are_ordered_oldest_first_and_the_incident_follows_the_newest():
    [parsed] = _parse(incident("a", [update("u3", "resolved", T + 600), update("u2", "identified", T + 300),
                                     update("u1", "investigating", T)], impact="critical"))
    assert [u["status"] for u in parsed["updates"]] == ["investigating", "identified", "resolved"]
    assert parsed["status"] == "resolved" and parsed["impact"] == "critical"
    assert parsed["resolved_at"] == "2026-11-26T12:10:00Z"
    assert parsed["shortlink"] == "https://stspg.io/a"


def test_an_incident_still_open_has_no_resolution():
    [parsed] = _parse(incident("a", [update("u1", "monitoring", T)]))
    assert parsed["status"] == "monitoring" and parsed["resolved_at"] is None


@pytest.mark.parametrize("payload, names", [
    (b"<html>502 Bad Gateway</html>", "not JSON"),
    (b'{"page": {}}', "'incidents'"),
    (b'{"incidents": [1]}', "objects"),
])
def test_an_answer_that_is_not_a_statuspage_document_is_refused(payload, names):
    with pytest.raises(StatuspageError, match=names):
        parse_incidents(payload)


@pytest.mark.parametrize("change, names", [
    ({"status": "on fire"}, r"incidents\[0\]\.status must be one of investigating"),
    ({"impact": 3}, r"incidents\[0\]\.impact"),
    ({"created_at": "yesterday"}, r"incidents\[0\]\.created_at is not an ISO 8601 time"),
    ({"created_at": "2026-11-26T12:00:00"}, "no UTC offset"),
    ({"incident_updates": {"id": "u1"}}, "incident_updates must be a list"),
])
def test_a_wrong_field_is_named_in_the_error(change, names):
    entry = {**incident("a", [update("u1", "investigating", T)]), **change}
    with pytest.raises(StatuspageError, match=names):
        parse_incidents(json.dumps(incidents_doc([entry])))


def test_component_statuses_are_read_from_the_summary_without_their_groups():
    doc = summary_doc([], {"API": "major_outage", "Website": "operational"})
    assert parse_components(json.dumps(doc)) == [{"id": "c0", "name": "API", "status": "major_outage"},
                                                 {"id": "c1", "name": "Website", "status": "operational"}]


def test_a_component_with_an_unknown_status_is_refused():
    doc = summary_doc([], {"API": "sideways"})
    with pytest.raises(StatuspageError, match=r"components\[1\]\.status"):
        parse_components(json.dumps(doc))
