"""The public service page below its form: the day's chart as SVG with its text, the most reported problems, top
countries, the official status with the crowd's lead, other services with problems, and links; no script."""
from __future__ import annotations

import html
import json
import re

import pytest

from aggregator import create_app
from aggregator.base.times import epoch
from aggregator.service_page import others, shares
from workers import keys, official
from workers.evaluate import never_evaluated
from workers.statuspage import parse_incidents

from .helpers import (
    NOW,
    SECRET,
    TEST_GEOIP,
    UNLIMITED,
    evaluate_after,
    form_post,
    iso,
    post,
    seed_history,
    store_incident,
)
from .statuspages import incident, incidents_doc, update

GB, US = "81.2.69.142", "216.160.83.56"
"""Addresses the test GeoIP database places in the United Kingdom and the United States."""


def _status(data, slug, state, since):
    record = {**never_evaluated(slug), "state": state, "since": since and iso(since),
              "evaluated_at": iso(NOW - 60)}
    data.set(keys.status(slug), json.dumps(record))


def _page(client, path="/claude") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(fragment: str) -> str:
    cells = re.sub(r"</t[dh]>|<br>", " ", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", cells)).split())


def _section(page: str, heading_id: str) -> str:
    start = page.rindex("<", 0, page.index(f'id="{heading_id}"'))
    return page[start:page.index("</section>", start)]


@pytest.fixture
def outage(client, data, run_jobs):
    """Claude in an outage since half an hour ago, with a learned baseline and reports from two countries."""
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5)
    store_incident(data, "claude", NOW - 1800)
    _status(data, "claude", "outage", NOW - 1800)
    for n in range(3):
        post(client, {"service": "claude", "surface": "mobile", "symptom": "slow"}, ip=GB, ua=f"gb-{n}")
    post(client, {"service": "claude", "surface": "website", "symptom": "login"}, ip=US, ua="us-0")
    run_jobs()


def test_the_chart_is_an_svg_image_with_a_title_a_description_and_the_typical_band(client, outage):
    page = _page(client)
    svg = page[page.index("<svg class=\"chart-svg\""):page.index("</svg>", page.index("<svg class=\"chart-svg\""))]
    assert 'role="img"' in svg and 'viewBox="0 0 400 180"' in svg and 'width="100%"' in svg
    assert "<title id=\"chart-title\">Reports of Claude per 15 minutes over the last 24 hours" in svg
    assert "4 reports in the last 24 hours." in _text(re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S).group(1))
    assert re.search(r'<path class="band" d="M[\d.,L]+Z"/>', svg), "the band from the baseline to the threshold"
    assert re.search(r'<path class="reports" d="M[\d.,L]+"/>', svg)


def test_the_open_incident_is_shaded_and_said_in_the_description(client, outage):
    page = _page(client)
    assert re.search(r'<rect class="incident incident-outage" x="[\d.]+" y="8" width="[\d.]+"', page)
    onset = iso(NOW - 1800)[11:16]
    assert f"Outage since {onset} UTC, shaded to now." in page


def test_the_hourly_numbers_are_in_a_table_inside_details(client, outage):
    page = _page(client)
    table = page[page.index('<details class="numbers">'):page.index("</details>")]
    rows = re.findall(r'<tr><td><time datetime="([^"]+)">(\d\d:\d\d) UTC</time></td><td class="num">([\d,]+)</td>'
                      r'<td class="num">([\d,—]+)</td></tr>', table)
    assert 24 <= len(rows) <= 25
    assert rows[-1][0] == iso(NOW - 30) and rows[-1][2] == "4", "the hour under way holds the reports"
    # 120 an hour in the learned history; the first hour is the 59 minutes the day's window holds of it.
    assert [typical for *_, typical in rows[1:-1]] == ["120"] * (len(rows) - 2) and rows[0][3] == "118"


def test_the_shares_of_surfaces_and_symptoms_are_given_for_the_day_and_at_the_incidents_peak(client, outage):
    section = _section(_page(client), "problems-heading")
    assert "At the peak," in section and f'<time datetime="{iso(NOW - 1800)}">' in section
    surfaces = section[section.index('id="surfaces-shares"'):section.index("</table>")]
    rows = [_text(r) for r in re.findall(r"<tr><th scope=\"row\">.*?</tr>", surfaces, re.S)]
    assert rows == ["Mobile app 75 % 0 %", "Website 25 % 75 %", "API 0 % 25 %"]
    assert '<rect class="bar-fill" width="75.0" height="10"/>' in surfaces, "a bar as long as the share"
    symptoms = section[section.index('id="symptoms-shares"'):]
    assert "Slow 75 %" in _text(symptoms) and "Can't log in 25 %" in _text(symptoms)


def test_the_top_countries_are_listed_with_their_reports(client, outage):
    rows = [_text(r) for r in re.findall(r"<tr><th scope=\"row\">.*?</tr>", _section(_page(client),
                                                                                  "countries-heading"), re.S)]
    assert rows == ["United Kingdom 3 75 %", "United States of America 1 25 %"]


