"""Atlassian Statuspage's public API (`/api/v2/incidents.json`, `/api/v2/summary.json`) read into plain UTC records."""
from __future__ import annotations

import json
from datetime import datetime, timezone

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem",
                     # Scheduled maintenances share the feed on some pages.
                     "scheduled", "in_progress", "verifying", "completed")
IMPACTS = ("none", "minor", "major", "critical", "maintenance")
COMPONENT_STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage",
                      "under_maintenance")
MAX_UPDATE_BODY = 2000
"""Characters of an update's text that are kept: enough for a chart annotation and the API, no more."""


class StatuspageError(ValueError):
    """A document that is not what a Statuspage API answers; the message says which part is wrong."""


def _utc(value, where: str) -> str:
    """An ISO 8601 time with its page's offset, as UTC `2026-11-26T12:03:21Z` (fractions of a second dropped)."""
    if not isinstance(value, str):
        raise StatuspageError(f"{where} must be a time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise StatuspageError(f"{where} is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise StatuspageError(f"{where} has no UTC offset: {value!r}")
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _optional_utc(value, where: str) -> str | None:
    return None if value is None else _utc(value, where)


def _text(entry: dict, name: str, where: str, choices: tuple[str, ...] | None = None) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or (choices is not None and value not in choices):
        expected = f"one of {', '.join(choices)}" if choices else "a string"
        raise StatuspageError(f"{where}.{name} must be {expected}, got {value!r}")
    return value


def _load(payload: bytes | str, key: str) -> list:
    try:
        document = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise StatuspageError("the answer is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise StatuspageError(f"the answer has no '{key}' list")
    if not all(isinstance(item, dict) for item in document[key]):
        raise StatuspageError(f"'{key}' must hold objects")
    return document[key]


def _update(entry: dict, where: str) -> dict:
    created = _utc(entry.get("created_at"), f"{where}.created_at")
    body = entry.get("body")
    return {"id": _text(entry, "id", where), "status": _text(entry, "status", where, INCIDENT_STATUSES),
            "created_at": created,
            # display_at may be set earlier than created_at by the vendor; kept apart, never used for lead time.
            "display_at": _optional_utc(entry.get("display_at"), f"{where}.display_at") or created,
            "body": body[:MAX_UPDATE_BODY] if isinstance(body, str) else ""}


def parse_incident(entry: dict, where: str = "incident") -> dict:
    """One incident: status, impact, UTC times, and its updates oldest first."""
    updates = entry.get("incident_updates", [])
    if not isinstance(updates, list) or not all(isinstance(u, dict) for u in updates):
        raise StatuspageError(f"{where}.incident_updates must be a list of objects")
    parsed = sorted((_update(u, f"{where}.incident_updates[{n}]") for n, u in enumerate(updates)),
                    key=lambda u: (u["created_at"], u["id"]))
    created = _utc(entry.get("created_at"), f"{where}.created_at")
    started = _optional_utc(entry.get("started_at"), f"{where}.started_at")
    shortlink = entry.get("shortlink")
    return {"id": _text(entry, "id", where), "name": _text(entry, "name", where),
            "status": _text(entry, "status", where, INCIDENT_STATUSES),
            "impact": _text(entry, "impact", where, IMPACTS),
            "shortlink": shortlink if isinstance(shortlink, str) and shortlink.startswith("https://") else None,
            "created_at": created, "started_at": started or created,
            "resolved_at": _optional_utc(entry.get("resolved_at"), f"{where}.resolved_at"),
            "posted_at": parsed[0]["created_at"] if parsed else created,
            "updates": parsed}


def parse_incidents(payload: bytes | str) -> list[dict]:
    """The incidents of an `incidents.json` (or the unresolved ones of a `summary.json`)."""
    return [parse_incident(entry, f"incidents[{n}]") for n, entry in enumerate(_load(payload, "incidents"))]


def parse_components(payload: bytes | str) -> list[dict]:
    """The component statuses of a `summary.json`, groups left out (their members carry the status)."""
    components = []
    for n, entry in enumerate(_load(payload, "components")):
        where = f"components[{n}]"
        if entry.get("group") is True:
            continue
        components.append({"id": _text(entry, "id", where), "name": _text(entry, "name", where),
                           "status": _text(entry, "status", where, COMPONENT_STATUSES)})
    return components
