"""The public site as a reader meets it in Chromium, on a phone and on a desktop: the answer, comments, hiding."""
from __future__ import annotations

import json
import urllib.request

import pytest

from .helpers import AUTH, admin_app, post, set_state

MARKUP = "<b>bold</b> <img src=x onerror=alert(1)> & more"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
LEADS = {"outage": "User reports indicate problems at Claude since", "degraded": "Possible problems at Claude since",
         "ok": "No problems reported at Claude —"}


@pytest.fixture(params=list(SIZES))
def page(request, browser):
    context = browser.new_context(viewport=SIZES[request.param], has_touch=request.param == "phone")
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def api(base: str, path: str) -> dict:
    with urllib.request.urlopen(f"{base}{path}", timeout=10) as answer:
        return json.load(answer)


@pytest.mark.parametrize("state", ["outage", "degraded", "ok"])
def test_the_answer_sentence_agrees_with_the_status_api(page, live_server, data, state):
    set_state(data, "claude", state, since="2026-11-26T12:03:00Z")
    page.goto(f"{live_server}/claude")
    said = " ".join(page.inner_text("#answer").split())
    assert api(live_server, "/api/v1/services/claude/status")["state"] == state
    assert said.startswith(LEADS[state]), said
    assert "in the last hour" in said


def test_a_comment_made_of_markup_shows_as_text_and_runs_nothing(page, live_server, client, run_jobs):
    post(client, {"service": "claude", "surface": "website", "comment": MARKUP})
    run_jobs()
    page.goto(f"{live_server}/claude#comments")
    assert page.locator("#comments .comment-text").all_inner_texts() == [MARKUP]
    assert page.locator("#comments b, #comments img").count() == 0
    assert page.dialogs == []


def test_a_hidden_comment_disappears_from_the_page_and_the_feed(page, live_server, client, run_jobs, redis_server):
    for n, text in enumerate(["still down", "rude words"]):
        post(client, {"service": "claude", "surface": "mobile", "comment": text}, ua=f"browser-{n}")
    run_jobs()
    page.goto(f"{live_server}/claude")
    assert page.locator("#comments .comment-text").all_inner_texts() == ["rude words", "still down"]
    rude = api(live_server, "/api/v1/services/claude/comments")["comments"][0]["id"]
    admin = admin_app(redis_server).test_client()
    assert admin.post(f"/api/v1/admin/services/claude/comments/{rude}/hide", headers=AUTH).status_code == 200
    page.reload()
    assert page.locator("#comments .comment-text").all_inner_texts() == ["still down"]
    assert [c["text"] for c in api(live_server, "/api/v1/services/claude/comments")["comments"]] == ["still down"]
