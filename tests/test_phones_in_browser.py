"""Every public and dashboard page on phones 360 to 430 px wide and on a desktop, in real headless Chromium against a
gunicorn server holding the demo data: nothing scrolls sideways, and every control is big enough to tap."""
import re
import time
from pathlib import Path

import pytest

from aggregator.base.catalog import load_catalog
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client, queue_client
from aggregator.local_redis import start
from dashboards.snapshot import RANGES
from workers.demo import replay_detection, seed, seed_official

from .helpers import web_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONES = [360, 390, 430]
DESKTOP = 1280
TOUCH = 44
"""The least width and height of a control on a phone, in CSS pixels (WCAG 2.5.5, Apple's and Google's guides)."""
SERVICES = ["claude", "slack", "github"]
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server on a Redis of its own holding four days of demo reports, the replayed claude outage and its vendor
    posts: seeded once for the module, where the shared Redis is emptied before every test."""
    redis = start(tmp_path_factory.mktemp("phones-redis"), persist=False)
    settings = Settings.from_env(REDIS_URL=redis.url)
    catalog = load_catalog("aggregator/services.toml")
    services = [catalog.get(slug) for slug in SERVICES]
    now = time.time()
    with data_client(settings) as data, queue_client(settings) as queue:
        seeded = seed(data, services, now)
        replay_detection(data, queue, settings, services, seeded.outage, now)
        seed_official(data, services, now)
    try:
        with web_server(redis.url, tmp_path_factory.mktemp("phones-web")) as base:
            yield base
    finally:
        redis.stop()


def open_page(browser, server, path, width, height, **options):
    """`path` at `width` × `height` (and the browser context's other `options`) once it has drawn what its scripts
    draw: charts, map, widget."""
    # Not a mobile emulation: with one, Chromium widens the layout viewport to fit wide content, and the page
    # would never seem to scroll sideways however wide it was.
    # A touch screen on phones: the widget sizes its buttons for fingers where the pointer is coarse, since the
    # width of the iframe it may sit in says nothing about the device.
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=width != DESKTOP,
                                  **options)
    page = context.new_page()
    page.goto(server + path)
    if path.startswith("/dashboard/"):
        page.wait_for_function("() => ['spike', 'surfaces', 'symptoms'].every((id) =>"
                               " document.querySelector(`#${id} .main-svg`))"
                               " && document.querySelector('#regions .choropleth') !== null")
    elif path.startswith("/embed/"):
        page.wait_for_function("() => { const host = document.querySelector('[data-outage-radar]');"
                               " return host && host.shadowRoot.querySelector('button') !== null; }")
    return page


def shot_name(path, width):
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "index"
    return f"{'desktop' if width == DESKTOP else 'phone'}-{width}-{name}.png"


@pytest.mark.parametrize("width", [*PHONES, DESKTOP])
@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone_or_a_desktop(browser, server, path, width):
    page = open_page(browser, server, path, width, 800 if width == DESKTOP else 844)
    try:
        if width in (390, DESKTOP):
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / shot_name(path, width), full_page=True)
        scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, f"{scroll_width} px wide: {page.evaluate(OVERFLOW)}"
    finally:
        page.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_every_control_on_a_phone_is_at_least_44_px_each_way(browser, server, path):
    page = open_page(browser, server, path, 390, 844)
    try:
        controls = page.evaluate(CONTROLS)
        assert controls, "no control measured: the selector or the page is wrong"
        assert [c for c in controls if c["width"] < TOUCH or c["height"] < TOUCH] == []
    finally:
        page.context.close()
