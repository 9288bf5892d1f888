"""The languages in real headless Chromium: a German browser gets German, the switch works without JavaScript,
and the widget speaks its host page's language."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import host_server, web_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture(scope="module")
def radar(redis_server, tmp_path_factory):
    with web_server(redis_server.url, tmp_path_factory.mktemp("languages-web")) as base:
        yield base


def _host_page(radar: str, lang: str) -> bytes:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Host</title></head><body>'
            f'<script src="{radar}/widget.js" data-service="claude" async></script></body></html>').encode()


@pytest.fixture(scope="module")
def host(radar):
    pages = {"/de.html": (_host_page(radar, "de"), HTML), "/fr.html": (_host_page(radar, "fr"), HTML)}
    with host_server(pages) as base:
        yield base


def test_a_german_browser_gets_german_and_the_switch_to_english_works_without_javascript(browser, radar):
    context = browser.new_context(locale="de-DE", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{radar}/claude")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Mobile App")).to_be_visible()
    expect(page.get_by_role("option", name="Anmeldung geht nicht")).to_be_attached()
    switch = page.get_by_role("navigation", name="Sprache")
    expect(switch.get_by_role("link", name="Deutsch")).to_have_attribute("aria-current", "true")

    switch.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Mobile app")).to_be_visible()
    page.goto(f"{radar}/")  # the next page keeps the choice, though the browser still asks for German
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation", name="Language").get_by_role("link", name="English")).to_have_attribute(
        "aria-current", "true")
    context.close()


def test_the_language_links_are_big_enough_for_a_thumb_on_a_phone(browser, radar):
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{radar}/claude")
    page.screenshot(path=ARTIFACTS / "languages-de-phone.png", full_page=True)
    for link in page.get_by_role("navigation", name="Sprache").get_by_role("link").all():
        box = link.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    context.close()


def test_the_widget_on_a_german_page_speaks_german(browser, host):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{host}/de.html")
    card = page.locator("[data-outage-radar=claude]")
    expect(card.locator(".count")).to_have_text("0 Meldungen in der letzten Stunde")
    expect(card.get_by_role("button", name="Problem melden")).to_be_visible()
    context.close()


def test_the_widget_on_a_page_in_a_language_it_lacks_speaks_the_browsers(browser, host):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(f"{host}/fr.html")
    expect(page.locator("[data-outage-radar=claude]").get_by_role("button", name="Problem melden")).to_be_visible()
    context.close()
