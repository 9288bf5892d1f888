"""The embed surface over HTTP: widget.js, the iframe page, the badge, CORS on exactly the widget's endpoints."""
import colorsys
import xml.etree.ElementTree as ET

import pytest

from aggregator.embed import snippets
from workers import keys

from .helpers import post, set_state

SVG = "{http://www.w3.org/2000/svg}"
ORIGIN = "https://blog.example"


def _hue(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360


# --- widget.js

def test_widget_js_is_served_as_javascript_and_stays_under_15_kb(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert len(response.get_data()) < 15 * 1024
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.cache_control.public and response.cache_control.max_age == 300


def test_widget_js_keeps_nothing_and_parses_no_html(client):
    source = client.get("/widget.js").get_data(as_text=True)
    for banned in ("document.cookie", "localStorage", "sessionStorage", "indexedDB", "innerHTML", "outerHTML",
                   "insertAdjacentHTML", "eval(", "new Function", "document.write"):
        assert banned not in source, banned


# --- CORS

@pytest.mark.parametrize("path", ["/api/v1/services/claude/status", "/api/v1/services/claude/series",
                                  "/api/v1/services/claude/summary?window=1h"])
def test_the_widget_read_endpoints_answer_any_origin_without_credentials(client, path):
    response = client.get(path, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_report_preflight_is_answered(client):
    response = client.options("/api/v1/reports", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response.headers


def _cross_origin_post(client, body):
    return client.post("/api/v1/reports", json=body, headers={"Origin": ORIGIN, "User-Agent": "a-browser"},
                       environ_base={"REMOTE_ADDR": "81.2.69.142"})


def test_a_cross_origin_report_is_deduped_like_any_other_and_its_errors_are_readable(client, data):
    response = _cross_origin_post(client, {"service": "claude", "surface": "api"})
    assert response.status_code == 202 and response.get_json()["counted"] is True
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert post(client, {"service": "claude", "surface": "website"}, ua="a-browser").get_json()["counted"] is False
    again = _cross_origin_post(client, {"service": "claude", "surface": "website"})
    assert again.get_json()["counted"] is False
    wrong = _cross_origin_post(client, {"service": "claude", "surface": "tv"})
    assert wrong.status_code == 400 and wrong.headers["Access-Control-Allow-Origin"] == "*"
    assert data.xlen(keys.intake("claude")) == 3


@pytest.mark.parametrize("path", ["/api/v1/services", "/api/v1/status", "/api/v1/incidents",
                                  "/api/v1/incidents/nope", "/dashboard/data", "/claude",
                                  "/embed/claude", "/badge/claude.svg"])
def test_the_rest_of_the_site_is_not_opened_to_other_origins(client, path):
    response = client.get(path, headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options(path.split("?")[0], headers={"Origin": ORIGIN,
                                                            "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_the_status_names_the_service_for_the_widget(client):
    assert client.get("/api/v1/services/anthropic/status").get_json()["name"] == "Claude"
    names = {s["service"]: s["name"] for s in client.get("/api/v1/status").get_json()["services"]}
    assert names["claude"] == "Claude" and names["chatgpt"] == "ChatGPT"


# --- the iframe page

def test_the_embed_page_may_be_framed_by_any_site_and_runs_only_its_own_script(client):
    response = client.get("/embed/claude?theme=dark&compact=1&lang=de")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-ancestors"] == "*"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert "X-Frame-Options" not in response.headers
    page = response.get_data(as_text=True)
    assert 'data-service="claude"' in page and 'data-theme="dark"' in page
    assert 'data-compact="true"' in page and 'data-lang="de"' in page
    assert "<style" not in page and "<script>" not in page


def test_unusable_embed_options_fall_back_to_the_defaults(client):
    page = client.get('/embed/claude?theme="><b>&lang=<i>').get_data(as_text=True)
    assert 'data-theme="auto"' in page and 'data-lang="en"' in page and "data-compact" not in page
    assert "<b>" not in page and "<i>" not in page


def test_an_unknown_service_in_an_iframe_is_a_framable_404_page(client):
    response = client.get("/embed/nope")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "unknown service" in response.get_data(as_text=True)


def test_an_app_wide_default_header_hook_leaves_the_embed_headers_alone(app, client):
    @app.after_request
    def strict_defaults(response):
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
        return response

    assert "frame-ancestors *" in client.get("/embed/claude").headers["Content-Security-Policy"]
    assert client.get("/badge/claude.svg").headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert client.get("/claude").headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")


# --- badge

@pytest.mark.parametrize("state, message, hues", [
    ("ok", "ok", (90, 160)), ("degraded", "possible problems", (30, 55)), ("outage", "outage", (0, 15))],
    ids=["ok-green", "degraded-amber", "outage-red"])
def test_the_badge_says_the_state_in_its_colour(client, data, state, message, hues):
    set_state(data, "claude", state)
    response = client.get("/badge/claude.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.get_data())
    assert [t.text for t in root.iter(f"{SVG}text")] == ["claude", message]
    fill = root.find(f"{SVG}path").get("fill")
    assert hues[0] <= _hue(fill) <= hues[1], fill


def test_the_badge_is_cached_briefly_and_loads_on_any_site(client):
    response = client.get("/badge/claude.svg")
    assert response.cache_control.public and 0 < response.cache_control.max_age <= 300
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_service_never_evaluated_has_a_grey_not_checked_badge(client):
    root = ET.fromstring(client.get("/badge/claude.svg").get_data())
    assert [t.text for t in root.iter(f"{SVG}text")] == ["claude", "not checked yet"]


def test_an_unknown_service_badge_is_a_404_badge_that_says_so(client):
    response = client.get("/badge/nope.svg")
    assert response.status_code == 404 and response.mimetype == "image/svg+xml"
    assert [t.text for t in ET.fromstring(response.get_data()).iter(f"{SVG}text")] == ["nope", "unknown service"]


# --- snippets

def test_the_snippets_point_at_the_public_address_and_escape_the_name():
    found = snippets("https://radar.example/", "acme", 'Acme "<b>"')
    assert found["script"] == '<script src="https://radar.example/widget.js" data-service="acme" async></script>'
    assert 'src="https://radar.example/embed/acme"' in found["iframe"]
    assert 'title="Acme &quot;&lt;b&gt;&quot; status on Outage Radar"' in found["iframe"]
    assert found["badge"] == "[![acme status](https://radar.example/badge/acme.svg)](https://radar.example/acme)"


def test_the_dashboard_service_page_shows_all_three_snippets(client):
    page = client.get("/dashboard/claude").get_data(as_text=True)
    assert "&lt;script src=&#34;http://127.0.0.1:8000/widget.js&#34; data-service=&#34;claude&#34;" in page
    assert "&lt;iframe src=&#34;http://127.0.0.1:8000/embed/claude&#34;" in page
    assert "(http://127.0.0.1:8000/badge/claude.svg)" in page
    assert 'src="/badge/claude.svg"' in page
