"""The status and incident endpoints: shapes, filters, ordering, and the 400/404 answers."""

import pytest

from workers import incidents

from .helpers import T0, api_error, at_minute, evaluate_after, iso, report_outage, seed_history, store_incident

DAY = 86400


@pytest.fixture
def stored(data):
    """Five incidents over five days: two services, one country, open and resolved, degraded and outage."""
    base = T0 - 5 * DAY
    return {
        "old": store_incident(data, "claude", base, state="degraded", resolved=base + 3600),
        "de": store_incident(data, "claude", base + DAY, country="DE", resolved=base + DAY + 1800),
        "gpt": store_incident(data, "chatgpt", base + 2 * DAY, resolved=base + 2 * DAY + 600),
        "mid": store_incident(data, "claude", base + 3 * DAY, resolved=base + 3 * DAY + 900),
        "now": store_incident(data, "claude", base + 4 * DAY, state="degraded"),
    }


def _ids(client, **params):
    response = client.get("/api/v1/incidents", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [i["id"] for i in response.get_json()["incidents"]]


# --- status

def test_a_service_never_evaluated_is_ok_with_nothing_known(client):
    body = client.get("/api/v1/services/claude/status").get_json()
    assert body == {"service": "claude", "name": "Claude", "state": "ok", "score": None, "current": None, "baseline": None,
                    "since": None, "incident_id": None, "baseline_quality": None, "evaluated_at": None,
                    "countries": []}


def test_the_status_of_a_service_in_an_outage_names_its_incident_and_countries(client, data):
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5)
    report_outage(data, range(10, 16))
    evaluate_after(data, 15)
    body = client.get("/api/v1/services/Anthropic/status").get_json()
    [incident] = incidents.search(data, service="claude", country="none")
    assert body["service"] == "claude"
    assert body["state"] == "outage"
    assert body["incident_id"] == incident["id"]
    assert body["since"] == iso(at_minute(10))
    assert body["current"] == 40 and body["baseline"] == 2.0 and body["score"] > 12
    assert body["baseline_quality"] == "weekly"
    assert body["evaluated_at"] == iso(at_minute(16, 15))
    [gb] = body["countries"]
    assert gb["country"] == "GB" and gb["state"] == "outage" and gb["incident_id"].startswith("claude.GB.")


def test_the_status_of_every_service_comes_in_one_call_in_catalog_order(app, client, data):
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5)
    services = client.get("/api/v1/status").get_json()["services"]
    assert [s["service"] for s in services] == app.extensions["radar"].catalog.slugs
    by_slug = {s["service"]: s for s in services}
    assert by_slug["claude"]["evaluated_at"] == iso(at_minute(6, 15))
    assert by_slug["claude"]["baseline_quality"] == "weekly"
    assert by_slug["chatgpt"]["state"] == "ok" and by_slug["chatgpt"]["evaluated_at"] is None


def test_the_status_of_an_unknown_service_is_a_404(client):
    error = api_error(client.get("/api/v1/services/nope/status"), 404)
    assert error["code"] == "unknown_service"


# --- incidents

def test_incidents_come_newest_first(client, stored):
    assert _ids(client) == [stored[k]["id"] for k in ("now", "mid", "gpt", "de", "old")]


def test_incidents_are_filtered_by_service_alias_and_country(client, stored):
    assert _ids(client, service="OpenAI") == [stored["gpt"]["id"]]
    assert _ids(client, service="claude", country="de") == [stored["de"]["id"]]
    assert _ids(client, service="claude", country="none") == [stored[k]["id"] for k in ("now", "mid", "old")]


@pytest.mark.parametrize("state, expected", [
    ("open", ["now"]),
    ("resolved", ["mid", "gpt", "de", "old"]),
    ("degraded", ["now", "old"]),
    ("outage", ["mid", "gpt", "de"]),
])
def test_incidents_are_filtered_by_status_or_by_the_worst_state_reached(client, stored, state, expected):
    assert _ids(client, state=state) == [stored[k]["id"] for k in expected]


def test_incidents_are_filtered_by_onset_from_inclusive_to_exclusive(client, stored):
    start = iso(incidents.onset_of(stored["de"]))
    end = incidents.onset_of(stored["mid"])
    assert _ids(client, **{"from": start, "to": str(end)}) == [stored["gpt"]["id"], stored["de"]["id"]]


def test_limit_keeps_the_newest(client, stored):
    assert _ids(client, limit="2") == [stored["now"]["id"], stored["mid"]["id"]]
    assert _ids(client, limit="1", state="resolved", service="claude") == [stored["mid"]["id"]]


def test_an_incident_is_returned_whole_by_its_id(client, stored):
    incident = stored["de"]
    body = client.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert body == {**incident, "lead_time_seconds": None, "official": None}
    assert body["country"] == "DE" and body["status"] == "resolved"
    assert body["peak"] == {"count": 40, "expected": 2.0, "at": body["opened_at"]}
    assert body["changes"] == [{"at": body["opened_at"], "state": "outage"}, {"at": body["resolved_at"], "state": "ok"}]


@pytest.mark.parametrize("incident_id", ["claude.20200101T0000Z", "nope.20200101T0000Z", "not-an-id"])
def test_an_unknown_incident_is_a_404_in_the_error_shape(client, incident_id):
    error = api_error(client.get(f"/api/v1/incidents/{incident_id}"), 404)
    assert error == {"code": "unknown_incident", "message": f"no incident '{incident_id}'", "field": None}


@pytest.mark.parametrize("params, field", [
    ({"state": "broken"}, "state"),
    ({"service": "nope"}, "service"),
    ({"from": "yesterday"}, "from"),
    ({"to": "nan"}, "to"),
    ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
    ({"country": "Germany"}, "country"),
    ({"limit": "0"}, "limit"),
    ({"limit": "1001"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"limit": "²"}, "limit"),
    ({"country": "DE\n"}, "country"),
])
def test_a_bad_query_parameter_is_a_400_naming_it(client, params, field):
    error = api_error(client.get("/api/v1/incidents", query_string=params), 400)
    assert error["field"] == field
    assert error["code"] in ("invalid", "unknown_service")
