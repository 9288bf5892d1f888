"""Surfaces and symptoms as people read them, each said in the language of the request that shows it."""
from __future__ import annotations

from flask_babel import lazy_gettext

SURFACE_LABELS = {"website": lazy_gettext("Website"), "desktop": lazy_gettext("Desktop app"),
                  "mobile": lazy_gettext("Mobile app"), "api": lazy_gettext("API")}
SYMPTOM_LABELS = {"login": lazy_gettext("Can't log in"), "errors": lazy_gettext("Errors"),
                  "slow": lazy_gettext("Slow"), "blank_response": lazy_gettext("Blank response"),
                  "other": lazy_gettext("Something else")}
OFFICIAL_WORDS = {
    "operational": lazy_gettext("operational"), "degraded_performance": lazy_gettext("degraded performance"),
    "partial_outage": lazy_gettext("partial outage"), "major_outage": lazy_gettext("major outage"),
    "under_maintenance": lazy_gettext("under maintenance"), "investigating": lazy_gettext("investigating"),
    "identified": lazy_gettext("identified"), "monitoring": lazy_gettext("monitoring"),
    "resolved": lazy_gettext("resolved"), "postmortem": lazy_gettext("postmortem"),
    "scheduled": lazy_gettext("scheduled"), "in_progress": lazy_gettext("in progress"),
    "verifying": lazy_gettext("verifying"), "completed": lazy_gettext("completed")}
"""A status page's component and incident statuses as people read them; one not listed is shown as it came."""
