"""The pages work without JavaScript: a plain form reports, the answer is a page, and nothing is unescaped."""
import html
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from aggregator import create_app

from .helpers import SECRET, TEST_GEOIP, form_post, post


class _Forms(HTMLParser):
    """The forms of a page, each with its attributes, inputs and buttons; and every link."""

    def __init__(self, page: str):
        super().__init__()
        self.forms, self.links = [], []
        self._button = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({**attrs, "inputs": {}, "buttons": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"][attrs.get("name")] = attrs
        elif tag == "button" and self.forms:
            self._button = {**attrs, "label": ""}
            self.forms[-1]["buttons"].append(self._button)
        elif tag == "a":
            self.links.append(attrs.get("href"))

    def handle_data(self, data):
        if self._button is not None:
            self._button["label"] += data

    def handle_endtag(self, tag):
        if tag == "button":
            self._button = None


def _text(response):
    return response.get_data(as_text=True)


def _follow(client, response):
    assert response.status_code == 303
    return client.get(response.headers["Location"])


def test_the_index_lists_every_service_with_a_link_to_its_page(app, client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    links = _Forms(_text(response)).links
    for service in app.extensions["radar"].catalog:
        assert f"/{service.slug}" in links
        assert html.escape(service.name) in _text(response)


def test_the_index_shows_each_services_reports_in_the_last_hour(client, run_jobs):
    for n in range(3):
        post(client, {"service": "gemini", "surface": "website"}, ua=f"browser-{n}")
    run_jobs()
    page = _text(client.get("/"))
    row = page[page.index('href="/gemini"'):]
    assert "3 reports in the last hour" in row[:row.index("</li>")]


def test_a_service_page_has_a_button_per_surface_in_a_form_that_posts_reports(client):
    response = client.get("/claude")
    assert response.status_code == 200
    form, = _Forms(_text(response)).forms
    assert form["method"] == "post" and form["action"] == "/api/v1/reports"
    assert form["inputs"]["service"] == {"type": "hidden", "name": "service", "value": "claude"}
    assert [(b["type"], b["name"], b["value"], b["label"]) for b in form["buttons"]] == [
        ("submit", "surface", "website", "Website"),
        ("submit", "surface", "desktop", "Desktop app"),
        ("submit", "surface", "mobile", "Mobile app"),
        ("submit", "surface", "api", "API"),
    ]


def test_a_browser_form_post_goes_back_to_the_service_page_which_says_it_was_counted(client):
    response = form_post(client, {"service": "claude", "surface": "desktop", "symptom": "", "comment": ""})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/claude"
    assert parse_qs(location.query)["counted"] == ["1"]
    page = html.unescape(_text(client.get(response.headers["Location"])))
    assert "your Desktop app report was counted" in page
    assert "You are the first to report a problem in the last hour." in page


def test_after_a_form_post_the_page_counts_you_and_the_others_before_and_after_the_drain(client, run_jobs):
    post(client, {"service": "claude", "surface": "website"}, ua="other-1")
    post(client, {"service": "claude", "surface": "api"}, ua="other-2")
    run_jobs()
    response = form_post(client, {"service": "claude", "surface": "website"})
    # The browser is usually back before the drain job has run, and the page must still count this report.
    assert "You and 2 others reported a problem" in _text(client.get(response.headers["Location"]))
    run_jobs()
    assert "You and 2 others reported a problem" in _text(client.get(response.headers["Location"]))


def test_one_other_reporter_is_counted_as_one_other(client, run_jobs):
    post(client, {"service": "claude", "surface": "website"}, ua="other-1")
    run_jobs()
    page = _text(_follow(client, form_post(client, {"service": "claude", "surface": "mobile"})))
    assert "You and 1 other reported a problem" in page


def test_a_second_identical_form_post_says_it_was_not_counted_again(client, run_jobs):
    fields = {"service": "claude", "surface": "website"}
    form_post(client, fields)
    run_jobs()
    again = form_post(client, fields)
    assert parse_qs(urlsplit(again.headers["Location"]).query)["counted"] == ["0"]
    page = html.unescape(_text(_follow(client, again)))
    assert "so this one was not counted again" in page
    assert "was counted." not in page
    assert "You are the first to report a problem in the last hour." in page


def test_a_browser_form_post_with_a_bad_surface_gets_an_html_error_page_with_the_message(client, data):
    response = form_post(client, {"service": "claude", "surface": "fax"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = html.unescape(_text(response))
    assert "'surface' must be one of website, desktop, mobile, api — got 'fax'" in page
    assert page.startswith("<!doctype html>")
    assert list(data.scan_iter("radar:*")) == []


@pytest.mark.parametrize("accept", ["application/json", "*/*"])
def test_a_form_post_that_does_not_ask_for_html_gets_the_json_answer(client, accept):
    response = form_post(client, {"service": "claude", "surface": "api"}, accept=accept)
    assert response.status_code == 202
    body = response.get_json()
    assert body["service"] == "claude" and body["surface"] == "api" and body["counted"] is True


def test_a_form_post_from_an_api_client_with_a_bad_surface_gets_the_json_error(client):
    response = form_post(client, {"service": "claude", "surface": "fax"}, accept="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "surface"


def test_an_unknown_service_page_is_an_html_404_naming_known_services(app, client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = html.unescape(_text(response))
    assert "unknown service 'nope'" in page
    assert any(slug in page.split("unknown service 'nope'", 1)[1] for slug in app.extensions["radar"].catalog.slugs)


def test_a_misspelt_service_page_suggests_the_closest_service(client):
    response = client.get("/clade")
    assert response.status_code == 404
    assert "did you mean: claude" in html.unescape(_text(response))


def test_a_display_name_with_markup_is_escaped_on_every_page(redis_server, tmp_path):
    catalog = tmp_path / "services.toml"
    catalog.write_text('[[service]]\nslug = "evil"\nname = "<b>Evil</b>"\n', encoding="utf-8")
    client = create_app({**SECRET, "RADAR_SERVICES_FILE": str(catalog), "REDIS_URL": redis_server.url,
                         "GEOIP_DB": TEST_GEOIP, "RADAR_REPORT_RATE_LIMIT": ""}).test_client()
    for url in ("/", "/evil", "/evil?reported=website&counted=1", "/evil?reported=website&counted=0"):
        page = _text(client.get(url))
        assert "&lt;b&gt;Evil&lt;/b&gt;" in page, url
        assert "<b>" not in page, url


def test_a_script_in_a_form_field_or_url_is_escaped_on_the_error_page(client):
    response = form_post(client, {"service": "<script>alert(1)</script>", "surface": "website"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _text(response)
    assert "<script>alert" not in _text(response)
    response = client.get("/<script>alert(1)")
    assert response.status_code == 404
    assert "&lt;script&gt;alert(1)" in _text(response)
    assert "<script>alert" not in _text(response)


def test_a_comment_with_a_script_is_never_rendered_unescaped(client, run_jobs):
    response = form_post(client, {"service": "claude", "surface": "website", "comment": "<script>alert(1)</script>"})
    assert response.status_code == 303
    run_jobs()
    for url in ("/", "/claude", response.headers["Location"]):
        assert "<script>alert" not in _text(client.get(url)), url


def _notice(response) -> str:
    page = html.unescape(_text(response))
    assert response.status_code == 200 and "Problems with Claude?" in page
    return page


@pytest.mark.parametrize("made_up", [None, "99999999999999999999-1", "1-2\n", "not-an-id", "0-1"])
def test_a_page_url_made_by_hand_claims_no_report_and_adds_nobody(client, made_up):
    query = {"reported": "website", "counted": "1", **({"id": made_up} if made_up else {})}
    page = _notice(client.get("/claude", query_string=query))
    assert "Thanks" not in page and "role=\"status\"" not in page
    assert "0 reports in the last hour." in page


def test_a_page_url_with_a_real_report_id_but_no_signature_claims_nothing(client):
    entry_id = post(client, {"service": "claude", "surface": "api"}).get_json()["id"]
    page = _notice(client.get("/claude", query_string={"reported": "api", "counted": "1", "id": entry_id}))
    assert "Thanks" not in page and "You are the first" not in page


@pytest.mark.parametrize("change", [{"counted": "1"}, {"reported": "mobile"}, {"id": "1-0"}, {"sig": "0" * 32}])
def test_a_signed_page_url_changed_by_hand_claims_nothing(client, run_jobs, change):
    fields = {"service": "claude", "surface": "website"}
    form_post(client, fields)
    run_jobs()
    query = parse_qs(urlsplit(form_post(client, fields).headers["Location"]).query)
    assert query["counted"] == ["0"]
    assert "so this one was not counted again" in _notice(client.get("/claude", query_string=query))
    page = _notice(client.get("/claude", query_string={**query, **change}))
    assert "Thanks" not in page


def test_a_signed_page_url_claims_nothing_for_another_service(client):
    location = urlsplit(form_post(client, {"service": "claude", "surface": "website"}).headers["Location"])
    assert "Thanks" not in html.unescape(_text(client.get(f"/chatgpt?{location.query}")))
