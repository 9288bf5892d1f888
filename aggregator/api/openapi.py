"""The OpenAPI 3.1 document of the public HTTP API: the one description the JSON and the docs page are made from."""
from __future__ import annotations

from workers.manual import MAX_NOTES

from ..caching import API_DESCRIPTION, CLOSED, DETECTION, LIVE, OFFICIAL, OPEN_RANGE, SETTLED_SECONDS
from ..errors import RETRY_AFTER_SECONDS
from ..radar import MAX_BODY_BYTES
from ..ranges import MAX_BUCKETS
from .batch import MAX_BYTES as MAX_BATCH_BYTES
from .batch import MAX_REPORTS
from .comments import DEFAULT_LIMIT as COMMENTS_LIMIT
from .comments import MAX_LIMIT as MAX_COMMENTS
from .schemas import COMMENT_ID, SCHEMAS, obj, ref
from .status import DEFAULT_LIMIT, MAX_LIMIT, STATES

VERSION = "1.0.0"

RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "schema": {"type": "string", "example": str(RETRY_AFTER_SECONDS)}}}


def error(description: str, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}, **extra}


RESPONSES = {
    "Invalid": error("a parameter or field is missing or wrong; `field` names it"),
    "UnknownService": error("no service has this slug or alias (`unknown_service`)"),
    "Unavailable": error("the data store cannot be reached (`data_unavailable`)", headers=RETRY_AFTER),
    "Unauthorized": error("no `Authorization: Bearer` token, or the wrong one (`unauthorized`)"),
    "AdminDisabled": error("administration is off: `RADAR_ADMIN_TOKEN` is empty (`admin_disabled`)"),
    "RelayDisabled": error("batches are off: `RADAR_RELAY_KEYS` is empty (`disabled`)"),
    "Busy503": error("the data store cannot be reached (`data_unavailable`), or the server is taking more "
                     "reports than it can answer in time (`overloaded`); nothing was stored", headers=RETRY_AFTER),
    "RateLimited": error("too many reports for this service from this client address (`rate_limited`)",
                         headers=RETRY_AFTER),
    "TooManyReads": error("too many reads from this client address (`rate_limited`, `RADAR_READ_RATE_LIMIT`); "
                          "`Retry-After` says when its window admits more", headers=RETRY_AFTER),
    "UnknownIncident": error("no incident has this id (`unknown_incident`)"),
    "NoComments": error("no service has this slug or alias (`unknown_service`), or this site does not show comments "
                        "(`comments_off`: `RADAR_COMMENTS_SHOWN` is 0)"),
    "UnknownComment": error("no comment of the service has this id (`unknown_comment`), or no service has this slug "
                            "or alias (`unknown_service`)"),
    "Busy": error(f"the incident is resolved already, has {MAX_NOTES} notes, or detection is updating it right "
                  "now (`conflict`)"),
    "TooLarge": error(f"the body is larger than {MAX_BODY_BYTES} bytes ({MAX_BATCH_BYTES // 1024} KiB for a batch; "
                      "`request_entity_too_large`)"),
    "BadCatalog": error("the catalog file has a mistake; the message names it (`bad_catalog`)"),
    "NotJson": error("the body is not JSON (`unsupported_media_type`)"),
}


def json_body(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def responses(ok: dict, *errors: tuple[str, str], status: str = "200") -> dict:
    """The answer on success and the named error answers, in order of status."""
    return dict(sorted({status: ok, **{code: {"$ref": f"#/components/responses/{name}"} for code, name in errors}}
                       .items()))


IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "the `ETag` of an earlier answer: 304 without a body if the answer is still the same"}
NOT_MODIFIED = {"description": "the answer is the one whose `ETag` the request sent in `If-None-Match`; no body",
                "headers": {"ETag": {"description": "the same validator", "schema": {"type": "string"}}}}


def read(op: dict, cached: str) -> dict:
    """A GET of the API: kept as `cached` says, 304 for a matching If-None-Match, limited per client."""
    headers = {
        "Cache-Control": {"description": f"{cached}; `private, no-store` when the request carries an "
                                         "`Authorization` header", "schema": {"type": "string"}},
        "ETag": {"description": "a validator of this body, for `If-None-Match` (left out of `no-store` answers)",
                 "schema": {"type": "string"}},
    }
    ok = {**op["responses"]["200"], "headers": headers}
    responses = {**op["responses"], "200": ok, "304": NOT_MODIFIED,
                 "429": {"$ref": "#/components/responses/TooManyReads"}}
    return {**op, "parameters": [*op.get("parameters", []), IF_NONE_MATCH],
            "responses": dict(sorted(responses.items()))}


