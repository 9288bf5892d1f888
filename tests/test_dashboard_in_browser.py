"""The dashboard in real headless Chromium against a gunicorn server that refreshes every second."""
import csv
import itertools
import json
import time
import urllib.request
from pathlib import Path

import pytest

from .helpers import iso, web_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Addresses the MaxMind test database places in these countries.
ADDRESSES = {"GB": "81.2.69.142", "US": "216.160.83.56", "SE": "89.160.20.112", "CN": "175.16.199.1"}
_reporters = itertools.count()


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    """Like `live_server`, with a one-second refresh and this machine trusted to say where a report is from."""
    with web_server(redis_server.url, tmp_path_factory.mktemp("dashboard-web"), RADAR_DASHBOARD_REFRESH="1",
                    TRUSTED_PROXIES="127.0.0.1/32") as base:
        yield base


def report(base, country="GB", surface="website", service="claude"):
    request = urllib.request.Request(
        f"{base}/api/v1/reports", data=json.dumps({"service": service, "surface": surface}).encode(),
        headers={"Content-Type": "application/json", "User-Agent": f"browser-test-{next(_reporters)}",
                 "X-Forwarded-For": ADDRESSES[country]})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 202


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def outage(server, run_jobs):
    """A burst of reports about claude from four countries, mostly the website, counted."""
    for country, surfaces in {"GB": ["website"] * 5 + ["api"], "US": ["website"] * 4 + ["mobile"] * 2,
                              "SE": ["desktop", "website"], "CN": ["website"]}.items():
        for surface in surfaces:
            report(server, country, surface)
    report(server, "US", "api", service="github")
    run_jobs()


@pytest.fixture
def page(browser):
    """A page in Berlin time whose console errors, failed pages and requests to other sites are kept."""
    context = browser.new_context(timezone_id="Europe/Berlin", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: tab.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    tab.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
           else tab.problems.append(f"request elsewhere: {r.url}"))
    yield tab
    context.close()


def chart(page):
    """The times (UTC, ISO) and counts of the chart's reports trace, as the browser has it."""
    page.wait_for_function("() => document.getElementById('spike').data !== undefined")
    return page.evaluate("""() => {
        const t = document.getElementById('spike').data.find(t => t.name === 'Reports');
        const start = Date.parse(t.x0);
        const x = t.y.map((_, n) => new Date(start + n * t.dx).toISOString().replace('.000Z', 'Z'));
        return {x, y: Array.from(t.y)};
    }""")


def test_the_overview_and_a_service_page_load_without_errors_or_outside_requests(page, server, outage):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{server}/dashboard")
    first = page.locator("tbody[data-rows] tr").first
    assert first.locator("th").inner_text() == "Claude"
    assert first.locator("td").nth(1).inner_text() == "15"
    page.screenshot(path=ARTIFACTS / "dashboard-overview.png", full_page=True)
    page.goto(f"{server}/dashboard/claude")
    page.wait_for_function("() => document.querySelector('#regions .choropleth') !== null")
    assert page.get_by_role("heading", level=1).inner_text() == "Claude"
    assert "Website" in page.locator("#surfaces-table").inner_text()
    page.screenshot(path=ARTIFACTS / "dashboard-service.png", full_page=True)
    assert page.problems == []


def test_the_chart_holds_the_read_apis_counts(page, server, outage):
    page.goto(f"{server}/dashboard/claude?range=1h")
    reports = chart(page)
    shown_to = page.evaluate("() => document.body.dataset.shownTo")
    api = get_json(f"{server}/api/v1/services/claude/series?resolution=1m&from={reports['x'][0]}&to={shown_to}")
    assert reports["x"] == [b["time"] for b in api["buckets"]]
    assert reports["y"] == [b["total"] for b in api["buckets"]]
    assert sum(reports["y"]) == 15


def test_a_new_report_shows_on_the_page_after_the_next_refresh(page, server, outage, run_jobs):
    page.goto(f"{server}/dashboard/claude?range=1h")
    assert sum(chart(page)["y"]) == 15
    report(server, "US", "mobile")
    run_jobs()
    page.wait_for_function("() => document.getElementById('spike').data.find(t => t.name === 'Reports')"
                           ".y.reduce((a, b) => a + b, 0) === 16", timeout=10_000)
    assert "16 reports in last hour" in page.locator("[data-panel=headline]").inner_text()
    assert page.locator("[data-updated]").inner_text().startswith("Updated")


