"""The HTTP API reference page, written at build time from the OpenAPI document the app serves."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `mkdocs build` run from elsewhere still finds the product's modules
    sys.path.insert(0, str(ROOT))

from aggregator.api.docs import fields, operations  # noqa: E402
from aggregator.api.openapi import DOCUMENT  # noqa: E402

PAGE = "api-reference.md"


def _plain(text: str) -> str:
    """Text from the document that is not markdown (names, enum values), escaped so it stays as written."""
    return re.sub(r"([\\`*_\[\]<>{}#])", r"\\\1", text)


def _cell(text: str) -> str:
    """Markdown for a table cell: a pipe outside a code span would end the cell (inside one it is kept)."""
    parts = re.split(r"(`[^`]*`)", text.replace("\n", " "))
    return "".join(part if part.startswith("`") else part.replace("|", "\\|") for part in parts)


def _limits(schema: dict) -> str:
    """The constraints a value must meet, in words, for the type column."""
    words = [_limits(part)[2:] for part in schema.get("anyOf", []) if _limits(part)]
    if "minimum" in schema and "maximum" in schema:
        words.append(f"{schema['minimum']} to {schema['maximum']}")
    elif "minimum" in schema:
        words.append(f"at least {schema['minimum']}")
    if "maxLength" in schema:
        words.append(f"at most {schema['maxLength']} characters")
    if "pattern" in schema:
        words.append(f"matching `{schema['pattern']}`")
    return "".join(f", {w}" for w in words)


def _type(tokens: list[tuple[str, str | None]]) -> str:
    return "".join(f"[{name}](#schema-{link})" if link else _plain(name) for name, link in tokens)


def _anchor(method: str, path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{method} {path}".lower()).strip("-")


def _bodies(content: list) -> str:
    return "; ".join(f"`{media}` {_type(tokens)}" for media, tokens in content)


def _operation(op: dict, schemes: dict) -> list[str]:
    lines = [f"### `{op['method']} {op['path']}` {{#{_anchor(op['method'], op['path'])}}}", "",
             op["summary"] + "." + (f" {op['description']}" if op["description"] else ""), ""]
    for name in op["security"]:
        lines += [f"Needs `Authorization: Bearer`: {schemes[name]['description']}.", ""]
    if op["parameters"]:
        lines += ["| parameter | in | type | meaning |", "|---|---|---|---|"]
        for p in op["parameters"]:
            default = p["schema"].get("default")
            meaning = (p.get("description") or "") + (f"; default `{default}`" if default is not None else "")
            required = " (required)" if p.get("required") else ""
            kind = _type(p["type"]) + _limits(p["schema"])
            lines.append(f"| `{p['name']}`{required} | {p['in']} | {_cell(kind)} | {_cell(meaning)} |")
        lines.append("")
    if op["body"]:
        lines += [f"Body{'' if op['body_required'] else ' (optional)'}: {_bodies(op['body'])}", ""]
    lines += ["| status | when | body |", "|---|---|---|"]
    for r in op["responses"]:
        when = r["description"] + "".join(f"; header `{h}`" for h in r["headers"])
        lines.append(f"| {r['status']} | {_cell(when)} | {_cell(_bodies(r['content']))} |")
    return lines + [""]


def _schema(name: str, schema: dict) -> list[str]:
    lines = [f"### {name} {{#schema-{name}}}", ""]
    rows = fields(schema)
    if rows:
        lines += ["| field | type | meaning |", "|---|---|---|"]
        lines += [f"| `{f['name']}`{'' if f['required'] else ' (optional)'} "
                  f"| {_cell(_type(f['type']) + _limits(f['schema']))} | {_cell(f['description'])} |" for f in rows]
    return lines + [""]


def page(document: dict = DOCUMENT) -> str:
    """The reference as markdown: every operation by tag, then every schema, in the document's order."""
    info, schemes = document["info"], document["components"]["securitySchemes"]
    ops = operations(document)
    lines = ["# API reference", "",
             f"{info['title']} {info['version']}, made from the OpenAPI {document['openapi']} document that a "
             "running server also serves as JSON at `GET /api/v1/openapi.json` and as a page at "
             "`GET /api/v1/docs`. The guide to it is [HTTP API](http-api.md).", "",
             info["description"], ""]
    for tag in document["tags"]:
        lines += [f"## {tag['name'].capitalize()}", "", tag["description"][0].upper() + tag["description"][1:] + ".",
                  ""]
        for op in ops:
            if op["tag"] == tag["name"]:
                lines += _operation(op, schemes)
    lines += ["## Schemas", ""]
    for name, schema in document["components"]["schemas"].items():
        lines += _schema(name, schema)
    return "\n".join(lines)


def on_files(files, config):
    files.append(File.generated(config, PAGE, content=page()))
    return files
