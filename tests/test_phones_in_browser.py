"""Every public and dashboard page on phones 360 to 430 px wide and on a desktop, in real headless Chromium against a
gunicorn server holding the demo data: nothing scrolls sideways, and every control is big enough to tap."""
import re
from pathlib import Path

import pytest

from dashboards.snapshot import RANGES

from .helpers import DEMO_SERVICES as SERVICES
from .helpers import DESKTOP, open_page

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONES = [360, 390, 430]
TOUCH = 44
"""The least width and height of a control on a phone, in CSS pixels (WCAG 2.5.5, Apple's and Google's guides)."""
PUBLIC = ["/", "/?q=git", "/?q=nothing-like-it", *(f"/{slug}" for slug in SERVICES), "/embed/claude", "/api/v1/docs"]
DASHBOARD = ["/dashboard", *(f"/dashboard/claude?range={name}" for name in RANGES), "/dashboard/slack"]
PAGES = PUBLIC + DASHBOARD

# Controls, found inside the widget's shadow root too. Links count when they act as buttons: the range buttons,
# the header's site links, a link that is all of its table cell (the service list of `/dashboard`) and the service
# names of the home page's lists.
# Links inside running text (paragraphs, list items, the API docs' index) are exempt: WCAG 2.5.5 excepts inline
# links, and making them 44 px tall would pull sentences apart. So is Plotly's own toolbar, drawn inside a chart.
CONTROLS = """() => {
  const found = [];
  const selector = "button, input:not([type=hidden]), select, textarea, summary, a.button, .ranges a, header a, "
                 + "td > a:only-child, th > a:only-child, a.home-name";
  (function walk(root) {
    for (const el of root.querySelectorAll(selector)) {
      if (el.closest(".js-plotly-plot")) continue;
      const cell = el.parentElement;
      if (el.matches("td > a, th > a") && cell.textContent.trim() !== el.textContent.trim()) continue;
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      // Unseen until focused (the skip link) or hidden: nothing to tap.
      if (box.width === 0 || box.height === 0 || box.right <= 0 || style.visibility === "hidden") continue;
      found.push({what: `${el.tagName.toLowerCase()} "${(el.textContent || el.value || el.name || "").trim().slice(0, 30)}"`,
                  width: Math.round(box.width * 10) / 10, height: Math.round(box.height * 10) / 10});
    }
    for (const el of root.querySelectorAll("*")) if (el.shadowRoot) walk(el.shadowRoot);
  })(document);
  return found;
}"""

# The outermost elements that reach past the right edge: what widens the page when it scrolls sideways.
OVERFLOW = """() => {
  const edge = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.getBoundingClientRect().right <= edge + 0.5) continue;
    if (wide.some((outer) => outer.contains(el))) continue;
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") { clipped = true; break; }
    }
    if (!clipped) wide.push(el);
  }
  return wide.map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : ""}`
                          + ` to ${Math.round(el.getBoundingClientRect().right)} px`);
}"""


def shot_name(path, width):
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "index"
    return f"{'desktop' if width == DESKTOP else 'phone'}-{width}-{name}.png"


@pytest.mark.parametrize("width", [*PHONES, DESKTOP])
@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone_or_a_desktop(browser, demo_server, path, width):
    page = open_page(browser, demo_server, path, width, 800 if width == DESKTOP else 844)
    try:
        if width in (390, DESKTOP):
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / shot_name(path, width), full_page=True)
        scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, f"{scroll_width} px wide: {page.evaluate(OVERFLOW)}"
    finally:
        page.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_every_control_on_a_phone_is_at_least_44_px_each_way(browser, demo_server, path):
    page = open_page(browser, demo_server, path, 390, 844)
    try:
        controls = page.evaluate(CONTROLS)
        assert controls, "no control measured: the selector or the page is wrong"
        assert [c for c in controls if c["width"] < TOUCH or c["height"] < TOUCH] == []
    finally:
        page.context.close()
