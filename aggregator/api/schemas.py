"""The schemas of the OpenAPI document: every JSON body the public HTTP API takes or gives."""
from __future__ import annotations

from workers.buckets import REGION, UNKNOWN
from workers.detect import State
from workers.manual import MAX_NOTE
from workers.statuspage import COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES

from ..intake import MAX_COMMENT, SURFACES, SYMPTOMS
from .batch import MAX_REPORTS, MAX_USER_AGENT


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    """A closed object whose listed properties are all required unless `required` says otherwise."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, **extra}


def counts(of: str) -> dict:
    return {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}, "description": of}


def shares(of: str) -> dict:
    return {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100},
            "description": of}


COMMENT_ID = "^[0-9]{1,20}-[0-9]{1,20}$"
TIME = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601 (`2026-11-25T12:03:00Z`)"}
STATE = {"type": "string", "enum": [s.value for s in State]}
INCIDENT_REQUIRED = ["id", "service", "country", "status", "state", "worst_state", "opened_at", "noticed_at",
                     "resolved_at", "peak", "surfaces_at_peak", "symptoms_at_peak", "top_regions", "changes", "notes",
                     "lead_time_seconds", "official"]
"""What every incident has; incidents opened before origins were counted lack `origins_at_peak` and
`mostly_from_site`."""

SCHEMAS = {
    "Error": obj({"error": obj({
        "code": {"type": "string", "description": "stable machine-readable code, e.g. `invalid`"},
        "message": {"type": "string", "description": "what is wrong, in words a person can act on"},
        "field": nullable({"type": "string", "description": "the offending field or query parameter"}),
    })}),
    "Service": obj({
        "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,39}$"},
        "name": {"type": "string"},
        "aliases": {"type": "array", "items": {"type": "string"}},
        "status_page": nullable({"type": "string", "format": "uri"}),
        "reports_last_hour": {"type": "integer", "minimum": 0},
    }),
    "ReportIn": obj({
        "service": {"type": "string", "minLength": 1, "description": "slug or alias from the catalog",
                    "example": "claude"},
        "surface": {"type": "string", "enum": list(SURFACES)},
        "symptom": nullable({"type": "string", "enum": [*SYMPTOMS, ""], "description": "empty or null: none"}),
        "comment": nullable({"type": "string", "maxLength": MAX_COMMENT,
                             "description": "free text, kept apart from the counts; empty or null: none"}),
    }, required=["service", "surface"]),
    "RelayedReport": {"allOf": [ref("ReportIn"), obj({
        "client": {"type": "string", "description": "the reporter's IP address: region and dedupe; never stored",
                   "example": "81.2.69.142"},
        "user_agent": {"type": "string", "maxLength": MAX_USER_AGENT, "description": "part of the reporter's identity"},
        "region": {"type": "string", "pattern": f"^({REGION.pattern}|{UNKNOWN})$",
                   "description": "a country or subdivision the relay knows; wins over the address"},
    }, required=["client"])]},
    "Batch": obj({"reports": {"type": "array", "items": ref("RelayedReport"), "minItems": 1,
                              "maxItems": MAX_REPORTS}}),
    "BatchAccepted": obj({
        "accepted": {"type": "integer", "minimum": 1}, "counted": {"type": "integer", "minimum": 0},
        "deduped": {"type": "integer", "minimum": 0},
        "ids": {"type": "array", "items": {"type": "string"}, "description": "entry ids, in the batch's order"},
    }),
    "ReportAccepted": obj({
        "id": {"type": "string", "description": "the report's entry id in the service's intake stream"},
        "service": {"type": "string"},
        "surface": {"type": "string", "enum": list(SURFACES)},
        "region": {"type": "string", "description": "ISO country code, then its subdivision if known, or `unknown`"},
        "counted": {"type": "boolean", "description": "false when the reporter already reported the service lately"},
        "reports_last_hour": {"type": "integer", "minimum": 0},
    }),
    "Bucket": obj({
        "time": TIME, "total": {"type": "integer", "minimum": 0}, "surfaces": counts("reports per surface"),
        "symptoms": counts("reports per symptom"), "countries": counts("reports per country code or `unknown`"),
    }),
    "Series": obj({
        "service": {"type": "string"}, "resolution": {"type": "string", "enum": ["1m", "15m", "1h"]},
        "from": TIME, "to": TIME, "buckets": {"type": "array", "items": ref("Bucket")},
    }),
    "Shares": obj({"counts": counts("reports"), "percent": shares("shares adding up to 100")}),
    "RegionCount": obj({
        "country": {"type": "string"}, "region": {"type": "string", "description": "a subdivision, `DE-BE`"},
        "count": {"type": "number", "minimum": 0}, "percent": {"type": "number", "minimum": 0, "maximum": 100},
    }, required=["count", "percent"]),
    "Summary": obj({
        "service": {"type": "string"}, "window": {"type": "string"},
        "resolution": {"type": "string", "enum": ["1m", "15m", "1h"]}, "from": TIME, "to": TIME,
        "total": {"type": "integer", "minimum": 0}, "deduped": {"type": "integer", "minimum": 0},
        "surfaces": ref("Shares"), "symptoms": ref("Shares"),
        "top_regions": {"type": "array", "items": ref("RegionCount"), "maxItems": 10},
        "origins": {**ref("Shares"), "description": "counted reports by where they came from: `site` (this "
                    "site's pages), `widget` (the widget on another site), `api` (no page: apps, scripts, relays)"},
        "top_embedders": {"type": "array", "maxItems": 10, "description": "the sites whose pages embed the widget "
                          "that sent the most counted reports", "items": obj({
                              "host": {"type": "string"}, "count": {"type": "integer", "minimum": 0},
                              "percent": {"type": "number", "minimum": 0, "maximum": 100}})},
    }),
    "TrackStatus": obj({
        "state": STATE,
        "score": nullable({"type": "number", "description": "-log10 of how probable the recent counts are"}),
        "current": nullable({"type": "number"}), "baseline": nullable({"type": "number"}),
        "since": nullable(TIME), "incident_id": nullable({"type": "string"}),
        "baseline_quality": nullable({"type": "string", "enum": ["weekly", "daily", "floor"]}),
    }),
    "CountryStatus": {"allOf": [ref("TrackStatus"), obj({"country": {"type": "string"}})]},
    "Status": {"allOf": [ref("TrackStatus"), obj({
        "service": {"type": "string"}, "name": {"type": "string", "description": "the catalog's display name"},
        "evaluated_at": nullable(TIME), "countries": {"type": "array", "items": ref("CountryStatus")},
    })]},
    "Note": obj({"at": TIME, "text": {"type": "string"}}),
    "Incident": obj({
        "id": {"type": "string", "example": "claude.DE.20261125T2303Z"},
        "service": {"type": "string"}, "country": nullable({"type": "string"}),
        "status": {"type": "string", "enum": ["open", "resolved"]},
        "state": STATE, "worst_state": STATE,
        "opened_at": TIME, "noticed_at": TIME, "resolved_at": nullable(TIME),
        "peak": nullable(obj({"count": {"type": "number"}, "expected": {"type": "number"}, "at": TIME})),
        "surfaces_at_peak": shares("surface shares of the peak minute"),
        "symptoms_at_peak": nullable(shares("symptom shares of the peak minute; null for a country's incident")),
        "top_regions": {"type": "array", "items": ref("RegionCount")},
        "changes": {"type": "array", "items": obj({"at": TIME, "state": STATE})},
        "notes": {"type": "array", "items": ref("Note"), "description": "notes added by an administrator"},
        "lead_time_seconds": nullable({"type": "integer", "description": "the linked official incident's first "
                                       "update minus this incident's onset; null when the vendor posted nothing"}),
        "official": nullable({**ref("OfficialIncident"), "description": "the official incident linked to it"}),
        "origins_at_peak": nullable(shares("where the peak minute's reports came from (`site`, `widget`, `api`); "
                                           "null for a country's incident")),
        "mostly_from_site": nullable({"type": "string", "description": "the site whose embedded widget sent more "
                                      "than half of the peak's excess over the expected count, for an analyst to "
                                      "judge; null when none did"}),
    }, required=INCIDENT_REQUIRED),
    "OfficialUpdate": obj({
        "id": {"type": "string"}, "status": {"type": "string", "enum": list(INCIDENT_STATUSES)},
        "created_at": {**TIME, "description": "when the vendor posted it (UTC)"},
        "display_at": {**TIME, "description": "the time the page shows for it; the vendor may backdate it"},
        "body": {"type": "string"},
    }),
    "OfficialIncident": obj({
        "id": {"type": "string", "description": "the status page's incident id"}, "name": {"type": "string"},
        "status": {"type": "string", "enum": list(INCIDENT_STATUSES)},
        "impact": {"type": "string", "enum": list(IMPACTS)},
        "shortlink": nullable({"type": "string", "format": "uri"}),
        "created_at": TIME, "started_at": TIME, "resolved_at": nullable(TIME),
        "posted_at": {**TIME, "description": "`created_at` of its first update: when the vendor first said something"},
        "updates": {"type": "array", "items": ref("OfficialUpdate"), "description": "oldest first"},
    }),
    "LeadTime": obj({
        "incident_id": {"type": "string"}, "opened_at": TIME, "resolved_at": nullable(TIME), "worst_state": STATE,
        "official_id": nullable({"type": "string"}), "official_name": nullable({"type": "string"}),
        "posted_at": nullable(TIME), "lead_time_seconds": nullable({"type": "integer"}),
    }),
    "Official": obj({
        "service": {"type": "string"},
        "statuspage_api": nullable({"type": "string", "format": "uri", "description": "null: no page is polled"}),
        "polled_at": nullable(TIME), "ok_at": nullable(TIME),
        "error": nullable({"type": "string", "description": "why the last poll failed"}),
        "components": nullable({"type": "array", "items": obj({
            "id": {"type": "string"}, "name": {"type": "string"},
            "status": {"type": "string", "enum": list(COMPONENT_STATUSES)}})}),
        "lead_times": {"type": "array", "items": ref("LeadTime"), "description": "newest onset first"},
        "median_lead_time_seconds": nullable({"type": "number"}),
        "never_acknowledged": {"type": "array", "items": ref("LeadTime"),
                               "description": "resolved crowd incidents that no official incident matches"},
    }),
    "Comment": obj({
        "id": {"type": "string", "pattern": COMMENT_ID, "description": "the comment's entry id: its minute in "
               "milliseconds, then a sequence number", "example": "1764162180000-0"},
        "time": {**TIME, "description": "the minute of the report, UTC"},
        "surface": {"type": "string", "enum": list(SURFACES)},
        "country": nullable({"type": "string", "pattern": "^[A-Z]{2}$", "description": "null: not known"}),
        "text": {"type": "string", "maxLength": MAX_COMMENT, "description": "as sent: plain text, never markup"},
    }),
    "Comments": obj({
        "service": {"type": "string"},
        "comments": {"type": "array", "items": ref("Comment"), "description": "newest first"},
        "next": nullable({"type": "string", "pattern": COMMENT_ID,
                          "description": "`before` for the page of older comments; null: there are none"}),
    }),
    "HiddenComment": {"allOf": [ref("Comment"), obj({"hidden": nullable(obj({
        "by": {"type": "string", "enum": ["admin"]}, "at": TIME,
        "reason": nullable({"type": "string", "maxLength": MAX_NOTE}),
    }))})]},
    "HideIn": obj({"reason": {"type": "string", "maxLength": MAX_NOTE,
                              "description": "why, kept with the hiding for later reference"}}, required=[]),
    "NoteIn": obj({"text": {"type": "string", "minLength": 1, "maxLength": MAX_NOTE}}),
    "ResolveIn": obj({"note": {"type": "string", "maxLength": MAX_NOTE,
                               "description": "why it was closed; added to the incident's notes"}}, required=[]),
    "CatalogReloaded": obj({
        "services": {"type": "array", "items": {"type": "string"}, "description": "the slugs now in the catalog"},
    }),
    "Health": obj({"status": {"type": "string", "enum": ["ok"]}}),
    "Ready": obj({
        "status": {"type": "string", "enum": ["ok", "degraded", "unavailable"],
                   "description": "`degraded`: ready, with `warnings` (a data Redis past 80 % of its maxmemory)"},
        "problems": {"type": "array", "items": {"type": "string"}},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "intake_lag_seconds": {"type": "number", "minimum": 0},
        "memory": {"type": "array", "description": "the data Redis, each master of a cluster (empty when it "
                   "cannot be read)", "items": obj({
                       "node": {"type": "string", "description": "`data` for one server, else host:port"},
                       "used_bytes": {"type": "integer", "minimum": 0},
                       "maxmemory_bytes": {"type": "integer", "minimum": 0, "description": "0: no limit"}})},
    }),
}
