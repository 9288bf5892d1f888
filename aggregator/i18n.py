"""The public pages' language: English or German from one message catalog, chosen for each request.

An explicit choice (`?lang=de`, from the header's switch, then remembered in a cookie) wins over the browser's
Accept-Language; English when neither names a language the catalog has.
"""
from __future__ import annotations

from babel import Locale
from flask import Flask, Response, g, has_request_context, request, url_for
from flask_babel import Babel, format_decimal, get_locale

LOCALES = ("en", "de")
"""The languages the catalog has, the default first; a new one needs its .po in translations/ too."""
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 86400
VARY = ("Accept-Language", "Cookie")
PAGE_PARAMETERS = ("q", "comments_before", "range", "to")
"""The query parameters that change what a page shows: the only ones its language switch keeps (any other, such
as `endpoint` or `_external`, would be taken by url_for as its own)."""
EMBEDDED = ("embed",)
"""Blueprints framed by other sites: they follow the language asked for but remember nothing (no cookie)."""


def supported(tag: str | None) -> str | None:
    """The catalog's language for a tag such as 'de', 'DE' or 'de-AT'; None for any other."""
    primary = (tag or "").strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LOCALES else None


def choose(asked: str | None, remembered: str | None, accepted) -> str:
    """The language of a page: the one asked for, else the one remembered, else Accept-Language's best."""
    return supported(asked) or supported(remembered) or accepted.best_match(LOCALES) or LOCALES[0]


def _select() -> str | None:
    if not has_request_context():
        return None
    g.language_chosen = True  # the answer now depends on the request's language: caches must know
    return choose(request.args.get("lang"), request.cookies.get(COOKIE), request.accept_languages)


def _remember(response: Response) -> Response:
    """Say which headers chose the language; keep an explicit choice in a cookie for the next page."""
    if not g.get("language_chosen"):
        return response
    response.vary.update(VARY)
    asked = supported(request.args.get("lang"))
    if asked and asked != request.cookies.get(COOKIE) and request.blueprint not in EMBEDDED:
        response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, secure=request.is_secure, httponly=True,
                            samesite="Lax")
        # Some shared caches would store the cookie with the page and hand it to every later reader.
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _switch_target(code: str) -> str:
    """This page in another language; a page that answered a form post switches on the service list."""
    if request.method == "GET" and request.endpoint and request.view_args is not None:
        return url_for(request.endpoint, **{**page_parameters(), **request.view_args, "lang": code})
    return url_for("pages.index", lang=code)


def page_parameters() -> dict[str, str]:
    """The request's parameters that change what its page shows."""
    return {name: request.args[name] for name in PAGE_PARAMETERS if name in request.args}


def languages() -> list[dict]:
    """The header's switch: each language named in itself, its link, and whether it is the page's."""
    current = current_language()
    return [{"code": code, "name": Locale.parse(code).get_display_name(code).capitalize(),
             "href": _switch_target(code), "current": code == current} for code in LOCALES]


def current_language() -> str:
    """The request's language; the default outside a request (a view made for readers of every language)."""
    return str(get_locale() or LOCALES[0])


def percent(value: float) -> str:
    """A share of 0 to 100, rounded to whole, in the page's language's digits: '42 %'."""
    return f"{format_decimal(round(value))} %"


def country_name(code: str, english: str) -> str:
    """A country's name in the page's language from its ISO code: the product's own `english` name in English and
    for a code the language has no name for."""
    language = current_language()
    return english if language == LOCALES[0] else Locale.parse(language).territories.get(code, english)


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=_select)
    app.after_request(_remember)
    app.jinja_env.globals.update(languages=languages, current_language=current_language, percent=percent,
                                  country_name=country_name)
