"""What a service page's comments part shows: a page of the newest comments, ready for the template."""
from __future__ import annotations

from datetime import datetime, timezone

from workers.comments import Comment

from .api.comments import parse_before, read_page
from .labels import SURFACE_LABELS
from .radar import Radar

PAGE_SIZE = 10
"""Comments shown at a time; "Older comments" shows the next ones."""


def clock(ts: float, now: float) -> str:
    """`14:02 UTC` for a time of today (UTC), `25 Nov 14:02 UTC` for an earlier day."""
    at = datetime.fromtimestamp(ts, timezone.utc)
    today = datetime.fromtimestamp(now, timezone.utc).date()
    return f"{at:%H:%M} UTC" if at.date() == today else f"{at.day} {at:%b %H:%M} UTC"


def _item(comment: Comment, now: float) -> dict:
    shown = comment.to_json()
    return {**shown, "clock": clock(comment.ts, now), "surface": SURFACE_LABELS.get(comment.surface, comment.surface)}


def comments_view(r: Radar, slug: str, before: str | None) -> dict | None:
    """The comments part of the page of `slug` (`before`: the `comments_before` query); None when comments are off."""
    if not r.settings.RADAR_COMMENTS_SHOWN:
        return None
    found = read_page(r, slug, parse_before(before, "comments_before"), PAGE_SIZE)
    now = r.clock()
    return {"entries": [_item(c, now) for c in found.comments], "older": found.next, "paged": bool(before)}