def kept(lifetime) -> str:
    return f"`{lifetime.header}`"


BY_RESOLUTION = ", ".join(f"{kept(OPEN_RANGE[name])} at `{name}`" for name in OPEN_RANGE)
SERIES_KEPT = (f"{BY_RESOLUTION} while the range reaches into the last {SETTLED_SECONDS // 60} minutes; "
               f"{kept(CLOSED)} once it ended before that")
SUMMARY_KEPT = f"by the window's resolution: {BY_RESOLUTION}"

SLUG = {"name": "slug", "in": "path", "required": True, "description": "service slug or alias, any case",
        "schema": {"type": "string", "example": "claude"}}
COMMENT = {"name": "comment_id", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "the comment's id, as the comments feed gives it", "example": "1764162180000-0"}
INCIDENT = {"name": "incident_id", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "the incident's id: its service, country if any, and onset",
            "example": "claude.20261125T2303Z"}


def query(name: str, description: str, schema: dict | None = None) -> dict:
    """An optional query parameter; like a blank HTML form field, an empty value is the same as none."""
    return {"name": name, "in": "query", "required": False, "allowEmptyValue": True, "description": description,
            "schema": schema or {"type": "string"}}


INSTANT = "unix seconds or ISO 8601 (UTC unless it says otherwise)"
ONSET_RANGE = (query("from", f"onset at or after, {INSTANT}"), query("to", f"onset before, {INSTANT}"))
LIMIT = query("limit", "how many incidents at most",
              {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})
READ_ERRORS = (("400", "Invalid"), ("404", "UnknownService"), ("503", "Unavailable"))
ADMIN_ERRORS = (("401", "Unauthorized"), ("403", "AdminDisabled"), ("503", "Unavailable"))
ADMIN = {"tags": ["admin"], "security": [{"adminToken": []}]}

