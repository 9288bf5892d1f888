"""Server-rendered pages that work without JavaScript: the service list and each service's report page."""
from __future__ import annotations

import re

from flask import Blueprint, render_template, request

from workers import keys
from workers.buckets import recent_totals

from .app import radar
from .exceptions import RadarError, UnknownService
from .intake import SURFACES, SYMPTOMS

bp = Blueprint("pages", __name__)

# Stream ids are two 64-bit numbers; 19 digits each keeps Redis from refusing one that overflows.
_ENTRY_ID = re.compile(r"\d{1,19}-\d{1,19}")

SURFACE_LABELS = {"website": "Website", "desktop": "Desktop app", "mobile": "Mobile app", "api": "API"}
SYMPTOM_LABELS = {"login": "Can't log in", "errors": "Errors", "slow": "Slow", "blank_response": "Blank response",
                  "other": "Something else"}


@bp.get("/")
def index():
    r = radar()
    totals = recent_totals(r.data, r.catalog.slugs, r.clock())
    return render_template("index.html", services=list(r.catalog), totals=totals)


@bp.get("/<slug>")
def service(slug: str):
    r = radar()
    try:
        found = r.catalog.get(slug)
    except UnknownService as exc:
        return render_template("error.html", message=exc.message), 404
    reported = request.args.get("reported")
    counted = request.args.get("counted") == "1"
    # The browser is usually back before the drain has run: a report still in the stream is not in the buckets.
    pending = counted and _still_queued(r.data, found.slug, request.args.get("id", ""))
    last_hour = recent_totals(r.data, [found.slug], r.clock())[found.slug] + int(pending)
    return render_template(
        "service.html", service=found, last_hour=last_hour,
        surfaces=[(s, SURFACE_LABELS[s]) for s in SURFACES], symptoms=[(s, SYMPTOM_LABELS[s]) for s in SYMPTOMS],
        reported=SURFACE_LABELS.get(reported), counted=counted,
    )


def _still_queued(data, slug: str, entry_id: str) -> bool:
    """Whether the report `entry_id` waits in the service's intake stream, not yet drained."""
    return bool(_ENTRY_ID.fullmatch(entry_id)) and bool(data.xrange(keys.intake(slug), entry_id, entry_id, count=1))


def form_error(exc: RadarError):
    """The HTML answer to a form that could not be accepted."""
    return render_template("error.html", message=exc.message, field=exc.field), exc.status
