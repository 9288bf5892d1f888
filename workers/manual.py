"""Incident changes made by hand: notes, and closing an incident that detection still holds open."""
from __future__ import annotations

import contextlib
import json
import time
import uuid

from aggregator.base.exceptions import Conflict, UnknownIncident
from aggregator.base.times import iso

from . import incidents, keys
from .evaluate import LOCK_SECONDS, RELEASE_LOCK, Record
from .profiles import OVERALL

LOCK_WAIT = 5.0
"""Seconds to wait for a detection run to finish with the service before giving up with a conflict."""

MAX_NOTE = 1000
"""Characters one note may have."""

MAX_NOTES = 100
"""Notes one incident may carry, so a record stays small enough to read on every dashboard refresh."""


@contextlib.contextmanager
def holding(redis, slug: str, wait: float = LOCK_WAIT):
    """The service's detection lock: the evaluate job rewrites open incidents and tracks only while holding it."""
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    while not redis.set(keys.evaluating(slug), token, nx=True, ex=LOCK_SECONDS):
        if time.monotonic() >= deadline:
            raise Conflict(f"detection is updating '{slug}' right now; try again in a minute")
        time.sleep(0.05)
    try:
        yield
    finally:
        redis.register_script(RELEASE_LOCK)(keys=[keys.evaluating(slug)], args=[token])


def _note(incident: dict, text: str, now: float) -> None:
    if len(incident["notes"]) >= MAX_NOTES:
        raise Conflict(f"incident '{incident['id']}' has {MAX_NOTES} notes already, the most it may have")
    incident["notes"].append({"at": iso(now), "text": text})


@contextlib.contextmanager
def _editing(redis, incident_id: str, now: float):
    """The stored incident, under its service's detection lock; saved when the block ends without an error."""
    slug = incidents.service_of(incident_id)
    with holding(redis, slug) if slug else contextlib.nullcontext():
        incident = incidents.get(redis, incident_id)
        if incident is None:
            raise UnknownIncident(f"no incident '{incident_id}'")
        yield incident
        with redis.pipeline(transaction=False) as pipe:
            incidents.save(pipe, incident, now)
            pipe.execute()


def add_note(redis, incident_id: str, text: str, now: float) -> dict:
    """Append a note to an incident, open or resolved; the incident as stored."""
    with _editing(redis, incident_id, now) as incident:
        _note(incident, text, now)
    return incident


def _detach(redis, slug: str, incident: dict, now: float) -> None:
    """Forget the incident in its track and status record; the track keeps its state, so no new one opens at once."""
    track = incident["country"] or OVERALL
    raw = redis.hget(keys.tracks(slug), track)
    if raw:
        record = Record.from_json(raw)
        if record.incident_id == incident["id"]:
            record.incident_id, record.since = None, now
            redis.hset(keys.tracks(slug), track, record.to_json())
    raw = redis.get(keys.status(slug))
    if raw:
        status = json.loads(raw)
        for view in (status, *status["countries"]):
            if view["incident_id"] == incident["id"]:
                view["incident_id"], view["since"] = None, iso(now)
        redis.set(keys.status(slug), json.dumps(status, separators=(",", ":")), keepttl=True)


def resolve_by_hand(redis, incident_id: str, reason: str, now: float) -> dict:
    """Close an open incident now, with a note saying so; the incident as stored."""
    with _editing(redis, incident_id, now) as incident:
        if incident["status"] == incidents.Status.RESOLVED.value:
            raise Conflict(f"incident '{incident_id}' is resolved already")
        _note(incident, f"closed by hand: {reason}" if reason else "closed by hand", now)
        incidents.resolve(incident, now)
        _detach(redis, incident["service"], incident, now)
    return incident
