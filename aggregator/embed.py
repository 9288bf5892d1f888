"""The embed surface for other websites: widget.js, the iframe card, the status badge, and CORS for the widget."""
from __future__ import annotations

import functools
import html
from pathlib import Path

from flask import Blueprint, Response, render_template, request

from workers.evaluate import read_statuses

from . import badge, widget_words
from .base.exceptions import UnknownService
from .i18n import current_language, supported
from .radar import radar

bp = Blueprint("embed", __name__, static_folder="widget", static_url_path="/embed/static")

WIDGET_ENDPOINTS = frozenset({"status_api.service_status", "api.series", "api.summary", "api.post_report"})
"""The API endpoints the widget calls from other sites' pages; the rest of the API stays same-origin."""
PREFLIGHT_MAX_AGE = 86400
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Retry-After"}
"""What every answer of a widget endpoint carries, refusals included (the shedding worker's 503 too)."""

EMBED_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
             "base-uri 'none'; form-action 'none'; frame-ancestors *")
"""The iframe card: any site may frame it; it runs only this site's script and styles."""
BADGE_CSP = "default-src 'none'; frame-ancestors *"
BADGE_MAX_AGE = 60
"""Seconds a badge may be cached: about one detection run, so READMEs and status pages stay current."""
WIDGET_MAX_AGE = 300
"""Seconds browsers may keep widget.js and the iframe page: a new version reaches every site within minutes."""
THEMES = ("auto", "light", "dark")
IFRAME_WIDTH, IFRAME_HEIGHT = 360, 250
"""The iframe snippet's size: room for the card with its report form open."""


def snippets(public_url: str, slug: str, name: str) -> dict[str, str]:
    """The copy-paste HTML and Markdown that put a service's widget, iframe card or badge on another site."""
    base = public_url.rstrip("/")
    title = html.escape(f"{name} status on Outage Radar")
    return {
        "script": f'<script src="{base}/widget.js" data-service="{slug}" async></script>',
        "iframe": f'<iframe src="{base}/embed/{slug}" title="{title}" width="{IFRAME_WIDTH}" '
                  f'height="{IFRAME_HEIGHT}" style="border:0"></iframe>',
        "badge": f"[![{slug} status]({base}/badge/{slug}.svg)]({base}/{slug})",
    }


def _own_headers(response: Response, csp: str | None = None, cross_origin: bool = False) -> Response:
    """Set this surface's headers outright, so an app-wide default (set only where missing) leaves them alone."""
    if csp:
        response.headers["Content-Security-Policy"] = csp
    if cross_origin:
        # Loaded by <script> and <img> from other sites, including ones that require CORP of what they embed.
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@functools.cache
def _widget_script() -> str:
    """widget.js with its words, built once a process: the file and the catalog change only with a release."""
    return widget_words.script((Path(bp.static_folder) / "widget.js").read_text(encoding="utf-8"))


@bp.get("/widget.js")
def widget_js():
    """The widget with the catalog's words in every language: it picks one on the host page (see widget_words)."""
    response = Response(_widget_script(), mimetype="text/javascript")
    response.cache_control.public = True
    response.cache_control.max_age = WIDGET_MAX_AGE
    return _own_headers(response, cross_origin=True)


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    value = request.args.get(name, "").lower()
    return value if value in allowed else allowed[0]


@bp.get("/embed/<slug>")
def embed_page(slug: str):
    """The widget's card on a page of its own, for sites that allow no scripts; options as query parameters."""
    try:
        service = radar().catalog.get(slug)
    except UnknownService as exc:
        page = render_template("embed.html", service=None, message=exc.message)
        return _own_headers(Response(page, 404), EMBED_CSP)
    lang = request.args.get("lang", "")
    page = render_template("embed.html", service=service, theme=_choice("theme", THEMES),
                           compact=request.args.get("compact", "").lower() in ("1", "true", "yes"),
                           lang=supported(lang) or current_language())
    response = Response(page)
    response.cache_control.public = True
    response.cache_control.max_age = WIDGET_MAX_AGE
    return _own_headers(response, EMBED_CSP)


@bp.get("/badge/<slug>.svg")
def status_badge(slug: str):
    r = radar()
    try:
        service = r.catalog.get(slug)
    except UnknownService:
        svg, status = badge.render(slug, badge.UNKNOWN_SERVICE), 404
    else:
        record = read_statuses(r.data, [service.slug])[0]
        state = record["state"] if record.get("evaluated_at") else "unknown"
        svg, status = badge.render(service.slug, badge.LOOKS.get(state, badge.LOOKS["unknown"])), 200
    response = Response(svg, status, mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = BADGE_MAX_AGE
    return _own_headers(response, BADGE_CSP, cross_origin=True)


@bp.after_app_request
def _open_widget_endpoints(response: Response) -> Response:
    """CORS for exactly the widget's endpoints: any origin, never credentials; preflights answered."""
    if request.endpoint not in WIDGET_ENDPOINTS:
        return response
    response.headers.update(CORS_HEADERS)
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response
