"""The comments the drain keeps: read newest first a page at a time, hidden by an admin and shown again."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from aggregator.base.exceptions import UnknownComment
from aggregator.base.times import iso

from . import keys
from .buckets import UNKNOWN

HIDDEN_BY = "admin"
"""Who hid a comment: the one admin token does not tell people apart."""

_ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
_MAX_PART = 2 ** 64 - 1
"""Both halves of a stream entry id are unsigned 64-bit numbers."""


def parse_id(raw: str) -> str | None:
    """A comment id as Redis writes it (`1764162180000-0`), or None if `raw` cannot be an entry id."""
    match = _ID.fullmatch(raw)
    if match is None or any(int(part) > _MAX_PART for part in match.groups()):
        return None
    return "-".join(str(int(part)) for part in match.groups())


def _order(comment_id: str) -> tuple[int, int]:
    ms, seq = comment_id.split("-")
    return int(ms), int(seq)


@dataclass(frozen=True)
class Comment:
    """One kept comment: its entry id, its minute, the report's surface and region, and the text as sent."""

    id: str
    ts: int
    surface: str
    region: str
    text: str

    @classmethod
    def from_entry(cls, entry_id: str, fields: dict) -> "Comment":
        return cls(entry_id, int(fields["ts"]), fields["surface"], fields.get("region", UNKNOWN), fields["text"])

    @property
    def country(self) -> str | None:
        return None if self.region == UNKNOWN else self.region.split("-", 1)[0]

    def to_json(self) -> dict:
        return {"id": self.id, "time": iso(self.ts), "surface": self.surface, "country": self.country,
                "text": self.text}


@dataclass(frozen=True)
class Page:
    """Comments newest first, and the `before` that reads the page after them (None: there is none)."""

    comments: list[Comment]
    next: str | None


def page(redis, slug: str, limit: int, before: str | None = None) -> Page:
    """The newest `limit` comments shown (not hidden), all of them older than the comment `before` if given."""
    if before == "0-0":
        return Page([], None)  # nothing is older, and Redis refuses an interval that ends before it starts
    shown: list[Comment] = []
    end = f"({before}" if before else "+"
    # One more than a page, so that whether an older page exists is known without another request.
    while len(shown) <= limit:
        batch = redis.xrevrange(keys.comments(slug), end, "-", count=limit + 1)
        if not batch:
            break
        hidden = redis.hmget(keys.hidden_comments(slug), [entry_id for entry_id, _ in batch])
        shown += [Comment.from_entry(i, f) for (i, f), record in zip(batch, hidden) if record is None]
        if len(batch) <= limit:
            break
        end = f"({batch[-1][0]}"
    more = len(shown) > limit
    shown = shown[:limit]
    return Page(shown, shown[-1].id if more else None)


def get(redis, slug: str, comment_id: str) -> Comment:
    """The stored comment with this id, hidden or not; UnknownComment if there is none."""
    parsed = parse_id(comment_id)
    found = redis.xrange(keys.comments(slug), parsed, parsed) if parsed else []
    if not found:
        raise UnknownComment(f"no comment '{comment_id}' of '{slug}'")
    return Comment.from_entry(*found[0])


def hide(redis, slug: str, comment_id: str, reason: str, now: float) -> tuple[Comment, dict]:
    """Hide a comment wherever comments are shown; its entry stays, with who hid it, when and why beside it."""
    comment = get(redis, slug, comment_id)
    record = {"by": HIDDEN_BY, "at": iso(now), "reason": reason or None}
    # No expiry: the stream's is renewed by every new comment, and a hidden comment must not come back when the
    # record of its hiding expires first. Records of comments gone are dropped here and when the list is read.
    redis.hset(keys.hidden_comments(slug), comment.id, json.dumps(record))
    hidden(redis, slug)
    return comment, record


def unhide(redis, slug: str, comment_id: str) -> Comment:
    """Show a hidden comment again (a comment not hidden is left as it is)."""
    comment = get(redis, slug, comment_id)
    redis.hdel(keys.hidden_comments(slug), comment.id)
    return comment


def hidden(redis, slug: str) -> list[tuple[Comment, dict]]:
    """The service's hidden comments, newest first, each with its record; records of comments gone are dropped."""
    records = redis.hgetall(keys.hidden_comments(slug))
    ids = sorted(records, key=_order, reverse=True)
    with redis.pipeline(transaction=False) as pipe:
        for comment_id in ids:
            pipe.xrange(keys.comments(slug), comment_id, comment_id)
        entries = pipe.execute()
    gone = [comment_id for comment_id, found in zip(ids, entries) if not found]
    if gone:  # trimmed past RADAR_COMMENTS_KEPT or expired: nothing is left to hide
        redis.hdel(keys.hidden_comments(slug), *gone)
    return [(Comment.from_entry(*found[0]), json.loads(records[comment_id]))
            for comment_id, found in zip(ids, entries) if found]
