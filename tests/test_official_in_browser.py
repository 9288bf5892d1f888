"""The official overlay in real headless Chromium: the vendor's posts on the spike chart, the crowd's lead time on
the incident, and the overview saying when the crowd and the status page disagree."""
import json
import urllib.request
from pathlib import Path

import pytest

from workers import official
from workers.poller import poll_page

from .helpers import at_minute, evaluate_after, iso, report_outage, seed_history, set_state
from .statuspages import LOCAL, StatusPage, incident, update

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def page(browser):
    """A page in New York time, as wide as a laptop screen; console errors and failed pages are kept."""
    context = browser.new_context(timezone_id="America/New_York", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: tab.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    yield tab
    context.close()


@pytest.fixture
def vendor_caught_up(data):
    """A crowd outage from minute 10 to 30; the vendor posts at 40 (shown as 12), 75, 80 and 125."""
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5)
    report_outage(data, range(10, 30))
    posts = [update("u4", "resolved", at_minute(125)), update("u3", "monitoring", at_minute(80)),
             update("u2", "identified", at_minute(75)),
             update("u1", "investigating", at_minute(40), display=at_minute(12))]
    with StatusPage() as status_page:
        status_page.publish([incident("vendor1", posts, name="Elevated errors on claude.ai")],
                            {"claude.ai": "operational", "Claude API": "operational"})
        assert poll_page(data, ["claude"], status_page.url, 120, 2, at_minute(130), LOCAL) == "ok"
    evaluate_after(data, 250)


def test_the_vendors_posts_are_marked_on_the_spike_chart_and_the_incident_shows_the_lead_time(
        page, live_server, vendor_caught_up):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{live_server}/dashboard/claude?range=6h&to={iso(at_minute(250))}")
    page.wait_for_function("() => document.querySelector('#spike .annotation') !== null")
    notes = page.locator("#spike .annotation-text").all_text_contents()
    posts = (("Investigating", at_minute(40)), ("Identified", at_minute(75)), ("Monitoring", at_minute(80)),
             ("Resolved", at_minute(125)))
    assert [n for n in notes if n.split()[0] in dict(posts)] == [f"{status} {iso(at)[11:16]}" for status, at in posts]
    overlaps = page.evaluate("""() => {
        const boxes = [...document.querySelectorAll('#spike g.annotation')].map(a => [a.textContent,
                                                                                    a.getBoundingClientRect()]);
        return boxes.flatMap(([t, r], n) => boxes.slice(n + 1).filter(([, q]) => r.left < q.right &&
            q.left < r.right && r.top < q.bottom && q.top < r.bottom).map(([u]) => `${t} / ${u}`));
    }""")
    assert overlaps == [], "labels drawn over one another"
    lines = page.evaluate("() => document.getElementById('spike')._fullLayout.shapes"
                          ".filter(s => s.type === 'line').map(s => s.x0)")
    assert lines == [iso(at) for _, at in posts]
    with urllib.request.urlopen(f"{live_server}/api/v1/incidents?service=claude&country=none") as answer:
        [crowd] = json.load(answer)["incidents"]
    assert crowd["official"]["id"] == "vendor1" and crowd["lead_time_seconds"] > 0
    incidents = page.locator("[data-panel=incidents]")
    assert f"the crowd knew {crowd['lead_time_seconds'] // 60} min earlier" in incidents.inner_text()
    assert incidents.locator(".lead-summary").inner_text().startswith(
        f"Over its last 1 service-wide incident the crowd knew a median {crowd['lead_time_seconds'] // 60} min")
    assert incidents.get_by_role("link", name="Elevated errors on claude.ai").get_attribute("href") == \
        "https://stspg.io/vendor1"
    caption = page.locator("#spike-caption").inner_text()
    assert "identified (“Elevated errors on claude.ai”)" in caption
    page.locator("#spike").screenshot(path=ARTIFACTS / "official-spike-chart.png")
    incidents.screenshot(path=ARTIFACTS / "official-incidents.png")
    page.screenshot(path=ARTIFACTS / "official-service.png", full_page=True)
    assert page.problems == []


def test_the_overview_says_when_the_crowd_sees_an_outage_the_status_page_does_not(page, live_server, data):
    ARTIFACTS.mkdir(exist_ok=True)
    set_state(data, "claude", "outage")
    official.store_components(data, "claude", [{"id": "c0", "name": "claude.ai", "status": "operational"}], 0)
    set_state(data, "github", "outage")
    official.store_components(data, "github", [{"id": "c0", "name": "Git", "status": "major_outage"}], 0)
    page.goto(f"{live_server}/dashboard")
    claude = page.locator("tbody[data-rows] tr", has=page.get_by_role("rowheader", name="Claude"))
    assert claude.locator(".official").inner_text() == "crowd: outage · official: operational"
    github = page.locator("tbody[data-rows] tr", has=page.get_by_role("rowheader", name="GitHub", exact=True))
    assert github.locator(".official").count() == 0, "no note when the page agrees with the crowd"
    page.screenshot(path=ARTIFACTS / "official-overview.png", full_page=True)
    assert page.problems == []
