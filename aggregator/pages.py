"""Server-rendered pages that work without JavaScript: the service list and each service's report page."""
from __future__ import annotations

import hmac
from typing import Callable, Mapping

from flask import Blueprint, render_template, request
from flask_babel import get_locale

from workers.detect import PROBLEM_STATES
from workers.totals import last_hour

from . import home, metrics, read_limit, service_page
from .api.comments import parse_before
from .base.exceptions import RadarError, UnknownService
from .comments_view import comments_view
from .i18n import page_parameters
from .intake import SURFACES, SYMPTOMS
from .labels import OFFICIAL_WORDS, SURFACE_LABELS, SYMPTOM_LABELS
from .radar import Radar, radar

bp = Blueprint("pages", __name__)


def shared_page(render: Callable[[], str]) -> str:
    """The page as every reader of this URL in this language gets it, rendered once a snapshot, not once a read.

    Only a read that makes the page counts towards the client's read limit: serving a page already made costs
    less than counting it would, so a flood of them is no threat, and a surge of readers costs Redis nothing.
    """
    # Keyed by what the page shows, not the raw URL: a junk parameter must not make (and keep) another copy.
    key = ("page", request.path, tuple(sorted(page_parameters().items())), str(get_locale()))
    snapshots = radar().snapshots
    page = snapshots.fresh(key)
    if page is None:
        read_limit.check()
        page = snapshots.get(key, render)
    return page


@bp.get("/")
def index():
    query = home.clean_query(request.args.get("q", ""))
    return shared_page(lambda: render_template("index.html", view=home.read_home(query)))


# What the page says about a report ("your report was counted") is signed with the day's key when the report is
# taken, and shown only if the signature holds: the URL alone proves nothing, and the stored data cannot prove it
# later, since the drain deletes a report's entry once counted (often before the browser is back) and keeps no
# id. A redirect followed across midnight UTC loses the notice, as the key changes then; the report is not lost.
def _claim_text(slug: str, reported: str, counted: str, entry_id: str) -> str:
    return "\0".join((slug, reported, counted, entry_id))


def report_query(r: Radar, slug: str, surface: str, counted: bool, entry_id: str, now: float) -> dict:
    """The query of the page a form post goes back to, with the signature that makes its claim believed."""
    args = {"reported": surface, "counted": "1" if counted else "0", "id": entry_id}
    return {**args, "sig": r.reporters.proof(_claim_text(slug, *args.values()), now)}


def _claim(r: Radar, slug: str) -> tuple[str, bool, str] | None:
    """(surface, counted, entry id) of the report the URL speaks of, if this server signed it; None otherwise."""
    reported, counted, entry_id, sig = (request.args.get(n, "") for n in ("reported", "counted", "id", "sig"))
    if not sig or reported not in SURFACE_LABELS:
        return None
    expected = r.reporters.proof(_claim_text(slug, reported, counted, entry_id), r.clock())
    if not hmac.compare_digest(sig.encode(), expected.encode()):
        return None
    return reported, counted == "1", entry_id


def answer(state: str, since: str | None, count: int, normal: float | None) -> dict:
    """What the top of a service page says (the template words it as one sentence): the state, since when, the last
    hour."""
    troubled = state in PROBLEM_STATES
    return {"state": state if troubled else "ok", "since": since if troubled else None,
            "clock": f"{since[11:16]} UTC" if troubled and since else None,
            "count": count, "normal": home.typical(normal)}


def _report_page(r: Radar, found, claim=None, error: str | None = None, comment: str = "", symptom: str = ""):
    """The report page, with what it may say about the reporter's report or the form sent back to them."""
    reported, counted, entry_id = claim or (None, False, None)
    shared = r.snapshots.get(("service", found.slug), lambda: service_page.read(r, found))
    count = shared["last_hour"]
    if reported:
        # Read now, not from the shared view: the browser is usually back before the drain has run, and its
        # report may still wait in the stream.
        count = last_hour(r.data, found.slug, r.clock(), entry_id)
    # Not a snapshot of its own: inside the page's, a hidden comment would stay up to twice as long.
    comments = comments_view(r, found.slug, request.args.get("comments_before"))
    extra = {} if comments is None else {"comments": comments}
    return render_template(
        "service.html", service=found, page=shared, last_hour=count, **extra,
        answer=answer(shared["state"], shared["since"], count, shared["normal"]),
        surfaces=[(s, SURFACE_LABELS[s]) for s in SURFACES], symptoms=[(s, SYMPTOM_LABELS[s]) for s in SYMPTOMS],
        surface_labels=SURFACE_LABELS, symptom_labels=SYMPTOM_LABELS, official_words=OFFICIAL_WORDS,
        reported=SURFACE_LABELS.get(reported), counted=counted, error=error, comment=comment, symptom=symptom,
    )


@bp.get("/<slug>")
def service(slug: str):
    r = radar()
    try:
        found = r.catalog.get(slug)
    except UnknownService as exc:
        read_limit.check()
        return render_template("error.html", message=exc.message), 404
    parse_before(request.args.get("comments_before"), "comments_before")  # refused before any copy is made
    claim = _claim(r, found.slug)
    if claim is None:
        return shared_page(lambda: _report_page(r, found))
    read_limit.check()
    return _report_page(r, found, claim)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def wants_page() -> bool:
    """A plain HTML form (no JavaScript) posts form fields and prefers HTML; it gets pages back, not JSON."""
    return (request.mimetype in FORM_TYPES
            and request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html")


def form_error(exc: RadarError, form: Mapping[str, str] | None = None):
    """The HTML answer to a form that could not be accepted; a wrong comment gives the form back as it was sent."""
    metrics.note_error(exc.code)
    if exc.field == "comment" and form is not None:
        r = radar()
        found = r.catalog.exact(form.get("service", "").strip().lower())
        if found is not None:
            # A comment too long must not cost the report: the text comes back to be shortened, not retyped.
            page = _report_page(r, found, error=exc.message, comment=form.get("comment", ""),
                                symptom=form.get("symptom", "").strip().lower())
            return page, exc.status, exc.headers
    return render_template("error.html", message=exc.message, field=exc.field), exc.status, exc.headers
