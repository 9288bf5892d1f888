"""Admin actions behind RADAR_ADMIN_TOKEN: off without it, 401 without the right token, notes, closing, reload."""
import pytest
from rq import Queue

from aggregator import catalog_sync
from aggregator.base.exceptions import Conflict, SettingsError
from aggregator.base.settings import Settings
from workers import incidents, keys, manual

from .helpers import (
    ADMIN_TOKEN,
    AUTH,
    NOW,
    admin_app,
    api_error,
    at_minute,
    evaluate_after,
    iso,
    report_outage,
    seed_history,
    store_incident,
)

ENDPOINTS = ["/api/v1/admin/incidents/claude.20261125T2303Z/notes",
             "/api/v1/admin/incidents/claude.20261125T2303Z/resolve", "/api/v1/admin/catalog/reload"]


@pytest.fixture
def admin(redis_server):
    return admin_app(redis_server).test_client()


@pytest.fixture
def incident(data):
    return store_incident(data, "claude", NOW - 3600)


def test_a_short_admin_token_stops_start_up_naming_the_setting():
    with pytest.raises(SettingsError, match="RADAR_ADMIN_TOKEN='guessable' is not valid: must be at least 16"):
        Settings.from_env(environ={}, RADAR_ADMIN_TOKEN="guessable")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_without_a_token_setting_every_admin_endpoint_says_admin_is_disabled(client, path):
    error = api_error(client.post(path, json={"text": "x"}, headers=AUTH), 403)
    assert error["code"] == "admin_disabled"
    assert "RADAR_ADMIN_TOKEN" in error["message"]


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {ADMIN_TOKEN}", f"Bearer {ADMIN_TOKEN}x", "Bearer "])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_missing_or_wrong_token_is_a_401_json_error(admin, path, header):
    response = admin.post(path, json={"text": "x"}, headers={"Authorization": header} if header else {})
    error = api_error(response, 401)
    assert error["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="admin"'


def test_a_note_is_added_to_an_incident_and_shown_in_the_api(admin, client, incident):
    response = admin.post(f"/api/v1/admin/incidents/{incident['id']}/notes", json={"text": " Upstream DNS. "},
                          headers=AUTH)
    assert response.status_code == 201
    assert response.get_json()["notes"] == [{"at": iso(NOW), "text": "Upstream DNS."}]
    assert client.get(f"/api/v1/incidents/{incident['id']}").get_json()["notes"] == [
        {"at": iso(NOW), "text": "Upstream DNS."}]
    assert client.get("/api/v1/incidents").get_json()["incidents"][0]["notes"][0]["text"] == "Upstream DNS."


def test_an_incident_without_notes_lists_none(client, incident):
    assert client.get(f"/api/v1/incidents/{incident['id']}").get_json()["notes"] == []


@pytest.mark.parametrize("body, field", [({}, "text"), ({"text": "  "}, "text"), ({"text": 5}, "text"),
                                         ({"text": "x" * 1001}, "text")])
def test_a_note_that_is_missing_blank_not_text_or_too_long_is_a_400_naming_the_field(admin, incident, body, field):
    error = api_error(admin.post(f"/api/v1/admin/incidents/{incident['id']}/notes", json=body, headers=AUTH), 400)
    assert error["field"] == field


@pytest.mark.parametrize("body", ['["a list"]', "not json", ""])
def test_a_note_body_that_is_not_a_json_object_is_a_400(admin, incident, body):
    response = admin.post(f"/api/v1/admin/incidents/{incident['id']}/notes", data=body, headers=AUTH,
                          content_type="application/json")
    assert api_error(response, 400)["code"] == "malformed_body"


@pytest.mark.parametrize("incident_id", ["claude.20200101T0000Z", "not-an-incident"])
def test_a_note_or_closing_for_an_unknown_incident_is_a_404(admin, incident_id):
    for action, body in (("notes", {"text": "x"}), ("resolve", {})):
        error = api_error(admin.post(f"/api/v1/admin/incidents/{incident_id}/{action}", json=body, headers=AUTH), 404)
        assert error["code"] == "unknown_incident"


def test_closing_an_incident_by_hand_resolves_it_with_a_note(admin, client, incident):
    response = admin.post(f"/api/v1/admin/incidents/{incident['id']}/resolve", json={"note": "false alarm"},
                          headers=AUTH)
    assert response.status_code == 200
    closed = client.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert closed == response.get_json()
    assert (closed["status"], closed["resolved_at"]) == ("resolved", iso(NOW))
    assert closed["changes"][-1] == {"at": iso(NOW), "state": "ok"}
    assert closed["notes"] == [{"at": iso(NOW), "text": "closed by hand: false alarm"}]


def test_closing_takes_no_body_at_all(admin, incident):
    response = admin.post(f"/api/v1/admin/incidents/{incident['id']}/resolve", headers=AUTH)
    assert response.get_json()["notes"] == [{"at": iso(NOW), "text": "closed by hand"}]


def test_closing_a_resolved_incident_is_a_409(admin, data):
    resolved = store_incident(data, "claude", NOW - 7200, resolved=NOW - 3600)
    error = api_error(admin.post(f"/api/v1/admin/incidents/{resolved['id']}/resolve", headers=AUTH), 409)
    assert error["code"] == "conflict" and "resolved already" in error["message"]


def test_an_incident_closed_by_hand_is_left_alone_by_detection_while_the_outage_goes_on(redis_server, data):
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5)
    report_outage(data, range(10, 20))
    evaluate_after(data, 12)
    [opened] = incidents.search(data, service="claude", country="none")
    app = admin_app(redis_server)
    app.extensions["radar"].clock = lambda: at_minute(13)
    client = app.test_client()
    assert client.post(f"/api/v1/admin/incidents/{opened['id']}/resolve", headers=AUTH).status_code == 200
    assert client.get("/api/v1/services/claude/status").get_json()["incident_id"] is None

    evaluate_after(data, 19)
    assert [{**i, "lead_time_seconds": None, "official": None} for i in
            incidents.search(data, service="claude", country="none")] == [
        client.get(f"/api/v1/incidents/{opened['id']}").get_json()]
    after = client.get(f"/api/v1/incidents/{opened['id']}").get_json()
    assert (after["status"], after["resolved_at"]) == ("resolved", iso(at_minute(13)))
    assert client.get("/api/v1/services/claude/status").get_json()["state"] == "outage"


