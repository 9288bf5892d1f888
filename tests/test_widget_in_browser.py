"""The widget, iframe card and badge in real headless Chromium, embedded by a page on another origin."""
import json
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from aggregator.embed import IFRAME_HEIGHT, IFRAME_WIDTH
from workers import keys

from .helpers import host_server, set_state, web_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
EVIL_NAME = "Evil <img src=x onerror=alert(1)>"
CATALOG = f"""
[[service]]
slug = "claude"
name = "Claude"

[[service]]
slug = "chatgpt"
name = "ChatGPT"

[[service]]
slug = "evil"
name = "{EVIL_NAME}"
"""
# The brief's hostile rule, and more: sizes, borders, colours and the custom properties a card might use.
HOSTILE_CSS = f"""* {{ display: inline !important; color: red !important; font: 30px/3 serif !important;
    letter-spacing: 4px !important; --bg: red; --fg: red; --accent: red; }}
html {{ font-size: 40px !important; }}
div, button, p, span {{ border: 5px dashed red !important; padding: 30px !important; background: yellow !important; }}
iframe.radar {{ border: 0 !important; width: {IFRAME_WIDTH}px; height: {IFRAME_HEIGHT}px; }}
""".encode()
INLINE_CONTROL = "<script>window.inlineRan = true</script>"
"""An inline script the strict policy must block: proof that the policy is in force."""
WATCH_CSP = """window.violations = [];
document.addEventListener('securitypolicyviolation',
                          e => window.violations.push(e.effectiveDirective + ' ' + e.blockedURI));"""


def _widget(radar, slug, **options):
    attrs = "".join(f' data-{name}="{value}"' for name, value in options.items())
    return f'<script src="{radar}/widget.js" data-service="{slug}"{attrs} async></script>'


def _page(body, hostile):
    link = '<link rel="stylesheet" href="/hostile.css">' if hostile else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>{link}</head>'
            f'<body><p id="probe">A page on another site.</p>{INLINE_CONTROL if hostile else ""}{body}</body></html>')


def _host_pages(radar):
    """Every page of the embedding site: path -> (body, headers)."""
    strict = {"Content-Security-Policy": f"default-src 'none'; script-src {radar}; connect-src {radar}; "
                                         f"frame-src {radar}; style-src 'self'; img-src 'self'"}
    html = {"Content-Type": "text/html; charset=utf-8"}
    pages = {"/hostile.css": (HOSTILE_CSS, {"Content-Type": "text/css"})}
    for theme in ("light", "dark"):
        body = _widget(radar, "claude", theme=theme) + _widget(radar, "chatgpt", theme=theme, compact="true")
        pages[f"/{theme}.html"] = (_page(body, hostile=True).encode(), {**html, **strict})
        pages[f"/plain-{theme}.html"] = (_page(body, hostile=False).encode(), html)
    iframe = f'<iframe class="radar" src="{radar}/embed/claude" title="Claude status"></iframe>'
    pages["/iframe.html"] = (_page(iframe, hostile=True).encode(), {**html, **strict})
    # No policy at all: markup slipping into the card would really run here.
    evil = _widget(radar, "evil") + f'<iframe src="{radar}/embed/evil" title="Evil status"></iframe>'
    pages["/evil.html"] = (_page(evil, hostile=False).encode(), html)
    pages["/german.html"] = (_page(_widget(radar, "claude", lang="de"), hostile=False).encode(), html)
    # A site making its visitors report for it: a form it submits by itself, and a `no-cors` fetch.
    storm = (f'<iframe name="sink" title="sink"></iframe><form id="storm" method="post" target="sink" '
             f'action="{radar}/api/v1/reports"><input name="service" value="chatgpt">'
             f'<input name="surface" value="website"></form>')
    pages["/storm.html"] = (_page(storm, hostile=False).encode(), html)
    return pages


