"""Atom feeds of incidents: valid Atom 1.0, an entry per opening, state change and resolution, escaped names."""
import json
import re
import time
import xml.etree.ElementTree as ET

import feedparser
import pytest

from aggregator import create_app
from aggregator.feeds import ENTRIES, entries, headline
from workers import incidents, official
from workers.detect import State
from workers.statuspage import parse_incidents

from .helpers import CATALOG, NOW, SECRET, TEST_GEOIP, iso, store_incident
from .statuspages import incident as official_incident
from .statuspages import incidents_doc, update

A = "{http://www.w3.org/2005/Atom}"
PUBLIC = "http://127.0.0.1:8000"


def _feed(client, path="/claude/feed.atom"):
    """The parsed feed element, after checking the answer is an Atom document that feedparser reads cleanly."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert feedparser.parse(response.data).bozo == 0
    return ET.fromstring(response.data)


def _entries(feed):
    return [(e.findtext(f"{A}title"), e.findtext(f"{A}updated")) for e in feed.findall(f"{A}entry")]


def _save(data, incident):
    with data.pipeline(transaction=False) as pipe:
        incidents.save(pipe, incident, time.time())
        pipe.execute()


def _hhmm(ts):
    return time.strftime("%H:%M", time.gmtime(ts))


def test_a_service_feed_is_atom_with_id_title_updated_self_and_alternate_links_and_author(client, data):
    onset = NOW - 3600
    incident = store_incident(data, "claude", onset)
    feed = _feed(client)

    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}id") == "tag:127.0.0.1,2026:/feed/claude"
    assert feed.findtext(f"{A}title") == "Claude incidents — Outage Radar"
    assert feed.findtext(f"{A}updated") == iso(onset)
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links == {"self": f"{PUBLIC}/claude/feed.atom", "alternate": f"{PUBLIC}/claude"}
    assert feed.findtext(f"{A}author/{A}name") == "Outage Radar"
    [entry] = feed.findall(f"{A}entry")
    assert entry.findtext(f"{A}id") == f"tag:127.0.0.1,{iso(onset)[:10]}:/incident/{incident['id']}/{iso(onset)}"
    assert entry.findtext(f"{A}title") == f"Claude: outage since {_hhmm(onset)} UTC"
    assert entry.findtext(f"{A}updated") == iso(onset)
    entry_links = {link.get("rel"): link.get("href") for link in entry.findall(f"{A}link")}
    assert entry_links == {"alternate": f"{PUBLIC}/claude", "related": f"{PUBLIC}/api/v1/incidents/{incident['id']}"}
    assert entry.findtext(f"{A}summary") == (f"Peak 40 reports a minute at {_hhmm(onset)} UTC (expected 2). "
                                             "Surfaces at peak: 75 % website, 25 % api.")


def test_a_feed_gains_an_entry_when_an_incident_opens_another_when_it_changes_state_and_one_when_it_resolves(
        client, data):
    onset = NOW - 3600
    assert _entries(_feed(client)) == []
    incident = store_incident(data, "claude", onset, state="degraded")
    opened = [(f"Claude: degraded since {_hhmm(onset)} UTC", iso(onset))]
    assert _entries(_feed(client)) == opened
    first_id = _feed(client).findtext(f"{A}entry/{A}id")

    incidents.change_state(incident, State.OUTAGE, onset + 600)
    _save(data, incident)
    changed = [("Claude: now outage", iso(onset + 600))] + opened
    assert _entries(_feed(client)) == changed

    incidents.resolve(incident, onset + 1800)
    _save(data, incident)
    feed = _feed(client)
    assert _entries(feed) == [("Claude: resolved", iso(onset + 1800))] + changed
    assert feed.findtext(f"{A}updated") == iso(onset + 1800)
    assert feed.findall(f"{A}entry")[-1].findtext(f"{A}id") == first_id, "an entry keeps its id as others come"
    assert len({e.findtext(f"{A}id") for e in feed.findall(f"{A}entry")}) == 3


def test_the_feed_of_all_services_merges_every_services_entries_newest_first(client, data):
    store_incident(data, "claude", NOW - 7200, resolved=NOW - 600)
    store_incident(data, "chatgpt", NOW - 3600)
    feed = _feed(client, "/feed.atom")
    assert _entries(feed) == [("Claude: resolved", iso(NOW - 600)),
                              (f"ChatGPT: outage since {_hhmm(NOW - 3600)} UTC", iso(NOW - 3600)),
                              (f"Claude: outage since {_hhmm(NOW - 7200)} UTC", iso(NOW - 7200))]
    assert feed.findtext(f"{A}id") == "tag:127.0.0.1,2026:/feed"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links == {"self": f"{PUBLIC}/feed.atom", "alternate": f"{PUBLIC}/"}
    assert [title for title, _ in _entries(_feed(client, "/chatgpt/feed.atom"))] == [
        f"ChatGPT: outage since {_hhmm(NOW - 3600)} UTC"]


def test_a_feed_holds_the_newest_50_entries(client, data):
    for n in range(30):
        store_incident(data, "claude", NOW - 86400 + n * 1800, resolved=NOW - 86400 + n * 1800 + 900)
    times = [updated for _, updated in _entries(_feed(client))]
    assert len(times) == ENTRIES
    assert times == sorted(times, reverse=True)
    assert times[0] == iso(NOW - 86400 + 29 * 1800 + 900)


def test_ids_and_links_follow_the_public_address_and_not_the_requests_host(redis_server):
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP,
                      "RADAR_PUBLIC_URL": "https://radar.example/status/"})
    store_incident(app.extensions["radar"].data, "claude", NOW - 3600)
    feed = _feed(app.test_client(), "/claude/feed.atom")
    assert feed.findtext(f"{A}id") == "tag:radar.example,2026:/status/feed/claude"
    assert feed.find(f"{A}link[@rel='self']").get("href") == "https://radar.example/status/claude/feed.atom"
    assert feed.findtext(f"{A}entry/{A}id").startswith("tag:radar.example,")
    assert feed.find(f"{A}entry/{A}link[@rel='alternate']").get("href") == "https://radar.example/status/claude"


def test_an_entry_names_the_official_incident_it_is_linked_to(client, data):
    onset = NOW - 3600
    store_incident(data, "claude", onset)
    posted = official_incident("vendor1", [update("u1", "investigating", onset + 600)], name="API errors")
    official.store_incidents(data, "claude", parse_incidents(json.dumps(incidents_doc([posted]))), time.time())
    summary = _feed(client).findtext(f"{A}entry/{A}summary")
    assert summary.endswith(f"Official status: API errors (investigating), first posted {_hhmm(onset + 600)} UTC.")


def test_characters_xml_cannot_carry_are_left_out_of_what_a_status_page_wrote(client, data):
    onset = NOW - 3600
    store_incident(data, "claude", onset)
    posted = official_incident("vendor1", [update("u1", "investigating", onset + 600)],
                               name="API\x07 errors\x00 & <b>more</b>")
    official.store_incidents(data, "claude", parse_incidents(json.dumps(incidents_doc([posted]))), time.time())
    summary = _feed(client).findtext(f"{A}entry/{A}summary")
    assert "Official status: API errors & <b>more</b> (investigating)" in summary


MARKUP_NAME = "Tom & Jerry <script>alert('x')</script>"


@pytest.fixture
def marked_up(redis_server, tmp_path):
    """An app whose one service's name holds markup and an ampersand, with an open incident."""
    path = tmp_path / "services.toml"
    path.write_text(f'[[service]]\nslug = "marked"\nname = "{MARKUP_NAME}"\n')
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP,
                      "RADAR_SERVICES_FILE": str(path)})
    store_incident(app.extensions["radar"].data, "marked", NOW - 3600)
    return app.test_client()


