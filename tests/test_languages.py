"""The public site in English and German: one catalog, chosen by ?lang, a cookie or Accept-Language."""
import io
import json
import re
from gettext import GNUTranslations
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import format_decimal

from aggregator.i18n import COOKIE, LOCALES
from aggregator.widget_words import PLACEHOLDER, plural_samples

from .helpers import BROWSER_ACCEPT

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "aggregator" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
"""The keywords `make translations` extracts with (its -k flags)."""
TRANSLATED = [code for code in LOCALES if code != "en"]


def _extracted() -> set:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)
    return {message for _, _, message, _, _ in found}


def _po(code: str):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=code)


def _german(client, path: str, **kwargs):
    return client.get(path, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}, **kwargs)


# --- the catalog

@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_in_the_sources_is_in_the_catalog_and_translated(code):
    catalog = _po(code)
    extracted = _extracted()
    assert len(extracted) > 30, "the extraction found the sources' messages"
    for message in extracted:
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        assert entry is not None, f"not in {code}'s catalog: {msgid!r} (run `make translations`)"
        assert not entry.fuzzy, f"fuzzy in {code}: {msgid!r}"
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(forms), f"not translated into {code}: {msgid!r}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_committed_mo_is_the_po_compiled(code):
    compiled = io.BytesIO()
    write_mo(compiled, _po(code))
    compiled.seek(0)
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo", "rb") as committed:
        assert GNUTranslations(committed)._catalog == GNUTranslations(compiled)._catalog, "run `make translations`"


# --- choosing the language

def test_accept_language_german_gives_the_page_in_german(client):
    page = _german(client, "/claude").get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Anmeldung geht nicht" in page and "Mobile App" in page and "Desktop-App" in page
    assert "Keine IP-Adresse wird gespeichert." in page and "No IP address" not in page


def test_without_accept_language_the_page_is_english(client):
    page = client.get("/claude").get_data(as_text=True)
    assert '<html lang="en">' in page and "Can't log in" in page and "No IP address is stored." in page


def test_lang_in_the_query_wins_over_accept_language_and_the_cookie_keeps_it(client):
    chosen = _german(client, "/?lang=en")
    assert '<html lang="en">' in chosen.get_data(as_text=True)
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    later = _german(client, "/claude")
    assert '<html lang="en">' in later.get_data(as_text=True) and "Can't log in" in later.get_data(as_text=True)
    assert "Set-Cookie" not in later.headers, "a choice already remembered is not set again"


def test_an_unknown_lang_is_ignored_and_not_remembered(client):
    response = _german(client, "/?lang=xx")
    assert response.status_code == 200 and '<html lang="de">' in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_a_regional_lang_means_its_language(client):
    assert '<html lang="de">' in client.get("/?lang=de-AT").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/claude", "/nope", "/embed/claude"])
def test_pages_in_the_chosen_language_say_so_to_caches(client, path):
    assert {"Accept-Language", "Cookie"} <= set(client.get(path).vary)


@pytest.mark.parametrize("path", ["/api/v1/services", "/widget.js", "/badge/claude.svg"])
def test_answers_in_no_language_do_not_vary_on_it(client, path):
    assert "Accept-Language" not in client.get(path).vary


def test_the_embed_page_follows_lang_but_remembers_nothing(client):
    response = client.get("/embed/claude?lang=de")
    page = response.get_data(as_text=True)
    assert '<html lang="de">' in page and "Ein Problem mit Claude auf Outage Radar melden" in page
    assert "Set-Cookie" not in response.headers


def test_the_embed_card_and_its_page_never_name_two_languages(client):
    page = client.get("/embed/claude?lang=fr", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="de">' in page and 'data-lang="de"' in page


# --- the switch

def _switch(page: str) -> list[tuple[str, str, bool]]:
    nav = re.search(r'<nav class="languages"[^>]*>(.*?)</nav>', page, re.S).group(1)
    return [(name, href.replace("&amp;", "&"), "aria-current" in attrs)
            for href, attrs, name in re.findall(r'<a href="([^"]*)"([^>]*)>([^<]*)</a>', nav)]


def test_the_switch_names_each_language_in_itself_and_marks_the_current_one(client):
    assert _switch(_german(client, "/").get_data(as_text=True)) == [
        ("English", "/?lang=en", False), ("Deutsch", "/?lang=de", True)]


def test_the_switch_keeps_the_page_and_what_it_shows_but_no_other_parameter(client):
    page = client.get("/?q=cl&endpoint=x&_external=1&_scheme=javascript&utm=y").get_data(as_text=True)
    assert [href for _, href, _ in _switch(page)] == ["/?q=cl&lang=en", "/?q=cl&lang=de"]


def test_a_page_with_a_parameter_named_like_url_fors_own_still_answers(client):
    answers = {path: client.get(path).status_code
               for path in ("/?endpoint=x", "/claude?endpoint=x&values=1", "/no-such-service?endpoint=1")}
    assert list(answers.values()) == [200, 200, 404], answers


def test_an_answer_that_sets_the_cookie_is_kept_by_no_shared_cache(client):
    chosen = client.get("/claude?lang=de")
    assert "Set-Cookie" in chosen.headers and chosen.headers["Cache-Control"] == "private, no-store"
    assert "Set-Cookie" not in client.get("/claude").headers, "the cookie is sent once, with the choice"


def test_a_page_answering_a_form_post_switches_on_the_service_list(client):
    page = client.post("/api/v1/reports", data={"service": "nope", "surface": "website"},
                       headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "de"}).get_data(as_text=True)
    assert "Das hat nicht geklappt" in page
    assert [href for _, href, _ in _switch(page)] == ["/?lang=en", "/?lang=de"]


# --- words and numbers

@pytest.mark.parametrize("accept, formatted", [("de", "2.431"), ("en", "2,431")])
def test_numbers_are_written_the_languages_way(app, accept, formatted):
    with app.test_request_context("/", headers={"Accept-Language": accept}):
        assert format_decimal(2431) == formatted
        assert render_template_string("{{ 2431|numberformat }}") == formatted


# --- the widget

def _widget_words(client) -> dict:
    source = client.get("/widget.js").get_data(as_text=True)
    assert PLACEHOLDER not in source
    return json.loads(re.search(r"const STRINGS = (\{.*?\});\n", source).group(1))


def test_widget_js_carries_every_language_from_the_catalog_with_plural_forms(client):
    words = _widget_words(client)
    assert set(words) == set(LOCALES)
    assert words["de"]["states"]["outage"] == "Störung" and words["de"]["surfaces"]["mobile"] == "Mobile App"
    assert words["de"]["lastHour"] == {"one": "{n} Meldung in der letzten Stunde",
                                       "other": "{n} Meldungen in der letzten Stunde"}
    assert words["en"]["symptoms"]["login"] == "Can't log in"


def test_every_language_of_the_widget_has_the_same_keys(client):
    def shape(value):
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else None
    words = _widget_words(client)
    assert all(shape(words[code]) == shape(words["en"]) for code in LOCALES)


def test_the_widget_gets_an_example_number_for_each_plural_category():
    assert plural_samples("de") == {"other": 0, "one": 1}
    assert set(plural_samples("ru")) == {"one", "few", "many"}, "a language with more forms gets all of them"
