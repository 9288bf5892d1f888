"""The home page, the service page and its comments in German, with German numbers; kept views stay English for
English readers."""
from __future__ import annotations

import html
import json
import re

import pytest

from aggregator import charts, create_app
from aggregator.comments_view import clock
from workers import keys
from workers.evaluate import never_evaluated

from .helpers import NOW, SECRET, TEST_GEOIP, UNLIMITED, evaluate_after, iso, post, seed_history, store_incident

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
GB = "81.2.69.142"


def _page(client, path: str, headers=None) -> str:
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _sentence(page: str) -> str:
    return _text(re.search(r'<p class="answer[^"]*" id="answer">(.*?)</p>', page, re.S).group(1))


def _status(data, state: str, since: float | None):
    record = {**never_evaluated("claude"), "state": state, "since": since and iso(since), "evaluated_at": iso(NOW - 60)}
    data.set(keys.status("claude"), json.dumps(record))


@pytest.fixture
def busy(data, run_jobs):
    """Claude's learned hour is 2,431 reports: a number German writes with a dot."""
    seed_history(data, {"total": 2431, "c:GB": 2431})
    evaluate_after(data, 5)
    run_jobs()


def test_the_home_page_is_german_with_german_numbers(client, busy):
    page = _page(client, "/", GERMAN)
    assert "Geht es bei Ihnen auch nicht?" in page and "Dienst nach Namen suchen" in page
    assert "Meldungen in der letzten Stunde" in page and "üblich etwa 2.431" in page
    assert "Meldungen je Stunde in den letzten 24 Stunden" in page and "Neueste Vorfälle" in page
    assert "Is it down for you?" not in page and "2,431" not in page


def test_the_home_page_search_answers_in_german(client):
    assert "1 Dienst passt zu „claude“." in _text(_page(client, "/?q=claude", GERMAN))
    assert "Kein Dienst passt zu „zzz“." in _text(_page(client, "/?q=zzz", GERMAN))


def test_the_home_page_stays_english_without_german(client, busy):
    page = _page(client, "/")
    assert "Is it down for you?" in page and "about 2,431 typical" in page


@pytest.mark.parametrize("state, since, said", [
    ("outage", NOW - 1800, f"Nutzermeldungen deuten seit {iso(NOW - 1800)[11:16]} UTC auf Probleme bei Claude hin"),
    ("degraded", NOW - 1800, f"Mögliche Probleme bei Claude seit {iso(NOW - 1800)[11:16]} UTC"),
    ("ok", None, "Bei Claude keine Probleme gemeldet"),
])
def test_the_answer_is_one_german_sentence_in_every_state(client, data, state, since, said):
    _status(data, state, since)
    sentence = _sentence(_page(client, "/claude", GERMAN))
    assert sentence.startswith(said + " — 0 Meldungen in der letzten Stunde"), sentence


def test_the_answer_says_normal_in_german_numbers(client, busy):
    assert "normal wären etwa 2.431." in _sentence(_page(client, "/claude", GERMAN))


def test_the_service_page_form_chart_and_parts_are_german(client, data, busy):
    store_incident(data, "claude", NOW - 1800)
    _status(data, "outage", NOW - 1800)
    post(client, {"service": "claude", "surface": "mobile", "symptom": "slow"}, ip=GB)
    page = _text(_page(client, "/claude", GERMAN))
    assert "Probleme mit Claude?" in page and "Mein Problem mit Claude betrifft:" in page
    assert "Website Desktop-App Mobile App API" in page
    assert "Meldungen zu Claude je 15 Minuten in den letzten 24 Stunden" in page
    assert "Meldungen in den letzten 24 Stunden." in page and "Zeiten in UTC." in page
    assert "Am häufigsten gemeldete Probleme" in page and "Wo es schiefgeht" in page
    assert "Die häufigsten Länder" in page and "Neueste Kommentare" in page and "Noch keine Kommentare." in page
    assert "Mehr zu Claude" in page and "Status-API (JSON)" in page


def test_a_counted_report_is_thanked_in_german(client, run_jobs):
    response = client.post("/api/v1/reports", data={"service": "claude", "surface": "mobile"},
                           headers={"Accept": "text/html", **GERMAN}, environ_base={"REMOTE_ADDR": GB},
                           follow_redirects=True)
    page = _text(response.get_data(as_text=True))
    assert "Danke — Ihre Meldung (Mobile App) wurde gezählt." in page
    assert "Sie melden als Erste(r) in der letzten Stunde ein Problem." in page


def test_country_names_and_shares_are_german(client, run_jobs):
    post(client, {"service": "claude", "surface": "website"}, ip=GB)
    run_jobs()
    section = _text(_page(client, "/claude", GERMAN).split('id="countries-heading"')[1].split("</section>")[0])
    assert "Vereinigtes Königreich 1 100 %" in section


def test_the_count_axis_writes_german_decimals(app):
    with app.test_request_context("/", headers=GERMAN):
        assert [str(t["label"]) for t in charts.value_ticks(5000)] == ["0", "2,5k", "5k"]


def test_a_comment_of_an_earlier_day_is_dated_the_german_way(app):
    day = 20 * 86400
    with app.test_request_context("/", headers=GERMAN):
        assert str(clock(day - 3600, day + 15 * 3600)) == "20. Jan. 23:00 UTC"


def test_the_comments_part_is_german(client, run_jobs):
    post(client, {"service": "claude", "surface": "desktop", "comment": "langsam"}, ip=GB)
    run_jobs()
    page = _page(client, "/claude", GERMAN)
    part = _text(page[page.index(">", page.index('<section id="comments"')) + 1:].split("</section>")[0])
    assert part.startswith("Neueste Kommentare") and "Desktop-App · GB" in part


def test_an_english_reader_after_a_german_one_reads_english_from_the_kept_views(redis_server, data, run_jobs):
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, **UNLIMITED,
                      "RADAR_PAGE_SNAPSHOT_SECONDS": "3600"})
    app.extensions["radar"].clock = lambda: NOW
    client = app.test_client()
    post(client, {"service": "claude", "surface": "desktop", "comment": "slow"}, ip=GB)
    run_jobs()
    for path in ("/", "/claude"):
        assert '<html lang="de">' in _page(client, path, GERMAN)
    home, service = _page(client, "/"), _page(client, "/claude")
    assert "Is it down for you?" in home and "Not checked yet" in home and "Noch nicht" not in home
    assert "Desktop app · GB" in service and "Desktop-App" not in service
    assert "Reports of Claude per 15 minutes" in service and "Meldungen" not in service