@pytest.mark.parametrize("path", ["/marked/feed.atom", "/feed.atom"])
def test_markup_and_ampersands_in_a_service_name_are_escaped_in_the_feed(marked_up, path):
    raw = marked_up.get(path).get_data(as_text=True)
    assert "<script>" not in raw and "Tom & Jerry" not in raw
    assert "Tom &amp; Jerry &lt;script&gt;" in raw
    assert _feed(marked_up, path).findtext(f"{A}entry/{A}title").startswith(f"{MARKUP_NAME}: outage since ")


def test_an_unknown_service_has_no_feed(client):
    response = client.get("/nope/feed.atom")
    assert response.status_code == 404
    assert "unknown service" in response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]


def _alternates(html):
    return re.findall(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">', html)


def test_the_home_page_links_the_feed_of_all_services(client):
    assert _alternates(client.get("/").get_data(as_text=True)) == ["/feed.atom"]


def test_a_service_page_links_its_own_feed_and_the_feed_of_all_services(client):
    assert _alternates(client.get("/claude").get_data(as_text=True)) == ["/claude/feed.atom", "/feed.atom"]


def test_a_feed_is_cached_for_a_minute_and_answers_304_to_its_etag(client, data):
    store_incident(data, "claude", NOW - 3600)
    first = client.get("/claude/feed.atom")
    assert first.headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    again = client.get("/claude/feed.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    store_incident(data, "claude", NOW - 1800)
    assert client.get("/claude/feed.atom", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_a_country_incident_says_its_country_and_a_resolution_says_resolved():
    incident = incidents.open_incident("claude", "DE", State.DEGRADED, NOW, NOW + 120)
    incidents.resolve(incident, NOW + 900)
    assert headline("Claude", incident, 0) == f"Claude in DE: degraded since {_hhmm(NOW)} UTC"
    assert headline("Claude", incident, 1) == "Claude in DE: resolved"


def test_two_changes_in_the_same_second_get_different_ids():
    incident = incidents.open_incident("claude", None, State.DEGRADED, NOW, NOW + 120)
    incidents.change_state(incident, State.OUTAGE, NOW)
    assert len({e["id"] for e in entries(CATALOG, [incident], PUBLIC)}) == 2
