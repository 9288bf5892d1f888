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


def test_a_comment_typed_with_line_breaks_up_to_the_limit_is_counted(browser, live_server, data):
    typed = "\n".join(["x" * 55] * 5) + "!"  # 280 characters; the browser sends each line break as CRLF
    page = browser.new_page()
    try:
        page.goto(f"{live_server}/claude")
        page.fill("#comment", typed)
        page.get_by_role("button", name="API").click()
        page.wait_for_url("**/claude?*")
        assert "Thanks — your API report was counted." in page.inner_text("[role=status]")
    finally:
        page.close()
    (_, fields), = data.xrange("radar:{claude}:intake")
    assert fields["comment"] == typed


def test_a_comment_too_long_comes_back_in_the_form_with_the_message(browser, live_server, data):
    typed = "spins\n" + "z" * 300
    page = browser.new_page()
    try:
        page.goto(f"{live_server}/claude")
        page.select_option("#symptom", "errors")
        # Longer than the text box lets anyone type (an older browser, or a script, may send it all the same).
        page.eval_on_selector("#comment", "(box, text) => { box.value = text; }", typed)
        page.get_by_role("button", name="Mobile app").click()
        page.wait_for_selector("[role=alert]")
        assert page.inner_text("[role=alert]") == "'comment' is 306 characters; at most 280"
        assert page.input_value("#comment") == typed
        assert page.input_value("#symptom") == "errors"
    finally:
        page.close()
    assert data.xlen("radar:{claude}:intake") == 0


def test_on_a_phone_the_page_shows_the_days_chart_and_a_report_sent_from_it_is_counted(browser, live_server, data):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/claude")
        chart = page.get_by_role("img", name="Reports of Claude per 15 minutes over the last 24 hours")
        box = chart.bounding_box()
        assert box["width"] <= 390 and box["height"] > 100, box
        page.get_by_role("button", name="Mobile app").tap()
        page.wait_for_url("**/claude?*")
        assert "Thanks — your Mobile app report was counted." in page.inner_text("[role=status]")
        assert "1 report in the last hour" in page.inner_text("#answer")
        assert page.get_by_role("img", name="Reports of Claude per 15 minutes over the last 24 hours").is_visible()
    finally:
        context.close()
    (_, fields), = data.xrange("radar:{claude}:intake")
    assert fields["surface"] == "mobile" and fields["counted"] == "1"