@pytest.fixture(scope="module")
def radar(redis_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("widget-web")
    catalog = folder / "services.toml"
    catalog.write_text(CATALOG)
    with web_server(redis_server.url, folder, RADAR_SERVICES_FILE=str(catalog)) as base:
        yield base


@pytest.fixture(scope="module")
def host(radar):
    with host_server(_host_pages(radar)) as base:
        yield base


@pytest.fixture
def context(browser):
    """A browser context that records page errors, dialogs and the host page's policy violations."""
    context = browser.new_context(viewport={"width": 900, "height": 700})
    context.add_init_script(WATCH_CSP)
    context.problems, context.dialogs = [], []

    def watch(page):
        page.on("pageerror", lambda e: context.problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: (context.dialogs.append(d.message), d.dismiss()))
    context.on("page", watch)
    yield context
    context.close()


def _report(radar, slug, n):
    """`n` reports from `n` different browsers, sent straight to the API."""
    for i in range(n):
        request = urllib.request.Request(
            f"{radar}/api/v1/reports", data=json.dumps({"service": slug, "surface": "website"}).encode(),
            headers={"Content-Type": "application/json", "User-Agent": f"seed-{slug}-{i}"})
        urllib.request.urlopen(request, timeout=5).close()


def _card(page, slug):
    return page.locator(f"[data-outage-radar={slug}]")


def _loaded(card, name, count):
    expect(card.locator(".name")).to_have_text(name)
    expect(card.locator(".count")).to_have_text(count)


def _intake(data, slug):
    return [fields for _, fields in data.xrange(keys.intake(slug))]


LOOK = """slug => {
  const host = document.querySelector(`[data-outage-radar="${slug}"]`);
  const root = host.shadowRoot;
  const look = (node) => {
    const s = getComputedStyle(node), r = node.getBoundingClientRect();
    return [Math.round(r.width), Math.round(r.height), s.display, s.color, s.backgroundColor, s.fontFamily,
            s.fontSize, s.letterSpacing, s.paddingTop, s.borderTopWidth, s.borderTopStyle, s.borderRadius];
  };
  return {host: getComputedStyle(host).display,
          parts: ['.card', '.head', '.name', '.state', '.spark', '.count', '.foot', 'button.primary'].map(
            sel => [sel, ...look(root.querySelector(sel))])};
}"""


@pytest.fixture
def seeded(radar, data, run_jobs):
    """Claude with three counted reports and possible problems; ChatGPT quiet and ok."""
    _report(radar, "claude", 3)
    run_jobs()
    set_state(data, "claude", "degraded")
    set_state(data, "chatgpt", "ok")


def test_two_widgets_on_a_hostile_strict_page_render_and_report_independently(context, host, seeded, data):
    page = context.new_page()
    page.goto(f"{host}/light.html")
    claude, chatgpt = _card(page, "claude"), _card(page, "chatgpt")
    _loaded(claude, "Claude", "3 reports in the last hour")
    _loaded(chatgpt, "ChatGPT", "0 reports in the last hour")
    expect(claude.locator(".state")).to_have_text("Possible problems")
    expect(chatgpt.locator(".state")).to_have_text("OK")
    page.screenshot(path=ARTIFACTS / "widget-host-light.png", full_page=True)

    claude.get_by_role("button", name="Report a problem").click()
    expect(claude.get_by_role("button", name="Desktop app")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "widget-host-light-asking.png", full_page=True)
    claude.get_by_role("button", name="Website").click()
    expect(claude.get_by_role("status")).to_have_text(
        "Thanks — you and 3 others reported a problem in the last hour.")
    expect(claude.locator(".count")).to_have_text("4 reports in the last hour")

    chatgpt.get_by_role("button", name="Report a problem").click()
    chatgpt.get_by_label("What goes wrong? (optional)").select_option("slow")
    chatgpt.get_by_role("button", name="API").click()
    expect(chatgpt.get_by_role("status")).to_have_text(
        "Thanks — you are the first to report a problem in the last hour.")
    expect(chatgpt.locator(".count")).to_have_text("1 report in the last hour")
    expect(claude.locator(".count")).to_have_text("4 reports in the last hour")
    page.screenshot(path=ARTIFACTS / "widget-host-light-thanks.png", full_page=True)

    assert [(e["surface"], e.get("symptom", ""), e["counted"]) for e in _intake(data, "claude")][-1] == ("website", "", "1")
    assert [(e["surface"], e.get("symptom", ""), e["counted"]) for e in _intake(data, "chatgpt")] == [("api", "slow", "1")]
    assert _intake(data, "chatgpt")[0]["origin"] == "widget:127.0.0.1"
    assert page.evaluate("window.violations") == ["script-src-elem inline"]
    assert page.evaluate("window.inlineRan") is None
    assert page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    assert context.cookies() == []
    assert context.problems == [] and context.dialogs == []


def test_another_sites_form_and_no_cors_posts_are_refused_and_store_nothing(context, host, radar, data):
    page = context.new_page()
    page.goto(f"{host}/storm.html")
    with page.expect_response(f"{radar}/api/v1/reports") as submitted:
        page.evaluate("document.getElementById('storm').submit()")
    assert submitted.value.status == 403
    status = page.evaluate("""url => fetch(url, {method: 'POST', mode: 'no-cors', body: JSON.stringify(
        {service: 'chatgpt', surface: 'api'}), headers: {'Content-Type': 'text/plain'}}).then(r => r.type)""",
                           f"{radar}/api/v1/reports")
    assert status == "opaque"  # the page learns nothing; what matters is that nothing was stored
    page.wait_for_timeout(500)
    assert _intake(data, "chatgpt") == []


def test_a_second_report_from_the_same_visitor_is_deduped_like_a_direct_one(context, host, seeded, data):
    page = context.new_page()
    page.goto(f"{host}/light.html")
    claude = _card(page, "claude")
    _loaded(claude, "Claude", "3 reports in the last hour")
    claude.get_by_role("button", name="Report a problem").click()
    claude.get_by_role("button", name="Website").click()
    expect(claude.get_by_role("status")).to_contain_text("you and 3 others")
    # The second time by keyboard alone: focus comes back to the button that opens the form.
    expect(claude.get_by_role("button", name="Report a problem")).to_be_focused()
    page.keyboard.press("Enter")
    expect(claude.get_by_role("button", name="Website")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(claude.get_by_role("button", name="Mobile app")).to_be_focused()
    page.keyboard.press("Enter")
    expect(claude.get_by_role("status")).to_have_text(
        "Thanks — you already reported this a few minutes ago, so it counts once.")
    widget_reports = _intake(data, "claude")[-2:]
    assert [(e["surface"], e["counted"]) for e in widget_reports] == [("website", "1"), ("mobile", "0")]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_host_pages_css_does_not_change_the_card(context, host, seeded, theme):
    looks = {}
    for name in (f"plain-{theme}", theme):
        page = context.new_page()
        page.goto(f"{host}/{name}.html")
        for slug, title in (("claude", "Claude"), ("chatgpt", "ChatGPT")):
            expect(_card(page, slug).locator(".name")).to_have_text(title)
            expect(_card(page, slug).locator(".count")).to_contain_text("in the last hour")
        looks[name] = {slug: page.evaluate(LOOK, slug) for slug in ("claude", "chatgpt")}
        if name == theme:
            probe = page.evaluate("(() => { const s = getComputedStyle(document.getElementById('probe'));"
                                  " return [s.display, s.color]; })()")
            assert probe == ["inline", "rgb(255, 0, 0)"], "the hostile stylesheet must be in force"
            page.screenshot(path=ARTIFACTS / f"widget-host-{theme}.png", full_page=True)
        page.close()
    assert looks[theme] == looks[f"plain-{theme}"]
    card = dict((part[0], part[1:]) for part in looks[theme]["claude"]["parts"])
    assert looks[theme]["claude"]["host"] == "block"
    # Styled, not bare: the constructed stylesheet applied under the page's strict policy.
    assert card[".card"][8:] == ["12px", "1px", "solid", "10px"]
    assert card[".card"][4] == ("rgb(255, 255, 255)" if theme == "light" else "rgb(29, 33, 38)")
    assert card["button.primary"][4] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 0)")
    compact = dict((part[0], part[1:]) for part in looks[theme]["chatgpt"]["parts"])
    assert compact[".spark"][2] == "block" and compact[".spark"][0] == 0, "compact cards have no sparkline"
    assert compact[".card"][1] < card[".card"][1]


def test_a_display_name_with_markup_is_shown_as_text_and_runs_nothing(context, host, radar):
    page = context.new_page()
    page.goto(f"{host}/evil.html")
    card = _card(page, "evil")
    expect(card.locator(".name")).to_have_text(EVIL_NAME)
    assert card.locator("img").count() == 0
    frame = page.frame_locator("iframe")
    expect(frame.locator("[data-outage-radar=evil] .name")).to_have_text(EVIL_NAME)
    assert frame.locator("img").count() == 0
    page.wait_for_load_state("networkidle")
    assert context.dialogs == [] and context.problems == []
    badge = urllib.request.urlopen(f"{radar}/badge/evil.svg", timeout=5).read().decode()
    assert "<img" not in badge


def test_the_iframe_card_works_on_a_page_that_allows_no_scripts(context, host, seeded, data):
    page = context.new_page()
    page.goto(f"{host}/iframe.html")
    frame = page.frame_locator("iframe.radar")
    card = frame.locator("[data-outage-radar=claude]")
    _loaded(card, "Claude", "3 reports in the last hour")
    inner = next(f for f in page.frames if f.url.endswith("/embed/claude"))
    padding = inner.evaluate("getComputedStyle(document.querySelector('[data-outage-radar]').shadowRoot"
                             ".querySelector('.card')).paddingTop")
    assert padding == "12px", "the card inside the iframe is styled under the embed page's own policy"
    card.get_by_role("button", name="Report a problem").click()
    expect(card.get_by_role("button", name="Mobile app")).to_be_visible()
    assert inner.evaluate("document.documentElement.scrollHeight") <= IFRAME_HEIGHT, "the open form fits"
    card.get_by_role("button", name="Mobile app").click()
    expect(card.get_by_role("status")).to_have_text("Thanks — you and 3 others reported a problem in the last hour.")
    expect(card.locator(".count")).to_have_text("4 reports in the last hour")
    page.screenshot(path=ARTIFACTS / "widget-iframe.png", full_page=True)
    assert _intake(data, "claude")[-1]["surface"] == "mobile"
    assert page.evaluate("window.violations") == ["script-src-elem inline"]
    assert context.problems == []


def test_labels_follow_the_language_and_auto_follows_the_dark_preference(browser, host, seeded):
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{host}/german.html")
        card = _card(page, "claude")
        _loaded(card, "Claude", "3 Meldungen in der letzten Stunde")
        expect(card.locator(".state")).to_have_text("Mögliche Probleme")
        expect(card.get_by_role("button", name="Problem melden")).to_be_visible()
        assert card.locator(".card").evaluate("n => getComputedStyle(n).backgroundColor") == "rgb(29, 33, 38)"
    finally:
        context.close()
