"""The widget's words in every language of the catalog, written into widget.js where it is served.

The widget runs on other sites and picks its language there (the host page's, else the browser's); the words
themselves come from the same message catalog as the pages, so a translation is made once.
"""
from __future__ import annotations

import json

from babel import Locale
from flask_babel import force_locale, gettext, ngettext

from .i18n import LOCALES
from .labels import SURFACE_LABELS, SYMPTOM_LABELS

PLACEHOLDER = "{/* the catalog's words, by language */}"
"""Where widget.js takes its table; the file is valid JavaScript with it, and serves nothing useful."""
SAMPLES = range(0, 1000)
"""Where a plural category's example number is looked for (every category with an integer falls inside)."""


def _words() -> dict:
    """The widget's labels in the current language; a plural one as a function of its number ({n} in the text)."""
    return {
        "states": {"ok": gettext("OK"), "degraded": gettext("Possible problems"), "outage": gettext("Outage"),
                   "unknown": gettext("Not checked yet")},
        "lastHour": lambda n: ngettext("{n} report in the last hour", "{n} reports in the last hour", n),
        "spark": lambda n: ngettext("{n} report in the last 24 hours", "{n} reports in the last 24 hours", n),
        "report": gettext("Report a problem"),
        "question": gettext("Which part isn't working?"),
        "surfaces": {key: str(label) for key, label in SURFACE_LABELS.items()},
        "symptoms": {"": gettext("What goes wrong? (optional)"),
                     **{key: str(label) for key, label in SYMPTOM_LABELS.items()}},
        "cancel": gettext("Cancel"),
        "sending": gettext("Sending…"),
        "first": gettext("Thanks — you are the first to report a problem in the last hour."),
        "thanks": lambda n: ngettext("Thanks — you and {n} other reported a problem in the last hour.",
                                     "Thanks — you and {n} others reported a problem in the last hour.", n),
        "already": gettext("Thanks — you already reported this a few minutes ago, so it counts once."),
        "busy": gettext("Too many reports from here — please try again in a minute."),
        "failed": gettext("The report could not be sent — please try again."),
        "unavailable": gettext("Status unavailable right now."),
    }


def plural_samples(code: str) -> dict[str, int]:
    """An example number of each CLDR plural category of a language, the widget's Intl.PluralRules keys."""
    rule = Locale.parse(code).plural_form
    found: dict[str, int] = {}
    for n in SAMPLES:
        found.setdefault(rule(n), n)
    return found


def _resolve(value, samples: dict[str, int]):
    if callable(value):
        return {category: value(n) for category, n in samples.items()}
    if isinstance(value, dict):
        return {key: _resolve(inner, samples) for key, inner in value.items()}
    return value


def table() -> dict[str, dict]:
    """Every language's words: {code: {key: text, or {plural category: text}}}."""
    out = {}
    for code in LOCALES:
        with force_locale(code):
            out[code] = _resolve(_words(), plural_samples(code))
    return out


def script(source: str) -> str:
    """widget.js with its table of words written in."""
    return source.replace(PLACEHOLDER, json.dumps(table(), ensure_ascii=False, separators=(",", ":")), 1)
