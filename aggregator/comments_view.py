"""What a service page's comments part shows: a page of the newest comments, ready for the template."""
from __future__ import annotations

from datetime import datetime, timezone

from babel.dates import format_datetime
from flask_babel import LazyString, lazy_gettext

from workers.comments import Comment

from .api.comments import parse_before, read_page
from .i18n import current_language
from .labels import SURFACE_LABELS
from .radar import Radar

PAGE_SIZE = 10
"""Comments shown at a time; "Older comments" shows the next ones."""
DAY_AND_TIME = lazy_gettext("d MMM HH:mm")
"""How an earlier day's comment is dated, as a CLDR pattern: each language orders and writes day and month its way."""


def _clock_text(at: datetime, today: bool) -> str:
    day = "" if today else format_datetime(at, str(DAY_AND_TIME), locale=current_language())
    return f"{day} UTC" if day else f"{at:%H:%M} UTC"


def clock(ts: float, now: float) -> LazyString:
    """`14:02 UTC` for a time of today (UTC), `25 Nov 14:02 UTC` for an earlier day; written when the page is, in
    its reader's language, as the view is kept for readers of every language."""
    at = datetime.fromtimestamp(ts, timezone.utc)
    today = datetime.fromtimestamp(now, timezone.utc).date()
    return LazyString(_clock_text, at, at.date() == today)


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
