"""The public pages, the dashboard, the widget and the iframe card in the reader's colour scheme, and the times
they print in the reader's own zone, in real headless Chromium."""
import pytest
from playwright.sync_api import expect

from .contrast import AA_TEXT, contrast, luminance
from .helpers import host_server, set_state, web_server

PAGES = ["/", "/claude", "/nothing-here", "/api/v1/docs", "/dashboard", "/dashboard/claude", "/dashboard/nothing-here"]
CHARTS = ["spike", "surfaces", "symptoms", "regions"]
SINCE = "2026-11-26T15:03:00Z"
"""An outage's start: 10:03 in New York, on Eastern Standard Time that day."""

# The text and background colours of the page's body and of its first link, as the browser computed them.
PAGE_COLOURS = """() => {
  const body = getComputedStyle(document.body);
  return {text: [body.color, body.backgroundColor],
          link: [getComputedStyle(document.querySelector("a[href]")).color, body.backgroundColor]};
}"""
# A chart's background as Plotly painted it, and the fill of its first text (an axis label or a note).
CHART_COLOURS = """name => {
  const chart = document.getElementById(name);
  return [getComputedStyle(chart.querySelector("text")).fill, getComputedStyle(chart.querySelector(".main-svg")).backgroundColor];
}"""
# The widget's card, inside its shadow root: its text and its muted count line against the card.
CARD_COLOURS = """host => {
  const root = host.shadowRoot, card = getComputedStyle(root.querySelector(".card"));
  return {text: [card.color, card.backgroundColor],
          count: [getComputedStyle(root.querySelector(".count")).color, card.backgroundColor]};
}"""


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    """A server whose public pages are made afresh for every request, so a state set by a test shows at once."""
    with web_server(redis_server.url, tmp_path_factory.mktemp("dark-web"), RADAR_PAGE_SNAPSHOT_SECONDS="0") as base:
        yield base


@pytest.fixture(scope="module")
def host(server):
    """Another site with the widget in its default theme, which follows the reader's preference."""
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body>'
            f'<script src="{server}/widget.js" data-service="claude" async></script></body></html>')
    with host_server({"/widget.html": (page.encode(), {"Content-Type": "text/html; charset=utf-8"})}) as base:
        yield base


@pytest.fixture
def context(browser, scheme):
    """A browser context in the colour scheme the test is parametrized with."""
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def unreadable(scheme: str, pairs: dict[str, list[str]]) -> dict[str, str]:
    """Of (text, background) pairs, those whose background is not of `scheme` or whose text misses AA contrast."""
    wrong = {}
    for what, (text, background) in pairs.items():
        dark = luminance(background) < 0.05 and luminance(text) > 0.4
        light = luminance(background) > 0.8 and luminance(text) < 0.2
        if not (dark if scheme == "dark" else light):
            wrong[what] = f"{text} on {background} is not {scheme}"
        elif contrast(text, background) < AA_TEXT:
            wrong[what] = f"{text} on {background}: {contrast(text, background):.2f}:1"
    return wrong


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_public_and_dashboard_pages_follow_the_readers_scheme_with_readable_text(context, scheme, server):
    page = context.new_page()
    wrong = {}
    for path in PAGES:
        page.goto(f"{server}{path}")
        wrong.update({f"{path} {what}": problem
                      for what, problem in unreadable(scheme, page.evaluate(PAGE_COLOURS)).items()})
    assert wrong == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_dashboards_charts_and_map_are_drawn_in_the_readers_scheme(context, scheme, server):
    page = context.new_page()
    page.goto(f"{server}/dashboard/claude")
    page.wait_for_function("() => document.querySelector('#regions .land path') !== null")
    pairs = {name: page.evaluate(CHART_COLOURS, name) for name in CHARTS}
    land = page.evaluate("getComputedStyle(document.querySelector('#regions .land path')).fill")
    pairs["map's land"] = [pairs["regions"][0], land]
    assert unreadable(scheme, pairs) == {}


@pytest.mark.parametrize("scheme", ["light"])
def test_the_charts_are_drawn_again_when_the_reader_switches_to_dark(context, scheme, server):
    page = context.new_page()
    page.goto(f"{server}/dashboard/claude")
    page.wait_for_function("() => document.querySelector('#regions .land path') !== null")
    assert unreadable("light", {"spike": page.evaluate(CHART_COLOURS, "spike")}) == {}
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("() => getComputedStyle(document.querySelector('#spike .main-svg')).backgroundColor"
                           " !== 'rgb(255, 255, 255)'")
    assert unreadable("dark", {name: page.evaluate(CHART_COLOURS, name) for name in CHARTS}) == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_widget_on_a_host_page_and_the_iframe_card_follow_the_readers_scheme(context, scheme, server, host):
    page = context.new_page()
    wrong = {}
    for url in (f"{host}/widget.html", f"{server}/embed/claude"):
        page.goto(url)
        card = page.locator("[data-outage-radar=claude]")
        expect(card.locator(".count")).to_contain_text("in the last hour")
        wrong.update({f"{url} {what}": problem
                      for what, problem in unreadable(scheme, card.evaluate(CARD_COLOURS)).items()})
    assert wrong == {}


def _answer_time(browser, server, data, now, **options):
    set_state(data, "claude", "outage", since=SINCE)
    context = browser.new_context(**options)
    try:
        page = context.new_page()
        if now:
            page.clock.set_fixed_time(now)
        page.goto(f"{server}/claude")
        time = page.locator("#answer time")
        return time.inner_text(), time.get_attribute("title")
    finally:
        context.close()


def test_the_answers_time_of_today_shows_the_readers_clock_and_zone_with_utc_in_its_title(browser, server, data):
    shown = _answer_time(browser, server, data, "2026-11-26T20:00:00Z", timezone_id="America/New_York")
    assert shown == ("10:03 AM EST", "15:03 UTC")


def test_the_answers_time_of_another_day_shows_its_date_too(browser, server, data):
    shown = _answer_time(browser, server, data, "2026-11-28T20:00:00Z", timezone_id="America/New_York")
    assert shown == ("Thu, Nov 26, 10:03 AM EST", "15:03 UTC")


def test_without_javascript_the_answers_time_stays_in_utc(browser, server, data):
    shown = _answer_time(browser, server, data, None, timezone_id="America/New_York", java_script_enabled=False)
    assert shown == ("15:03 UTC", None)
