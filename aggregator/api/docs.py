"""The OpenAPI document as JSON and as a readable page, both from `openapi.DOCUMENT`."""
from __future__ import annotations

import re

from flask import Blueprint, jsonify, render_template
from markupsafe import Markup, escape

from .openapi import DOCUMENT

bp = Blueprint("apidocs", __name__, url_prefix="/api/v1")

METHODS = ("get", "post", "put", "patch", "delete")


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_tokens(schema: dict) -> list[tuple[str, str | None]]:
    """A schema in words, as (text, schema name to link or None) pieces: 'array of ', ('Bucket', 'Bucket')."""
    if "$ref" in schema:
        return [(_name(schema["$ref"]), _name(schema["$ref"]))]
    for key, joint in (("anyOf", " or "), ("allOf", " and ")):
        if key in schema:
            parts = [type_tokens(part) for part in schema[key]]
            return [piece for n, part in enumerate(parts) for piece in ([(joint, None)] if n else []) + part]
    if "enum" in schema:
        return [("one of " + ", ".join(map(str, schema["enum"])), None)]
    kind = schema.get("type", "any")
    if kind == "array":
        return [("array of ", None), *type_tokens(schema["items"])]
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return [("object of ", None), *type_tokens(schema["additionalProperties"])]
    if kind == "object" and schema.get("properties"):
        fields = [[(", " if n else "", None), (f"{name}: ", None), *type_tokens(prop)]
                  for n, (name, prop) in enumerate(schema["properties"].items())]
        return [("{", None), *(piece for field in fields for piece in field), ("}", None)]
    return [(f"{kind} ({schema['format']})" if "format" in schema else kind, None)]


def _resolve(schema: dict) -> dict:
    return DOCUMENT["components"]["schemas"][_name(schema["$ref"])] if "$ref" in schema else schema


def fields(schema: dict) -> list[dict]:
    """The properties of an object schema (those of every allOf part too), for a table."""
    parts = [_resolve(part) for part in schema.get("allOf", [schema])]
    return [{"name": name, "type": type_tokens(prop), "required": name in part.get("required", []),
             "description": prop.get("description", ""), "schema": prop}
            for part in parts for name, prop in part.get("properties", {}).items()]


def _response(status: str, response: dict) -> dict:
    if "$ref" in response:
        response = DOCUMENT["components"]["responses"][_name(response["$ref"])]
    return {"status": status, "description": response["description"], "headers": list(response.get("headers", {})),
            "content": [(media, type_tokens(body["schema"])) for media, body in response.get("content", {}).items()]}


def operations(document: dict) -> list[dict]:
    """Every operation of the document, in its order, with what a reader needs to call it."""
    out = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            body = op.get("requestBody", {})
            out.append({
                "id": f"{method}-{path}", "method": method.upper(), "path": path, "tag": op["tags"][0],
                "summary": op["summary"], "description": op.get("description", ""),
                "security": [name for requirement in op.get("security", []) for name in requirement],
                "parameters": [{**p, "type": type_tokens(p["schema"])} for p in op.get("parameters", [])],
                "body": [(media, type_tokens(spec["schema"])) for media, spec in body.get("content", {}).items()],
                "body_required": body.get("required", False),
                "responses": [_response(status, r) for status, r in op["responses"].items()],
            })
    return out


@bp.app_template_filter("code_spans")
def code_spans(text: str) -> Markup:
    """Escaped text with its `backquoted` parts as code, as the document writes them."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(DOCUMENT)


@bp.get("/docs")
def docs():
    schemas = [(name, schema, fields(schema)) for name, schema in DOCUMENT["components"]["schemas"].items()]
    return render_template("api_docs.html", info=DOCUMENT["info"], tags=DOCUMENT["tags"],
                           operations=operations(DOCUMENT), schemas=schemas,
                           schemes=DOCUMENT["components"]["securitySchemes"])
