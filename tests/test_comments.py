"""Report comments: one per counted report, kept as plain text, and never the reason a report is lost."""
import html
import json
from html.parser import HTMLParser

import pytest

from workers import keys
from workers.drain import drain

from .helpers import NOW, form_post, post, relay_report, send_batch

CLAUDE = {"service": "claude", "surface": "website"}
VIEW_ONLY = "application/report+json"
"""A JSON type the fast path leaves to the view."""


def _stored(data, entry_id, slug="claude") -> dict:
    (_, fields), = data.xrange(keys.intake(slug), entry_id, entry_id)
    return fields


def _kept(data, slug="claude") -> list[str]:
    return [fields["text"] for _, fields in data.xrange(keys.comments(slug))]


def _send_json(client, body, content_type="application/json", ua="test-browser"):
    return client.post("/api/v1/reports", data=json.dumps(body), content_type=content_type,
                       headers={"User-Agent": ua}, environ_base={"REMOTE_ADDR": "81.2.69.142"})


class _Form(HTMLParser):
    """The report form's textarea text, selected symptom and alert of a page."""

    def __init__(self, page: str):
        super().__init__()
        self.textarea, self.selected, self.alert, self._in = None, None, None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "textarea":
            self.textarea, self._in = "", "textarea"
        elif tag == "option" and "selected" in attrs:
            self.selected = attrs["value"]
        elif attrs.get("role") == "alert":
            self.alert, self._in = "", "alert"

    def handle_data(self, data):
        if self._in == "textarea":
            self.textarea += data
        elif self._in == "alert":
            self.alert += data

    def handle_endtag(self, tag):
        self._in = None


def test_a_deduplicated_report_is_stored_without_its_comment(client, data):
    first = post(client, {**CLAUDE, "comment": "first"}).get_json()
    again = post(client, {**CLAUDE, "comment": "again"}).get_json()
    assert (first["counted"], again["counted"]) == (True, False)
    assert _stored(data, first["id"])["comment"] == "first"
    assert "comment" not in _stored(data, again["id"])
    assert _stored(data, again["id"])["counted"] == "0"


def test_one_reporter_sending_many_comments_leaves_one_to_read(client, data, run_jobs):
    for n in range(60):
        post(client, {**CLAUDE, "comment": f"still down {n}"})
    run_jobs()
    assert _kept(data) == ["still down 0"]
    bucket = data.hgetall(keys.bucket("claude", keys.MINUTE, keys.MINUTE.index(NOW)))
    assert (bucket["total"], bucket["deduped"]) == ("1", "59")


def test_a_relayed_deduplicated_report_is_stored_without_its_comment(relay, data):
    reports = [relay_report(1, comment="first"), relay_report(1, comment="again"), relay_report(2, comment="other")]
    body = send_batch(relay, reports).get_json()
    assert (body["counted"], body["deduped"]) == (2, 1)
    first, again, other = (_stored(data, entry_id) for entry_id in body["ids"])
    assert (first["comment"], other["comment"]) == ("first", "other")
    assert "comment" not in again and again["counted"] == "0"


def test_the_drain_keeps_no_comment_of_a_report_not_counted_that_carries_one(data):
    # As stored before the intake dropped such comments.
    data.xadd(keys.intake("claude"), {"counted": "0", "ts": f"{NOW:.3f}", "surface": "website", "region": "GB",
                                      "comment": "again"})
    data.xadd(keys.intake("claude"), {"counted": "1", "ts": f"{NOW:.3f}", "surface": "website", "region": "GB",
                                      "comment": "first"})
    assert drain(data, "claude").entries == 2
    assert _kept(data) == ["first"]


@pytest.mark.parametrize("content_type", ["application/json", VIEW_ONLY], ids=["fast-path", "view"])
@pytest.mark.parametrize("sent, kept", [
    ("nul \u0000 inside", "nul  inside"),
    ("bell\u0007, escape\u001b[31m, delete\u007f and C1\u0085", "bell, escape[31m, delete and C1"),
    ("tab\there", "tabhere"),
    ("gpj.exe\u202e", "gpj.exe"),
    ("\u202aembedded\u202c \u2066isolated\u2069 \u202doverride\u202e", "embedded isolated override"),
    ("zero\u200bwidth\u200c\u200d\u200e\u200f and \ufeffBOM", "zerowidth and BOM"),
    ("\u200b padded \u200b", "padded"),
])
def test_control_and_invisible_format_characters_are_removed_from_a_comment(client, data, content_type, sent,
                                                                            kept):
    response = _send_json(client, {**CLAUDE, "comment": sent}, content_type)
    assert response.status_code == 202
    assert _stored(data, response.get_json()["id"])["comment"] == kept


