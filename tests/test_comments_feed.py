"""The public comments feed: newest first a page at a time, plain text everywhere, off with RADAR_COMMENTS_SHOWN=0."""
import pytest

from aggregator import create_app
from aggregator.base.exceptions import ValidationError
from aggregator.comments_view import PAGE_SIZE, clock, comments_view
from workers import comments, keys

from .helpers import NOW, SECRET, TEST_GEOIP, UNLIMITED, Shown, api_error, iso, post, rendered

MARKUP = "<script>alert('x')</script> & <b>bold</b>"
MINUTE_ID = int(NOW // 60 * 60_000)


def send(client, *texts, ip="81.2.69.142"):
    """One counted report with a comment per text, each from its own browser, oldest first."""
    for n, text in enumerate(texts):
        response = post(client, {"service": "claude", "surface": "website", "comment": text}, ip=ip, ua=f"b-{n}")
        assert response.get_json()["counted"]


def feed(client, query=""):
    response = client.get(f"/api/v1/services/claude/comments{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def texts(body) -> list[str]:
    return [c["text"] for c in body["comments"]]


def test_the_feed_gives_the_newest_comments_first_with_their_minute_surface_and_country(client, run_jobs):
    send(client, "first", "second", "third")
    run_jobs()
    body = feed(client)
    assert texts(body) == ["third", "second", "first"]
    assert body["comments"][0] == {"id": f"{MINUTE_ID}-2", "time": iso(NOW // 60 * 60), "surface": "website",
                                   "country": "GB", "text": "third"}
    assert (body["service"], body["next"]) == ("claude", None)


def test_older_pages_follow_next_until_there_is_none(client, run_jobs):
    send(client, *(f"c{n}" for n in range(5)))
    run_jobs()
    first = feed(client, "?limit=2")
    second = feed(client, f"?limit=2&before={first['next']}")
    last = feed(client, f"?limit=2&before={second['next']}")
    assert [texts(first), texts(second), texts(last)] == [["c4", "c3"], ["c2", "c1"], ["c0"]]
    assert first["next"] == first["comments"][-1]["id"] and last["next"] is None


def test_a_page_that_ends_with_the_oldest_comment_has_no_next(client, run_jobs):
    send(client, *(f"c{n}" for n in range(4)))
    run_jobs()
    second = feed(client, f"?limit=2&before={feed(client, '?limit=2')['next']}")
    assert texts(second) == ["c1", "c0"] and second["next"] is None


def test_a_report_not_counted_never_shows_its_comment(client, run_jobs):
    assert post(client, {"service": "claude", "surface": "website", "comment": "counted"}).get_json()["counted"]
    again = post(client, {"service": "claude", "surface": "mobile", "comment": "sent again"})
    assert again.status_code == 202 and not again.get_json()["counted"]
    run_jobs()
    assert texts(feed(client)) == ["counted"]
    assert Shown(rendered(client.application)).texts == ["counted"]


def test_a_comment_with_markup_comes_back_as_the_text_sent(client, run_jobs):
    send(client, MARKUP)
    run_jobs()
    assert texts(feed(client)) == [MARKUP]


def test_a_comment_with_markup_is_escaped_in_the_page(client, run_jobs):
    send(client, MARKUP)
    run_jobs()
    page = client.get("/claude").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert" in page
    assert Shown(page).texts == [MARKUP]


def test_the_page_shows_the_time_in_utc_the_surface_and_the_country(client, run_jobs):
    post(client, {"service": "claude", "surface": "desktop", "comment": "slow"})
    run_jobs()
    page = rendered(client.application)
    minute = NOW // 60 * 60
    assert Shown(page).times == [[iso(minute), f"{iso(minute)[11:16]} UTC"]]
    assert "Desktop app · GB" in page


def test_the_page_links_to_older_comments_without_javascript_and_back_to_the_newest(client, run_jobs):
    sent = [f"c{n}" for n in range(PAGE_SIZE + 1)]
    send(client, *sent)
    run_jobs()
    app = client.application
    newest = Shown(rendered(app))
    assert newest.texts == sent[:0:-1]
    assert newest.links == [f"?comments_before={MINUTE_ID}-1#comments"]
    older = Shown(rendered(app, f"{MINUTE_ID}-1"))
    assert older.texts == ["c0"]
    assert older.links == ["/claude#comments"]


def test_a_page_with_no_comments_says_so(app):
    page = rendered(app)
    assert "No comments yet." in page and Shown(page).texts == []


def test_a_comment_from_an_unknown_country_has_none(client, run_jobs):
    post(client, {"service": "claude", "surface": "website", "comment": "where am I"}, ip="192.168.77.201")
    run_jobs()
    assert feed(client)["comments"][0]["country"] is None


@pytest.mark.parametrize("query, field", [
    ("?before=yesterday", "before"), ("?before=1764162180000", "before"), ("?before=1-2-3", "before"),
    ("?before=18446744073709551616-0", "before"), ("?before=-1-0", "before"),
    ("?limit=0", "limit"), ("?limit=101", "limit"), ("?limit=ten", "limit"), ("?limit=-1", "limit"),
])
def test_a_bad_before_or_limit_is_a_400_naming_it(client, query, field):
    error = api_error(client.get(f"/api/v1/services/claude/comments{query}"), 400)
    assert (error["code"], error["field"]) == ("invalid", field)


def test_a_page_before_the_first_possible_id_is_empty(client, run_jobs):
    send(client, "only")
    run_jobs()
    assert feed(client, "?before=0-0") == {"service": "claude", "comments": [], "next": None}


def test_an_unknown_service_is_a_404(client):
    assert api_error(client.get("/api/v1/services/nope/comments"), 404)["code"] == "unknown_service"


def test_a_bad_comments_before_on_the_page_is_an_error_naming_it(app, client):
    with app.test_request_context("/claude"), pytest.raises(ValidationError) as info:
        comments_view(app.extensions["radar"], "claude", "older")
    assert info.value.field == "comments_before"
    response = client.get("/claude?comments_before=older", headers={"Accept": "text/html"})
    assert response.status_code == 400 and "comments_before" in response.get_data(as_text=True)


def test_the_feed_is_kept_as_briefly_as_the_last_hours_counts(client):
    assert feed(client) == {"service": "claude", "comments": [], "next": None}
    response = client.get("/api/v1/services/claude/comments")
    assert response.headers["Cache-Control"] == "public, max-age=5, stale-while-revalidate=10"


@pytest.fixture
def off(redis_server):
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, **UNLIMITED,
                      "RADAR_COMMENTS_SHOWN": "0"})
    app.extensions["radar"].clock = lambda: NOW
    return app


def test_with_comments_off_the_feed_is_a_404_that_says_so(off):
    error = api_error(off.test_client().get("/api/v1/services/claude/comments"), 404)
    assert error["code"] == "comments_off" and "RADAR_COMMENTS_SHOWN" in error["message"]


def test_with_comments_off_the_page_has_no_comments_part_and_comments_are_still_kept(off, data, run_jobs):
    send(off.test_client(), "kept")
    run_jobs()
    with off.test_request_context("/claude"):
        assert comments_view(off.extensions["radar"], "claude", None) is None
    assert 'id="comments"' not in off.test_client().get("/claude").get_data(as_text=True)
    assert [fields["text"] for _, fields in data.xrange(keys.comments("claude"))] == ["kept"]


def test_a_page_reads_past_hidden_comments_to_fill_itself(data):
    for n in range(7):
        data.xadd(keys.comments("claude"), {"ts": 60, "surface": "api", "region": "unknown", "text": f"c{n}"},
                  id=f"60000-{n}")
    for n in (6, 5, 4, 2):
        comments.hide(data, "claude", f"60000-{n}", "", NOW)
    found = comments.page(data, "claude", 2)
    assert [c.text for c in found.comments] == ["c3", "c1"] and found.next == "60000-1"
    assert [c.text for c in comments.page(data, "claude", 2, found.next).comments] == ["c0"]


@pytest.mark.parametrize("raw, parsed", [("60000-0", "60000-0"), ("0060000-01", "60000-1"),
                                         ("18446744073709551615-0", "18446744073709551615-0"),
                                         ("60000", None), ("60000-0 ", None), ("a-0", None), ("", None)])
def test_a_comment_id_is_read_as_redis_writes_it_or_not_at_all(raw, parsed):
    assert comments.parse_id(raw) == parsed


def test_a_comment_of_an_earlier_day_shows_its_date_too():
    day = 20 * 86400
    assert clock(day + 14 * 3600 + 120, day + 15 * 3600) == "14:02 UTC"
    assert clock(day - 3600, day + 15 * 3600) == "20 Jan 23:00 UTC"
