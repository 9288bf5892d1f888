"""The dashboard's pages, data endpoints and exports, through the Flask test client against a real Redis."""
import csv
import io
import json
import re
import time

import plotly
import pytest

from dashboards.views import PLOTLY_JS
from workers import incidents
from workers.buckets import Bucket
from workers.detect import State

from .helpers import NOW, post


def _report(client, n, surface="website", ip="81.2.69.142"):
    assert post(client, {"service": "claude", "surface": surface}, ip=ip, ua=f"dashboard-test-{n}").status_code == 202


@pytest.fixture
def reported(client, run_jobs):
    """Three reports about the website and one about the API, from the UK, counted."""
    for n, surface in enumerate(["website", "website", "website", "api"]):
        _report(client, n, surface)
    run_jobs()


def test_an_unknown_service_gets_an_html_404_page(client):
    response = client.get("/dashboard/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "unknown service" in response.get_data(as_text=True)


def test_a_range_that_is_not_offered_gets_a_400_page_naming_the_choices(client):
    response = client.get("/dashboard/claude?range=2h")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "1h, 6h, 24h, 7d, 30d" in response.get_data(as_text=True)


def test_the_chart_data_holds_the_read_apis_counts(client, reported):
    snap = client.get("/dashboard/claude/data?range=1h").get_json()["snapshot"]
    api = client.get("/api/v1/services/claude/series", query_string={
        "resolution": "1m", "from": snap["from"], "to": snap["to"]}).get_json()
    assert snap["series"]["time"] == [b["time"] for b in api["buckets"]]
    assert snap["series"]["reports"] == [b["total"] for b in api["buckets"]]
    assert snap["total"] == 4
    assert snap["surfaces"]["percent"] == {"website": 75.0, "api": 25.0}


def test_the_data_endpoint_sends_the_figures_and_their_text_panels(client, reported):
    body = client.get("/dashboard/claude/data").get_json()
    assert set(body["figures"]) == {"spike", "surfaces", "symptoms", "regions"}
    [reports] = [t for t in body["figures"]["spike"]["data"] if t["name"] == "Reports"]
    assert reports["y"] == body["snapshot"]["series"]["reports"]
    assert body["snapshot"]["range"] == "24h" and body["snapshot"]["resolution"] == "1m"
    assert "75.0 %" in body["panels"]["surfaces"]
    assert "4</strong> reports in last 24 hours" in body["panels"]["headline"]


def test_a_service_without_reports_says_so_in_every_panel(client):
    page = client.get("/dashboard/gemini").get_data(as_text=True)
    assert "no reports in this range" in page
    assert "No reports from a known country in this range." in page
    assert "No incidents in last 24 hours." in page
    assert "Detection has not looked at this service yet." in page


def test_reports_from_an_unknown_region_are_counted_but_left_off_the_map(client, run_jobs):
    _report(client, 1, ip="127.0.0.1")
    run_jobs()
    snap = client.get("/dashboard/claude/data?range=1h").get_json()["snapshot"]
    assert snap["regions"]["unknown"] == 1 and snap["regions"]["countries"] == []
    assert "came from an unknown region" in client.get("/dashboard/claude?range=1h").get_data(as_text=True)


def test_the_csv_export_holds_the_numbers_on_screen(client, reported):
    snap = client.get("/dashboard/claude/data?range=6h").get_json()["snapshot"]
    response = client.get("/dashboard/claude/export.csv", query_string={"range": "6h", "to": snap["to"]})
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["time"] for r in rows] == snap["series"]["time"]
    assert [int(r["reports"]) for r in rows] == snap["series"]["reports"]


def test_the_json_export_is_the_snapshot_on_screen(client, reported):
    snap = client.get("/dashboard/claude/data?range=7d").get_json()["snapshot"]
    exported = client.get("/dashboard/claude/export.json", query_string={"range": "7d", "to": snap["to"]})
    assert "attachment" in exported.headers["Content-Disposition"]
    assert json.loads(exported.get_data()) == snap


def test_the_export_links_pin_the_moment_on_screen_and_the_permalink_keeps_the_range(client, reported):
    page = client.get("/dashboard/claude?range=6h").get_data(as_text=True)
    to = re.search(r'export\.csv\?range=6h&amp;to=([^"]+)"', page).group(1)
    assert to.replace("%3A", ":") == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW // 60 * 60 + 60))
    assert 'href="/dashboard/claude?range=6h" data-permalink' in page


def test_an_incident_is_shaded_and_listed_with_its_peak(client, data):
    incident = incidents.open_incident("claude", None, State.OUTAGE, NOW - 1200, NOW - 1080)
    incidents.observe(incident, Bucket(int(NOW - 900), total=240, surfaces={"website": 150, "api": 90}), 240, 3.1)
    with data.pipeline(transaction=False) as pipe:
        incidents.save(pipe, incident, NOW)
        pipe.execute()
    body = client.get("/dashboard/claude/data?range=1h").get_json()
    assert body["snapshot"]["segments"][0]["state"] == "outage"
    assert body["figures"]["spike"]["layout"]["shapes"][0]["x0"] == incident["opened_at"]
    assert body["snapshot"]["at_peak"]["surfaces"] == {"website": 62.5, "api": 37.5}
    assert "still open" in body["panels"]["incidents"] and "Website 62.5 %" in body["panels"]["incidents"]


def test_the_overview_lists_every_service_and_filters_by_name_or_alias(client):
    everything = client.get("/dashboard").get_data(as_text=True)
    assert everything.count('<tr data-name=') == 8
    only = client.get("/dashboard?q=anthropic").get_data(as_text=True)
    assert only.count('<tr data-name=') == 1 and ">Claude</a>" in only


def test_the_overview_data_puts_the_busiest_unchecked_service_first(client, reported):
    rows = client.get("/dashboard/data").get_json()["rows"]
    assert rows[0]["slug"] == "claude" and rows[0]["last_hour"] == 4
    assert sum(rows[0]["spark"]) == 4 and len(rows[0]["spark"]) == 25


def test_plotly_js_comes_from_the_installed_plotly_package(client):
    page = client.get("/dashboard/claude").get_data(as_text=True)
    src = re.search(r'<script src="([^"]+plotly[^"]+)"', page).group(1)
    response = client.get(src)
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.get_data() == PLOTLY_JS.read_bytes()
    assert client.get(src.replace(plotly.__version__, "0.0.0")).status_code == 404


def test_the_world_map_is_served_from_this_site(client):
    topology = client.get("/dashboard/static/topojson/world_110m.json").get_json()
    ids = {g.get("id") for g in topology["objects"]["countries"]["geometries"]}
    assert {"USA", "GBR", "DEU", "IND", "BRA", "JPN"} <= ids


def test_no_page_runs_inline_script(client):
    for url in ("/dashboard", "/dashboard/claude"):
        page = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, tag


def test_with_redis_down_pages_say_so_in_html_and_data_answers_in_json(stopped_app):
    client = stopped_app.test_client()
    page = client.get("/dashboard/claude")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "data temporarily unavailable" in page.get_data(as_text=True)
    assert 'href="/dashboard"' in page.get_data(as_text=True), "the dashboard's own error page, with its links"
    data = client.get("/dashboard/claude/data")
    assert data.status_code == 503 and data.get_json()["error"]["code"] == "data_unavailable"
    assert client.get("/dashboard").status_code == 503
