"""The report page in real headless Chromium, with and without JavaScript."""
import pytest


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_clicking_a_surface_button_reports_it_and_says_thanks(browser, live_server, data, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/claude")
        assert page.get_by_role("heading").first.inner_text() == "Problems with Claude?"
        page.select_option("#symptom", "login")
        page.get_by_role("button", name="Website").click()
        page.wait_for_url("**/claude?*")
        assert "Thanks — your Website report was counted." in page.inner_text("[role=status]")
        assert "You are the first" in page.inner_text("#count")
    finally:
        context.close()
    (entry_id, fields), = data.xrange("radar:{claude}:intake")
    assert fields["surface"] == "website" and fields["symptom"] == "login" and fields["counted"] == "1"


def test_the_service_list_links_to_each_report_page(browser, live_server):
    page = browser.new_page()
    try:
        page.goto(f"{live_server}/")
        page.get_by_role("link", name="ChatGPT").click()
        page.wait_for_url("**/chatgpt")
        assert page.get_by_role("button", name="Mobile app").is_visible()
    finally:
        page.close()
