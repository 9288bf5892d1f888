"""Admin actions behind RADAR_ADMIN_TOKEN: notes on incidents, closing one by hand, hiding comments, reloading the
catalog."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from workers import alerts, comments, manual
from workers.manual import MAX_NOTE

from .. import bearer, catalog_sync
from ..base.exceptions import AdminDisabled, MalformedBody, UnknownService, ValidationError
from ..radar import radar
from .status import linked

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")


@bp.before_request
def _require_token():
    token = radar().settings.RADAR_ADMIN_TOKEN
    bearer.require((token,) if token else (), "admin", "RADAR_ADMIN_TOKEN",
                   AdminDisabled("administration is disabled: set RADAR_ADMIN_TOKEN to turn it on"))


def _body(required: bool) -> dict:
    if not required and not request.get_data():
        return {}
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise MalformedBody("the body must be a JSON object")
    return body


def _text(body: dict, name: str, required: bool) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise ValidationError(f"'{name}' must be a string, not {type(value).__name__}", field=name)
    value = value.strip()
    if required and not value:
        raise ValidationError(f"'{name}' is required", field=name)
    if len(value) > MAX_NOTE:
        raise ValidationError(f"'{name}' is {len(value)} characters; at most {MAX_NOTE}", field=name)
    return value


@bp.post("/incidents/<incident_id>/notes")
def add_note(incident_id: str):
    r = radar()
    text = _text(_body(required=True), "text", required=True)
    return jsonify(linked([manual.add_note(r.data, incident_id, text, r.clock())])[0]), 201


@bp.post("/incidents/<incident_id>/resolve")
def resolve(incident_id: str):
    r = radar()
    reason = _text(_body(required=False), "note", required=False)
    incident = manual.resolve_by_hand(r.data, incident_id, reason, r.clock())
    try:
        service = r.catalog.get(incident["service"])
    except UnknownService:
        return jsonify(linked([incident])[0])  # removed from the catalog since: it has no receivers to tell
    incident = linked([incident])[0]
    alerts.notify(r.queue, r.settings, service, incident, "resolved")
    return jsonify(incident)


def _hidden(comment: comments.Comment, record: dict | None) -> dict:
    return {**comment.to_json(), "hidden": record}


@bp.post("/services/<slug>/comments/<comment_id>/hide")
def hide_comment(slug: str, comment_id: str):
    r = radar()
    service = r.catalog.get(slug)
    reason = _text(_body(required=False), "reason", required=False)
    return jsonify(_hidden(*comments.hide(r.data, service.slug, comment_id, reason, r.clock())))


@bp.post("/services/<slug>/comments/<comment_id>/unhide")
def unhide_comment(slug: str, comment_id: str):
    r = radar()
    return jsonify(_hidden(comments.unhide(r.data, r.catalog.get(slug).slug, comment_id), None))


@bp.get("/services/<slug>/comments/hidden")
def hidden_comments(slug: str):
    r = radar()
    service = r.catalog.get(slug)
    return jsonify({"service": service.slug,
                    "comments": [_hidden(*found) for found in comments.hidden(r.data, service.slug)]})


@bp.post("/catalog/reload")
def reload_catalog():
    return jsonify({"services": catalog_sync.reload().slugs})
