"""The public comments feed under /api/v1: a service's newest comments, a page at a time."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from workers import comments

from ..base.exceptions import CommentsOff, ValidationError
from ..radar import Radar, radar
from .status import parse_limit

bp = Blueprint("comments_api", __name__, url_prefix="/api/v1")

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
OFF = "comments are not shown on this site (RADAR_COMMENTS_SHOWN is 0)"


def parse_before(raw: str | None, field: str = "before") -> str | None:
    """The comment id a page of older comments starts after; None for the newest page."""
    if raw is None or raw == "":
        return None
    parsed = comments.parse_id(raw)
    if parsed is None:
        raise ValidationError(f"'{field}' must be a comment id such as 1764162180000-0 — got '{raw}'", field=field)
    return parsed


def read_page(r: Radar, slug: str, before: str | None, limit: int) -> comments.Page:
    """A page of the service's shown comments; CommentsOff while the setting keeps them off the site."""
    if not r.settings.RADAR_COMMENTS_SHOWN:
        raise CommentsOff(OFF)
    return comments.page(r.data, slug, limit, before)


@bp.get("/services/<slug>/comments")
def service_comments(slug: str):
    r = radar()
    service = r.catalog.get(slug)
    before = parse_before(request.args.get("before"))
    found = read_page(r, service.slug, before, parse_limit(request.args.get("limit"), DEFAULT_LIMIT, MAX_LIMIT))
    return jsonify({"service": service.slug, "comments": [c.to_json() for c in found.comments],
                    "next": found.next})