@pytest.mark.parametrize("sent, kept", [
    ("one\r\ntwo", "one\ntwo"), ("one\rtwo", "one\ntwo"), ("one\ntwo", "one\ntwo"), ("a\r\n\r\nb\r", "a\n\nb"),
])
def test_line_breaks_are_kept_as_line_feeds(client, data, sent, kept):
    response = post(client, {**CLAUDE, "comment": sent})
    assert _stored(data, response.get_json()["id"])["comment"] == kept


def test_text_around_the_removed_characters_is_kept_as_sent(client, data):
    text = "Ünïcode ✓ 🚨 \u00a0 \u2028 שלום"
    response = post(client, {**CLAUDE, "comment": text})
    assert _stored(data, response.get_json()["id"])["comment"] == text


def test_a_form_comment_of_280_characters_typed_with_line_breaks_is_accepted(client, data):
    typed = "\r\n".join(["x" * 55] * 5) + "!"  # 280 characters if each line break is one
    response = form_post(client, {**CLAUDE, "comment": typed})
    assert response.status_code == 303
    (_, fields), = data.xrange(keys.intake("claude"))
    assert fields["comment"] == typed.replace("\r\n", "\n") and len(fields["comment"]) == 280


def test_the_limit_applies_to_the_comment_after_the_characters_are_removed(client):
    assert post(client, {**CLAUDE, "comment": "x" * 280 + "\u200b" * 20}).status_code == 202
    response = post(client, {**CLAUDE, "comment": "x" * 281 + "\u200b"}, ua="other")
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "invalid", "message": "'comment' is 281 characters; at most 280",
                                            "field": "comment"}


def test_a_form_with_a_comment_too_long_comes_back_with_the_message_and_the_text_as_typed(client, data):
    typed = "Checkout spins <forever> & more\r\n" + "z" * 300
    response = form_post(client, {"service": "claude", "surface": "mobile", "symptom": "slow", "comment": typed})
    assert response.status_code == 400 and response.mimetype == "text/html"
    form = _Form(response.get_data(as_text=True))
    assert form.alert == "'comment' is 332 characters; at most 280"
    assert form.textarea == typed
    assert form.selected == "slow"
    assert "Problems with Claude?" in html.unescape(response.get_data(as_text=True))
    assert list(data.scan_iter("radar:*")) == []


def test_the_form_sent_again_with_the_comment_shortened_is_counted(client, data):
    fields = {"service": "claude", "surface": "mobile", "comment": "z" * 281}
    assert form_post(client, fields).status_code == 400
    again = form_post(client, {**fields, "comment": "z" * 280})
    assert again.status_code == 303
    (_, stored), = data.xrange(keys.intake("claude"))
    assert stored["counted"] == "1" and stored["comment"] == "z" * 280


def test_a_form_from_an_api_client_with_a_comment_too_long_gets_the_json_error(client):
    response = form_post(client, {**CLAUDE, "comment": "z" * 281}, accept="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "comment"


def test_a_form_error_other_than_the_comment_is_still_the_error_page(client):
    response = form_post(client, {"service": "claude", "surface": "fax", "comment": "z" * 300})
    assert response.status_code == 400
    assert "That did not work" in response.get_data(as_text=True)


@pytest.mark.parametrize("sent, kept", [
    ("nul \u0000 inside", "nul  inside"), ("one\r\ntwo", "one\ntwo"), ("one\rtwo", "one\ntwo"),
    ("tab\there", "tabhere"), ("gpj.exe\u202e", "gpj.exe"), ("\u200bx", "x"),
])
def test_relayed_comments_are_cleaned_as_direct_ones(relay, data, sent, kept):
    entry_id, = send_batch(relay, [relay_report(1, comment=sent)]).get_json()["ids"]
    assert _stored(data, entry_id)["comment"] == kept


def test_a_relayed_comment_too_long_only_with_crlf_is_accepted(relay, data):
    response = send_batch(relay, [relay_report(1, comment="x\r\n" * 140)])
    assert response.status_code == 202
    entry_id, = response.get_json()["ids"]
    assert _stored(data, entry_id)["comment"] == ("x\n" * 140).strip()