def test_the_official_status_its_last_post_and_the_crowds_lead_are_said(client, data, outage):
    posts = [update("u1", "investigating", NOW - 1800 + 14 * 60)]
    found = parse_incidents(json.dumps(incidents_doc([incident("vendor1", posts, name="Elevated errors")])))
    official.store_incidents(data, "claude", found, NOW)
    official.store_components(data, "claude", [{"id": "c0", "name": "claude.ai", "status": "major_outage"}], NOW)
    section = _text(_section(_page(client), "official-heading"))
    assert "Claude's status page says: major outage." in section
    assert (f"Its last post: investigating (“Elevated errors”) at {iso(NOW - 1800 + 14 * 60)[11:16]} UTC."
            in section)
    assert "Reports rose 14 minutes before the official post." in section
    assert 'href="https://status.anthropic.com"' in _page(client)


def test_a_status_page_not_read_yet_is_said_and_one_never_read_is_only_linked(client):
    assert "Claude's status page has not been read yet." in _text(_section(_page(client), "official-heading"))
    slack = _text(_section(_page(client, "/slack"), "official-heading"))
    assert slack == "Official status Slack's official status page"


def test_other_services_with_problems_are_listed_nearest_onset_first_and_ok_ones_not(client, data, outage):
    _status(data, "gemini", "degraded", NOW - 20000)
    _status(data, "github", "outage", NOW - 1700)
    _status(data, "slack", "ok", None)
    section = _section(_page(client), "others-heading")
    assert re.findall(r'<li><a href="/([a-z]+)">', section) == ["github", "gemini"]
    assert "GitHub: Outage since" in _text(section) and "Slack" not in section


def test_no_other_service_with_problems_is_said_too(client):
    assert "No other service has problems now." in _page(client)


def test_the_page_links_to_the_dashboard_the_status_api_and_the_feed_and_gives_the_embed_snippets(client):
    page = _page(client)
    for href in ("/dashboard/claude", "/api/v1/services/claude/status", "/claude/feed.atom"):
        assert f'href="{href}"' in page
    embed = html.unescape(page[page.index('<details class="embed"'):])
    assert '<script src="http://127.0.0.1:8000/widget.js" data-service="claude" async></script>' in embed
    assert '<iframe src="http://127.0.0.1:8000/embed/claude"' in embed and "/badge/claude.svg" in embed


def test_the_page_needs_no_script_loads_no_plotly_has_no_inline_style_and_weighs_under_60_kb(client, outage):
    page = _page(client)
    # The one script only shows times in the reader's zone; the page is whole without it.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/local-times.js" defer>']
    assert "plotly" not in page.lower()
    assert not re.search(r"<[^>]+\sstyle=", page), "the Content-Security-Policy refuses style attributes"
    assert len(page.encode()) < 60 * 1024
    assert re.findall(r"<h(\d)", page) == ["1"] + ["2"] * (len(re.findall(r"<h\d", page)) - 1)


def test_a_parameter_the_page_does_not_read_makes_no_copy_of_its_own(redis_server, run_jobs):
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, **UNLIMITED,
                      "RADAR_PAGE_SNAPSHOT_SECONDS": "3600"})
    client = app.test_client()
    assert "still down here" not in _page(client)
    post(client, {"service": "claude", "surface": "website", "comment": "still down here"})
    run_jobs()
    assert "still down here" not in _page(client, "/claude?utm_source=x&endpoint=y"), "the copy already made"
    assert "still down here" in _page(client, "/claude?comments_before=99999999999999-0"), "a page of its own"


def test_readers_share_one_view_while_a_reporter_sees_their_own_report_counted(redis_server, run_jobs):
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, **UNLIMITED,
                      "RADAR_PAGE_SNAPSHOT_SECONDS": "3600"})
    client = app.test_client()
    assert "— 0 reports in the last hour" in _text(_page(client))
    reported = form_post(client, {"service": "claude", "surface": "api"})
    assert "— 0 reports in the last hour" in _text(_page(client)), "the view made a moment ago"
    mine = _text(_page(client, reported.headers["Location"]))
    assert "— 1 report in the last hour" in mine and "You are the first to report" in mine


def test_shares_leave_out_what_no_report_named_and_put_the_most_reported_first():
    order = ("website", "desktop", "mobile", "api")
    rows = shares({"website": 20.0, "api": 80.0}, {"mobile": 100.0}, order)
    assert [(r["name"], r["now"], r["peak"]) for r in rows] == [("api", 80.0, 0.0), ("website", 20.0, 0.0),
                                                                 ("mobile", 0.0, 100.0)]
    assert [r["peak"] for r in shares({"api": 100.0}, None, order)] == [None], "no incident, no peak to speak of"


def test_other_services_without_a_time_come_after_those_with_one():
    statuses = [{"service": s, "state": "outage", "since": since, "evaluated_at": "x"}
                for s, since in (("a", None), ("b", "2026-11-26T12:00:00Z"), ("c", "2026-11-26T11:00:00Z"))]
    names = {"a": "A", "b": "B", "c": "C", "me": "Me"}
    assert [o["slug"] for o in others(statuses, names, "me", epoch("2026-11-26T11:10:00Z"))] == ["c", "b", "a"]