PATHS = {
    "/healthz": {"get": {
        "tags": ["health"], "summary": "The process is up",
        "responses": responses(json_body(ref("Health"), "always, while the process answers")),
    }},
    "/readyz": {"get": {
        "tags": ["health"], "summary": "Both Redis connections answer and reports are counted without a backlog",
        "responses": {"200": json_body(ref("Ready"), "ready"),
                      "503": json_body(ref("Ready"), "not ready; `problems` says why")},
    }},
    "/api/v1/reports": {"post": {
        "tags": ["reports"], "summary": "Report a problem with a service",
        "description": f"A JSON object or form fields, at most {MAX_BODY_BYTES} bytes. A plain HTML form "
                       "(form fields, preferring text/html) is answered with 303 See Other back to the "
                       "service's page instead of JSON. Another site's page may send reports only as the widget "
                       "does, JSON in a CORS request; its form or `no-cors` post is refused (403 `cross_site`).",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": ref("ReportIn")},
            "application/x-www-form-urlencoded": {"schema": ref("ReportIn")},
        }},
        "responses": {
            "202": json_body(ref("ReportAccepted"), "accepted; `counted` says whether it was counted"),
            "303": {"description": "an HTML form's report, accepted: back to the service's page"},
            "400": {"$ref": "#/components/responses/Invalid"},
            "413": {"$ref": "#/components/responses/TooLarge"},
            "403": error("another site's page posted a form or a `no-cors` request (`cross_site`); only the "
                         "widget's CORS request with a JSON body is taken from other sites"),
            "415": error("the body is neither JSON nor a form"),
            "429": {"$ref": "#/components/responses/RateLimited"},
            "503": {"$ref": "#/components/responses/Busy503"},
        },
    }},
    "/api/v1/reports/batch": {"post": {
        "tags": ["reports"], "security": [{"relayKey": []}],
        "summary": f"Up to {MAX_REPORTS} reports from a trusted relay, each with its reporter's address",
        "description": f"Taken whole or not at all: one wrong report refuses the batch, and `field` names it "
                       f"(`reports[3].surface`). At most {MAX_BATCH_BYTES // 1024} KiB.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Batch")}}},
        "responses": responses(json_body(ref("BatchAccepted"), "every report stored"),
                               ("400", "Invalid"), ("401", "Unauthorized"), ("403", "RelayDisabled"),
                               ("413", "TooLarge"), ("415", "NotJson"), ("503", "Busy503"), status="202"),
    }},
    "/api/v1/services": {"get": read({
        "tags": ["read"], "summary": "The catalog, with each service's reports in the last hour",
        "responses": responses(json_body(obj({"services": {"type": "array", "items": ref("Service")}}),
                                         "every service, in catalog order"), ("503", "Unavailable")),
    }, kept(LIVE))},
    "/api/v1/services/{slug}/series": {"get": read({
        "tags": ["read"], "summary": "Report counts per time bucket",
        "parameters": [
            SLUG,
            query("resolution", "bucket width", {"type": "string", "enum": ["1m", "15m", "1h"], "default": "1m"}),
            query("from", f"start, {INSTANT}; default: an hour, a day or a week before `to`"),
            query("to", f"end, {INSTANT}; default: now"),
            query("format", "json or an attached CSV", {"type": "string", "enum": ["json", "csv"], "default": "json"}),
        ],
        "description": f"The range is widened to whole buckets and may hold at most {MAX_BUCKETS} of them.",
        "responses": responses({"description": "the buckets of the range, oldest first", "content": {
            "application/json": {"schema": ref("Series")},
            "text/csv": {"schema": {"type": "string"}},
        }}, *READ_ERRORS),
    }, SERIES_KEPT)},
    "/api/v1/services/{slug}/summary": {"get": read({
        "tags": ["read"], "summary": "Totals, surface and symptom shares and top countries over a window",
        "parameters": [SLUG, query("window", "a number and a unit: 15m, 6h, 7d",
                                   {"type": "string", "pattern": "^[0-9]{1,4}[mhd]$", "default": "1h"})],
        "description": f"The window is widened to whole buckets of the finest resolution that covers it in at "
                       f"most {MAX_BUCKETS} (minutes under 48 hours, quarter-hours under 30 days, hours up to "
                       f"{MAX_BUCKETS - 1}h, just under 120 days). It costs little however long: whole past days are "
                       "read as one sum each, kept once the day is over, and only the edges bucket by bucket.",
        "responses": responses(json_body(ref("Summary"), "the summary"), *READ_ERRORS),
    }, SUMMARY_KEPT)},
    "/api/v1/services/{slug}/status": {"get": read({
        "tags": ["detection"], "summary": "What detection thinks of the service right now",
        "parameters": [SLUG],
        "responses": responses(json_body(ref("Status"), "the service's status"), *READ_ERRORS[1:]),
    }, kept(DETECTION))},
    "/api/v1/status": {"get": read({
        "tags": ["detection"], "summary": "Every service's status, in catalog order",
        "responses": responses(json_body(obj({"services": {"type": "array", "items": ref("Status")}}),
                                         "every status"), ("503", "Unavailable")),
    }, kept(DETECTION))},
    "/api/v1/incidents": {"get": read({
        "tags": ["detection"], "summary": "Incidents, newest onset first",
        "parameters": [
            query("service", "slug or alias"),
            query("state", "the status, or the worst state reached", {"type": "string", "enum": list(STATES)}),
            *ONSET_RANGE,
            query("country", "a two-letter code for that country's incidents, `none` for service-wide ones",
                  {"type": "string", "pattern": "^([A-Za-z]{2}|[Nn][Oo][Nn][Ee])$"}),
            LIMIT,
        ],
        "responses": responses(json_body(obj({"incidents": {"type": "array", "items": ref("Incident")}}),
                                         "the incidents that match"), ("400", "Invalid"), ("503", "Unavailable")),
    }, kept(DETECTION))},
    "/api/v1/incidents/{incident_id}": {"get": read({
        "tags": ["detection"], "summary": "One incident, with the official incident linked to it",
        "parameters": [INCIDENT],
        "responses": responses(json_body(ref("Incident"), "the incident"),
                               ("404", "UnknownIncident"), ("503", "Unavailable")),
    }, kept(DETECTION))},
    "/api/v1/services/{slug}/official": {"get": read({
        "tags": ["detection"], "summary": "The official status page's components, and the crowd's lead times",
        "description": "Lead times of the service's most recent service-wide incidents (onset in `from`..`to`, "
                       "at most `limit`), and those of them the vendor never acknowledged.",
        "parameters": [
            SLUG,
            *ONSET_RANGE,
            LIMIT,
        ],
        "responses": responses(json_body(ref("Official"), "the service's official side"), *READ_ERRORS),
    }, kept(OFFICIAL))},
    "/api/v1/services/{slug}/comments": {"get": read({
        "tags": ["comments"], "summary": "The newest comments sent with counted reports, newest first",
        "description": "A comment of a report not counted (a repeat within the dedupe window) is never kept, and "
                       "one an administrator hid is left out. Older comments: `before` = the answer's `next`.",
        "parameters": [
            SLUG,
            query("before", "a comment id: only comments older than it", {"type": "string", "pattern": COMMENT_ID}),
            query("limit", "how many comments at most",
                  {"type": "integer", "minimum": 1, "maximum": MAX_COMMENTS, "default": COMMENTS_LIMIT}),
        ],
        "responses": responses(json_body(ref("Comments"), "a page of comments"),
                               ("400", "Invalid"), ("404", "NoComments"), ("503", "Unavailable")),
    }, kept(LIVE))},
    "/api/v1/openapi.json": {"get": read({
        "tags": ["docs"], "summary": "This document",
        "responses": {"200": json_body({"type": "object"}, "OpenAPI 3.1")},
    }, kept(API_DESCRIPTION))},
    "/api/v1/docs": {"get": read({
        "tags": ["docs"], "summary": "This document as a readable page",
        "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}},
    }, kept(API_DESCRIPTION))},
    "/api/v1/admin/incidents/{incident_id}/notes": {"post": {
        **ADMIN, "summary": "Add a note to an incident; it is shown with the incident in the API and dashboard",
        "parameters": [INCIDENT],
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("NoteIn")}}},
        "responses": responses(json_body(ref("Incident"), "the incident with its new note"),
                               ("400", "Invalid"), *ADMIN_ERRORS, ("404", "UnknownIncident"),
                               ("409", "Busy"), ("413", "TooLarge"), status="201"),
    }},
    "/api/v1/admin/incidents/{incident_id}/resolve": {"post": {
        **ADMIN, "summary": "Close an open incident by hand",
        "description": "Detection opens no new incident for that service (or country) until its state has "
                       "returned to ok.",
        "parameters": [INCIDENT],
        "requestBody": {"required": False, "content": {"application/json": {"schema": ref("ResolveIn")}}},
        "responses": responses(json_body(ref("Incident"), "the resolved incident"),
                               ("400", "Invalid"), *ADMIN_ERRORS, ("404", "UnknownIncident"), ("409", "Busy"),
                               ("413", "TooLarge")),
    }},
    "/api/v1/admin/services/{slug}/comments/{comment_id}/hide": {"post": {
        **ADMIN, "summary": "Hide a comment wherever comments are shown",
        "description": "The comment is kept, with who hid it, when and why; hiding it again replaces that record.",
        "parameters": [SLUG, COMMENT],
        "requestBody": {"required": False, "content": {"application/json": {"schema": ref("HideIn")}}},
        "responses": responses(json_body(ref("HiddenComment"), "the comment and its hiding"),
                               ("400", "Invalid"), *ADMIN_ERRORS, ("404", "UnknownComment"), ("413", "TooLarge")),
    }},
    "/api/v1/admin/services/{slug}/comments/{comment_id}/unhide": {"post": {
        **ADMIN, "summary": "Show a hidden comment again",
        "parameters": [SLUG, COMMENT],
        "responses": responses(json_body(ref("HiddenComment"), "the comment, `hidden` null"),
                               *ADMIN_ERRORS, ("404", "UnknownComment")),
    }},
    "/api/v1/admin/services/{slug}/comments/hidden": {"get": read({
        **ADMIN, "summary": "The service's hidden comments, newest first, each with who hid it, when and why",
        "parameters": [SLUG],
        "responses": responses(json_body(obj({"service": {"type": "string"},
                                              "comments": {"type": "array", "items": ref("HiddenComment")}}),
                                         "the hidden comments"), *ADMIN_ERRORS, ("404", "UnknownService")),
    }, "`private, no-store`")},
    "/api/v1/admin/catalog/reload": {"post": {
        **ADMIN, "summary": "Read the services catalog file again",
        "description": "Every web process takes the new catalog within a few seconds; a file with a mistake is "
                       "refused and the old catalog kept.",
        "responses": responses(json_body(ref("CatalogReloaded"), "the catalog now in use"),
                               *ADMIN_ERRORS, ("422", "BadCatalog")),
    }},
}


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Outage Radar API", "version": VERSION,
        "description": "Crowd-sourced outage reports: send one, read the counts back, see what detection found. "
                       "Every error is `{\"error\": {\"code\", \"message\", \"field\"}}`. All times are UTC.",
    },
    "tags": [
        {"name": "reports", "description": "sending a report"},
        {"name": "read", "description": "counts and shares"},
        {"name": "detection", "description": "status and incidents"},
        {"name": "comments", "description": "what reporters wrote"},
        {"name": "admin", "description": "actions behind `RADAR_ADMIN_TOKEN`"},
        {"name": "health", "description": "probes for load balancers"},
        {"name": "docs", "description": "this description"},
    ],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer",
                                           "description": "the value of `RADAR_ADMIN_TOKEN`"},
                            "relayKey": {"type": "http", "scheme": "bearer",
                                         "description": "one of the keys in `RADAR_RELAY_KEYS`"}},
    },
}
"""The document served at /api/v1/openapi.json."""