def test_the_overview_refreshes_and_its_search_box_filters_services(page, server, outage, run_jobs):
    page.goto(f"{server}/dashboard")
    page.get_by_label("Find a service").fill("git")
    assert page.locator("tbody[data-rows] tr:visible th").all_inner_texts() == ["GitHub", "GitHub Copilot"]
    report(server, "GB", "website", service="github")
    run_jobs()
    github = page.locator("tbody[data-rows] tr:visible").first
    page.wait_for_function("() => document.querySelector('tbody[data-rows] tr:not([hidden]) td:nth-child(3)')"
                           ".textContent.trim() === '2'", timeout=10_000)
    assert github.locator("th").inner_text() == "GitHub"
    assert page.locator("tbody[data-rows] tr:visible").count() == 2


def _x_span(page):
    return page.evaluate("() => { const r = document.getElementById('spike')._fullLayout.xaxis.range;"
                         " return (new Date(r[1]) - new Date(r[0])) / 3600000; }")


def test_range_buttons_change_the_x_axis_and_the_address_by_mouse_or_keyboard(page, server, outage):
    page.goto(f"{server}/dashboard/claude")
    assert 23.9 < _x_span(page) <= 24
    page.get_by_role("link", name="1h", exact=True).click()
    page.wait_for_function("() => document.body.dataset.shownRange === '1h'")
    assert 0.9 < _x_span(page) <= 1
    assert page.url.endswith("/dashboard/claude?range=1h")
    assert page.get_by_role("link", name="1h", exact=True).get_attribute("aria-current") == "true"
    page.get_by_role("link", name="7d", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.dataset.shownRange === '7d'")
    assert 167 < _x_span(page) <= 168
    assert "per 15 minutes" in page.locator("#spike-caption").inner_text()


def test_the_csv_export_downloads_the_numbers_in_the_chart(page, server, outage):
    # A range that ends at a fixed minute, and no refresh between reading the chart and clicking: a live range
    # would move on at the turn of a minute between the two.
    page.goto(f"{server}/dashboard/claude?range=6h&to={iso((time.time() // 60 + 1) * 60)}")
    page.route("**/dashboard/claude/data?*", lambda route: route.abort())
    reports = chart(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(open(download.value.path(), newline="")))
    assert [r["time"] for r in rows] == reports["x"]
    assert [int(r["reports"]) for r in rows] == reports["y"]


def test_an_unknown_service_shows_a_404_page(page, server):
    response = page.goto(f"{server}/dashboard/nothing-here")
    assert response.status == 404
    assert "unknown service" in page.get_by_role("alert").inner_text()


def test_a_refresh_slower_than_the_period_sets_off_no_storm_of_requests(page, server):
    page.goto(f"{server}/dashboard/claude")
    held = []
    # A server that has stopped answering: every data request waits for good.
    page.route("**/dashboard/claude/data?*", lambda route: held.append(route))
    page.wait_for_function("() => document.querySelector('[data-updated]').textContent.endsWith('s ago.')")
    page.get_by_role("link", name="1h", exact=True).click()
    page.wait_for_timeout(2000)
    assert 1 <= len(held) <= 3, f"{len(held)} requests to a server that does not answer"


def test_a_failing_refresh_is_retried_once_a_period_not_in_a_loop(page, server):
    page.goto(f"{server}/dashboard/claude")
    failed = []

    def unavailable(route):
        failed.append(route.request.url)
        route.fulfill(status=503, json={"error": {"code": "data_unavailable", "message": "down", "field": None}})
    page.route("**/dashboard/claude/data?*", unavailable)
    page.wait_for_function("() => document.querySelector('[data-problem]').textContent !== ''")
    page.wait_for_timeout(2000)
    assert 1 <= len(failed) <= 4, f"{len(failed)} requests in about 3 seconds at one a second"
