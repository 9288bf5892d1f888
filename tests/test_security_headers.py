"""Security headers on every response, a blueprint's own kept; names and notes shown as text, never as markup."""
import pytest

from aggregator import create_app
from aggregator.security import content_security_policy
from workers import manual

from .helpers import HOSTILE_CATALOG, IMAGE, NOW, SCRIPT, SECRET, TEST_GEOIP, store_incident


@pytest.mark.parametrize("path", ["/", "/claude", "/api/v1/services", "/api/v1/docs", "/api/v1/openapi.json",
                                  "/healthz", "/no/such/page", "/static/pages.css", "/api/v1/incidents?limit=0"])
def test_every_response_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"] == content_security_policy()
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_the_policy_forbids_inline_script_and_framing(client):
    policy = dict(part.split(" ", 1) for part in client.get("/").headers["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'" and "script-src" not in policy
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/claude", "/dashboard/claude/data"])
def test_dashboard_pages_also_allow_the_inline_styles_plotly_sets(client, path):
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"] == content_security_policy(inline_styles=True)
    assert "'unsafe-inline'" not in content_security_policy(inline_styles=True).split("style-src")[0]
    assert headers["X-Frame-Options"] == "DENY"


@pytest.fixture
def hostile(redis_server, tmp_path):
    """An app whose one service has a name made of markup, with an incident whose note is markup too."""
    path = tmp_path / "services.toml"
    path.write_text(HOSTILE_CATALOG)
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP,
                      "RADAR_SERVICES_FILE": str(path)})
    app.extensions["radar"].clock = lambda: NOW
    data = app.extensions["radar"].data
    incident = store_incident(data, "hostile", NOW - 3600)
    manual.add_note(data, incident["id"], f"{SCRIPT} {IMAGE}", NOW)
    return app.test_client()


def _escaped(html: str) -> bool:
    return "<script>alert" not in html and "<img src=x" not in html and "&lt;script&gt;alert(" in html


@pytest.mark.parametrize("path", ["/", "/hostile", "/dashboard", "/dashboard/hostile"])
def test_names_and_notes_are_escaped_on_every_page(hostile, path):
    assert _escaped(hostile.get(path).get_data(as_text=True))


def test_the_html_the_dashboard_refreshes_with_is_escaped_too(hostile):
    # The JSON carries the name as data; what the pages put into the document is the HTML beside it.
    assert _escaped(hostile.get("/dashboard/data").get_json()["html"])
    panels = hostile.get("/dashboard/hostile/data").get_json()["panels"]
    assert _escaped(panels["incidents"])


def test_a_note_made_of_markup_shows_as_text_on_the_dashboard(hostile):
    page = hostile.get("/dashboard/hostile").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(&#39;note&#39;)&gt;</p>" in page


def test_a_form_naming_a_service_made_of_markup_gets_an_error_page_that_shows_it_as_text(client):
    response = client.post("/api/v1/reports", data={"service": SCRIPT, "surface": "website"},
                           headers={"Accept": "text/html"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page

