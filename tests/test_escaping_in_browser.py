"""In Chromium: a service name and an incident note made of markup show as text, run nothing, break no policy."""
import pytest

from workers import manual

from .helpers import HOSTILE_CATALOG, IMAGE, NOW, SCRIPT, store_incident, web_server

NAME = f"{SCRIPT} {IMAGE}"


@pytest.fixture
def server(redis_server, data, tmp_path):
    path = tmp_path / "services.toml"
    path.write_text(HOSTILE_CATALOG)
    incident = store_incident(data, "hostile", NOW - 3600)
    manual.add_note(data, incident["id"], NAME, NOW)
    with web_server(redis_server.url, tmp_path, RADAR_SERVICES_FILE=str(path)) as base:
        yield base


@pytest.fixture
def page(browser):
    """A tab that keeps console errors, script errors, dialogs and CSP violations."""
    context = browser.new_context()
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: tab.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    tab.on("dialog", lambda d: (tab.problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield tab
    context.close()


@pytest.mark.parametrize("path", ["/", "/hostile", "/dashboard", "/dashboard/hostile?range=7d"])
def test_a_name_and_a_note_made_of_markup_show_as_text_and_run_nothing(page, server, path):
    page.goto(f"{server}{path}")
    page.wait_for_load_state("networkidle")
    assert NAME in page.locator("body").inner_text()
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("() => [...document.scripts].every(s => s.src || s.type === 'application/json')")
    assert page.problems == []


def test_the_api_docs_page_loads_under_the_policy_without_errors(page, server):
    page.goto(f"{server}/api/v1/docs")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Outage Radar API")
    assert page.problems == []
