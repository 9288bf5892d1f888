"""Surfaces and symptoms as people read them, each said in the language of the request that shows it."""
from __future__ import annotations

from flask_babel import lazy_gettext

SURFACE_LABELS = {"website": lazy_gettext("Website"), "desktop": lazy_gettext("Desktop app"),
                  "mobile": lazy_gettext("Mobile app"), "api": lazy_gettext("API")}
SYMPTOM_LABELS = {"login": lazy_gettext("Can't log in"), "errors": lazy_gettext("Errors"),
                  "slow": lazy_gettext("Slow"), "blank_response": lazy_gettext("Blank response"),
                  "other": lazy_gettext("Something else")}
