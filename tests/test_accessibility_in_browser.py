"""Every public and dashboard page in real headless Chromium, on a phone and a desktop, light and dark, against a
gunicorn server holding the demo data: axe-core finds no serious or critical violation, and Tab reaches every
visible control. Each page is also saved as a screenshot, into RADAR_SCREENSHOTS if set, for a person to look at."""
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from .helpers import open_page


def report_in_the_form(page):
    """Send the service page's form as a person does: a symptom, a comment, then a surface's button."""
    page.get_by_label("What goes wrong?").select_option(index=1)
    page.locator("#comment").fill("It keeps spinning.")
    with page.expect_navigation():
        page.get_by_role("button", name="Website").click()
    assert page.get_by_role("status").count() == 1, "the page after the form says nothing of the report"


PAGES = {
    "index": ("/", None),
    "service": ("/claude", None),
    "service-after-a-report": ("/claude", report_in_the_form),
    "embed": ("/embed/claude", None),
    "api-docs": ("/api/v1/docs", None),
    "not-found": ("/no-such-service", None),
    "dashboard": ("/dashboard", None),
    "dashboard-service": ("/dashboard/claude", None),
}
"""Name: (path, what a person does there first). /feed.atom and the API's JSON are no pages to check."""
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
SCHEMES = ["light", "dark"]
BLOCKING = ("serious", "critical")
MOST_TABS = 400


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    folder = Path(os.environ.get("RADAR_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def visit(browser, demo_server, name, size, scheme):
    """The named page at `size` in `scheme`, once its scripts have drawn and any action on it is done."""
    path, action = PAGES[name]
    page = open_page(browser, demo_server, path, *SIZES[size], color_scheme=scheme)
    if action:
        action(page)
    return page


def violations(page) -> list[str]:
    """axe-core's serious and critical violations, one line each: rule, impact, the elements, what would help."""
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {', '.join(' '.join(n['target']) for n in v['nodes'][:8])}"
            f"{' …' if len(v['nodes']) > 8 else ''} — {v['help']} ({v['helpUrl']})"
            for v in found if v["impact"] in BLOCKING]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_or_critical_violation_on_any_page(browser, demo_server, screenshots, name, size, scheme):
    page = visit(browser, demo_server, name, size, scheme)
    try:
        page.screenshot(path=screenshots / f"{name}-{size}-{scheme}.png", full_page=True)
        found = violations(page)
        assert found == [], f"{PAGES[name][0]} at {SIZES[size][0]} px, {scheme}:\n" + "\n".join(found)
    finally:
        page.context.close()


# Focusable elements, inside shadow roots too (the widget), by a description that is the same on every call.
# Radio buttons count as one control a group, as Tab visits one of them; Plotly's toolbar shows on hover only.
FOCUSABLE = """() => {
  const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  const found = [];
  (function walk(root) {
    for (const el of root.querySelectorAll(`${controls}, iframe, [tabindex]`)) {
      // A control taken out of the tab order (tabindex=-1) is what this looks for; another element with a
      // negative tabindex is only a target for script focus (the skip link's).
      if (el.disabled || (el.tabIndex < 0 && !el.matches(controls)) || el.closest("[inert], .modebar")) continue;
      // Not inside a closed <details>, display: none, invisible or transparent.
      if (!el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true, opacityProperty: true})) continue;
      if (el.type === "radio" && found.some((f) => f.type === "radio" && f.name === el.name)) continue;
      found.push(el);
    }
    for (const el of root.querySelectorAll("*")) if (el.shadowRoot) walk(el.shadowRoot);
  })(document);
  window.__focusable = found;
  return found.map(describe);
  function describe(el) { return window.__describe(el); }
}"""
DESCRIBE = """() => { window.__describe = (el) => {
  const text = (el.getAttribute("aria-label") || el.textContent || el.value || el.name || "").trim().replace(/\\s+/g, " ");
  const group = el.type === "radio" ? `radio ${el.name}` : "";
  return group || `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${text.slice(0, 40)}"`
         + ` #${[...el.getRootNode().querySelectorAll(el.tagName)].indexOf(el)}`;
}; }"""
ACTIVE = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  return !el || el === document.body ? null : window.__describe(el);
}"""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_tab_reaches_every_visible_link_button_and_form_control(browser, demo_server, name, size):
    page = visit(browser, demo_server, name, size, "light")
    try:
        page.evaluate(DESCRIBE)
        visible = page.evaluate(FOCUSABLE)
        assert visible, "no focusable element found: the selector or the page is wrong"
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
        reached = []
        # Until focus leaves the page or comes round again; Tab also stops at controls that show only on focus.
        for _ in range(MOST_TABS):
            page.keyboard.press("Tab")
            active = page.evaluate(ACTIVE)
            if reached and active in (None, reached[0]):
                break
            if active is not None:
                reached.append(active)
        missed = [v for v in visible if v not in reached]
        assert missed == [], f"{PAGES[name][0]} at {SIZES[size][0]} px: Tab never reaches {missed}"
    finally:
        page.context.close()

