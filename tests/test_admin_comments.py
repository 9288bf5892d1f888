"""Hiding comments behind RADAR_ADMIN_TOKEN: gone from the feed and the page, kept and listed for the admin."""
import json

import pytest

from workers import keys

from .helpers import AUTH, NOW, Shown, admin_app, api_error, iso, post, rendered

BASE = "/api/v1/admin/services/claude/comments"


@pytest.fixture
def admin(redis_server):
    return admin_app(redis_server).test_client()


@pytest.fixture
def ids(client, run_jobs):
    """Three comments of claude, oldest first, sent and drained as reporters' comments are."""
    for n, text in enumerate(["fine", "rude <b>words</b>", "down here too"]):
        post(client, {"service": "claude", "surface": "mobile", "comment": text}, ua=f"b-{n}")
    run_jobs()
    return [c["id"] for c in reversed(client.get("/api/v1/services/claude/comments").get_json()["comments"])]


def feed_texts(client) -> list[str]:
    return [c["text"] for c in client.get("/api/v1/services/claude/comments").get_json()["comments"]]


def test_a_hidden_comment_is_gone_from_the_feed_and_the_page_but_kept_and_listed_for_the_admin(admin, client, data,
                                                                                                ids):
    response = admin.post(f"{BASE}/{ids[1]}/hide", json={"reason": " insults "}, headers=AUTH)
    assert response.status_code == 200
    hidden = {"by": "admin", "at": iso(NOW), "reason": "insults"}
    assert response.get_json() == {"id": ids[1], "time": iso(NOW // 60 * 60), "surface": "mobile", "country": "GB",
                                   "text": "rude <b>words</b>", "hidden": hidden}
    assert feed_texts(client) == ["down here too", "fine"]
    assert Shown(rendered(client.application)).texts == ["down here too", "fine"]
    assert Shown(client.get("/claude").get_data(as_text=True)).texts == ["down here too", "fine"]
    listed = admin.get(f"{BASE}/hidden", headers=AUTH)
    assert listed.get_json() == {"service": "claude", "comments": [response.get_json()]}
    assert listed.headers["Cache-Control"] == "private, no-store"
    assert len(data.xrange(keys.comments("claude"))) == 3


def test_unhiding_brings_a_comment_back_in_its_place(admin, client, ids):
    admin.post(f"{BASE}/{ids[1]}/hide", headers=AUTH)
    response = admin.post(f"{BASE}/{ids[1]}/unhide", headers=AUTH)
    assert response.status_code == 200 and response.get_json()["hidden"] is None
    assert feed_texts(client) == ["down here too", "rude <b>words</b>", "fine"]
    assert admin.get(f"{BASE}/hidden", headers=AUTH).get_json()["comments"] == []


def test_hiding_takes_no_body_and_keeps_no_reason_then(admin, ids):
    response = admin.post(f"{BASE}/{ids[0]}/hide", headers=AUTH)
    assert response.get_json()["hidden"] == {"by": "admin", "at": iso(NOW), "reason": None}


def test_the_hidden_list_is_newest_first(admin, ids):
    for comment_id in ids:
        admin.post(f"{BASE}/{comment_id}/hide", headers=AUTH)
    assert [c["id"] for c in admin.get(f"{BASE}/hidden", headers=AUTH).get_json()["comments"]] == ids[::-1]


def test_the_hiding_of_a_comment_gone_since_is_dropped_from_the_list(admin, data, ids):
    for comment_id in ids[:2]:
        admin.post(f"{BASE}/{comment_id}/hide", headers=AUTH)
    data.xdel(keys.comments("claude"), ids[0])  # as trimming past RADAR_COMMENTS_KEPT does
    assert [c["id"] for c in admin.get(f"{BASE}/hidden", headers=AUTH).get_json()["comments"]] == [ids[1]]
    assert list(data.hkeys(keys.hidden_comments("claude"))) == [ids[1]]


def test_the_hiding_lasts_as_long_as_its_comment_and_is_dropped_with_it(admin, data, ids):
    admin.post(f"{BASE}/{ids[0]}/hide", headers=AUTH)
    assert json.loads(data.hget(keys.hidden_comments("claude"), ids[0]))["by"] == "admin"
    assert data.ttl(keys.hidden_comments("claude")) == -1, "it must not expire before the stream that renews itself"
    data.xdel(keys.comments("claude"), ids[0])
    admin.post(f"{BASE}/{ids[1]}/hide", headers=AUTH)
    assert list(data.hkeys(keys.hidden_comments("claude"))) == [ids[1]]


@pytest.mark.parametrize("comment_id", ["1764162180000-0", "not-a-comment", "99999999999999999999999-0"])
@pytest.mark.parametrize("action", ["hide", "unhide"])
def test_hiding_or_unhiding_an_unknown_comment_is_a_404_naming_it(admin, ids, comment_id, action):
    error = api_error(admin.post(f"{BASE}/{comment_id}/{action}", headers=AUTH), 404)
    assert error["code"] == "unknown_comment" and f"'{comment_id}'" in error["message"]


def test_a_comment_of_an_unknown_service_is_a_404(admin):
    error = api_error(admin.post("/api/v1/admin/services/nope/comments/60000-0/hide", headers=AUTH), 404)
    assert error["code"] == "unknown_service"


@pytest.mark.parametrize("body, field", [({"reason": 5}, "reason"), ({"reason": "x" * 1001}, "reason")])
def test_a_reason_that_is_not_text_or_too_long_is_a_400_naming_it(admin, ids, body, field):
    assert api_error(admin.post(f"{BASE}/{ids[0]}/hide", json=body, headers=AUTH), 400)["field"] == field


@pytest.mark.parametrize("method, path", [("post", "60000-0/hide"), ("post", "60000-0/unhide"), ("get", "hidden")])
def test_the_comment_endpoints_need_the_admin_token(admin, client, method, path):
    error = api_error(getattr(admin, method)(f"{BASE}/{path}", headers={"Authorization": "Bearer wrong-token"}), 401)
    assert error["code"] == "unauthorized"
    assert api_error(getattr(client, method)(f"{BASE}/{path}", headers=AUTH), 403)["code"] == "admin_disabled"


def test_comments_can_be_hidden_while_the_feed_is_off(redis_server, ids):
    admin = admin_app(redis_server, RADAR_COMMENTS_SHOWN="0").test_client()
    assert admin.post(f"{BASE}/{ids[2]}/hide", headers=AUTH).status_code == 200
    assert [c["id"] for c in admin.get(f"{BASE}/hidden", headers=AUTH).get_json()["comments"]] == [ids[2]]
