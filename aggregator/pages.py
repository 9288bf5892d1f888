"""Server-rendered pages that work without JavaScript: the service list and each service's report page."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from workers.buckets import recent_totals

from .app import radar
from .exceptions import RadarError, UnknownService
from .intake import SURFACES, SYMPTOMS

bp = Blueprint("pages", __name__)

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
    last_hour = recent_totals(r.data, [found.slug], r.clock())[found.slug]
    reported = request.args.get("reported")
    return render_template(
        "service.html", service=found, last_hour=last_hour,
        surfaces=[(s, SURFACE_LABELS[s]) for s in SURFACES], symptoms=[(s, SYMPTOM_LABELS[s]) for s in SYMPTOMS],
        reported=SURFACE_LABELS.get(reported), counted=request.args.get("counted") == "1",
    )


def form_error(exc: RadarError):
    """The HTML answer to a form that could not be accepted."""
    return render_template("error.html", message=exc.message, field=exc.field), exc.status