def test_closing_by_hand_sends_a_resolved_alert(redis_server, incident):
    app = admin_app(redis_server, RADAR_WEBHOOK_URLS="http://127.0.0.1:9/hook", RADAR_WEBHOOK_SECRET="s")
    assert app.test_client().post(f"/api/v1/admin/incidents/{incident['id']}/resolve", headers=AUTH).status_code == 200
    [job] = Queue(keys.QUEUE, connection=app.extensions["radar"].queue).jobs
    url, kind, payload = job.args
    assert (url, kind, payload["event"], payload["incident"]["id"]) == (
        "http://127.0.0.1:9/hook", "json", "resolved", incident["id"])


def test_a_change_waits_for_a_detection_run_holding_the_service_and_gives_up_with_a_conflict(data):
    data.set(keys.evaluating("claude"), "another-run")
    with pytest.raises(Conflict, match="detection is updating 'claude'"):
        with manual.holding(data, "claude", wait=0.1):
            pass
    assert data.get(keys.evaluating("claude")) == "another-run"


CATALOG = """
[[service]]
slug = "acme"
name = "Acme"
"""


def test_reloading_the_catalog_serves_the_new_file_in_every_process(redis_server, tmp_path, monkeypatch):
    path = tmp_path / "services.toml"
    path.write_text(CATALOG)
    first, second = (admin_app(redis_server, RADAR_SERVICES_FILE=str(path)).test_client() for _ in range(2))
    assert second.get("/api/v1/services").status_code == 200  # notes the generation it started with
    path.write_text(CATALOG + '\n[[service]]\nslug = "widgets"\nname = "Widgets"\n')

    response = first.post("/api/v1/admin/catalog/reload", headers=AUTH)
    assert response.get_json() == {"services": ["acme", "widgets"]}
    assert [s["slug"] for s in first.get("/api/v1/services").get_json()["services"]] == ["acme", "widgets"]
    monkeypatch.setattr(catalog_sync, "CHECK_SECONDS", 0)
    assert [s["slug"] for s in second.get("/api/v1/services").get_json()["services"]] == ["acme", "widgets"]


def test_a_catalog_file_with_a_mistake_is_refused_and_the_old_catalog_kept(redis_server, tmp_path):
    path = tmp_path / "services.toml"
    path.write_text(CATALOG)
    client = admin_app(redis_server, RADAR_SERVICES_FILE=str(path)).test_client()
    path.write_text("[[service]]\nslug = 'Not A Slug'\n")
    error = api_error(client.post("/api/v1/admin/catalog/reload", headers=AUTH), 422)
    assert error["code"] == "bad_catalog" and "Not A Slug" in error["message"]
    assert [s["slug"] for s in client.get("/api/v1/services").get_json()["services"]] == ["acme"]
