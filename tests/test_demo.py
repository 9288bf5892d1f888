"""Demo data: the replayed claude outage comes with the vendor's later, partly backdated posts about it."""
from aggregator.base.times import iso
from workers import official
from workers.demo import OUTAGE_START, official_components, official_incident, replay_detection, seed, seed_official

from .helpers import NOW

ONSET = NOW // 86400 * 86400 - 86400 + OUTAGE_START
MINUTE = 60


def test_the_vendor_says_nothing_in_the_first_hour_of_the_outage():
    assert official_incident(ONSET, ONSET + 61 * MINUTE) is None


def test_the_vendors_posts_come_an_hour_and_more_after_the_onset_the_first_shown_as_earlier():
    posted = official_incident(ONSET, ONSET + 6 * 3600)
    assert [(u["status"], u["created_at"]) for u in posted["updates"]] == [
        ("investigating", iso(ONSET + 62 * MINUTE)), ("identified", iso(ONSET + 161 * MINUTE)),
        ("resolved", iso(ONSET + 232 * MINUTE))]
    first = posted["updates"][0]
    assert first["display_at"] == iso(ONSET + 10 * MINUTE) != first["created_at"]
    assert posted["posted_at"] == first["created_at"] and posted["resolved_at"] == iso(ONSET + 232 * MINUTE)


def test_the_page_shows_only_what_was_posted_by_now_and_a_component_down_while_it_is_open():
    posted = official_incident(ONSET, ONSET + 3 * 3600)
    assert posted["status"] == "identified" and posted["resolved_at"] is None
    assert [u["status"] for u in posted["updates"]] == ["investigating", "identified"]
    assert [c["status"] for c in official_components(posted)] == ["major_outage", "operational", "operational"]
    assert {c["status"] for c in official_components(official_incident(ONSET, ONSET + 5 * 3600))} == {"operational"}


def test_the_demo_outage_shows_its_official_incident_lead_time_and_chart_marks(app, client, data):
    radar = app.extensions["radar"]
    services = [radar.catalog.get("claude"), radar.catalog.get("slack")]
    now = ONSET + 6 * 3600
    seeded = seed(data, services, now)
    replay_detection(data, radar.queue, radar.settings, services, seeded.outage, now)
    assert seed_official(data, services, now)["status"] == "resolved"
    radar.clock = lambda: now
    [crowd] = client.get("/api/v1/incidents?service=claude&country=none").get_json()["incidents"]
    assert crowd["official"]["id"] == official_incident(ONSET, now)["id"]
    assert 55 * MINUTE <= crowd["lead_time_seconds"] <= 62 * MINUTE, crowd["opened_at"]
    board = client.get(f"/dashboard/claude/data?range=24h&to={iso(now)}").get_json()
    notes = [a["text"] for a in board["figures"]["spike"]["layout"]["annotations"]]
    assert {"Investigating 13:05", "Identified 14:44", "Resolved 15:55"} <= set(notes), notes
    assert "the crowd knew" in board["panels"]["incidents"]
    assert official.components(data, ["slack", "claude"])[0] is None
