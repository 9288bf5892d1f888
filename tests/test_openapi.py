"""The OpenAPI document: true to the app's routes, valid, and readable as a page linked from the site."""
import re

import pytest
import schemathesis

from aggregator.api.docs import code_spans
from aggregator.api.openapi import DOCUMENT

DOCUMENTED_OUTSIDE_API = {"/healthz", "/readyz"}
IMPLICIT = {"HEAD", "OPTIONS"}


def _routes(app):
    """{OpenAPI path: methods} of every public API route: /api/v1/... plus the health probes."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") or rule.rule in DOCUMENTED_OUTSIDE_API:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes.setdefault(path, set()).update(m.lower() for m in rule.methods - IMPLICIT)
    return routes


def test_every_api_route_and_method_is_documented_and_nothing_else(app):
    documented = {path: {m for m in item if m != "parameters"} for path, item in DOCUMENT["paths"].items()}
    assert documented == _routes(app)


def test_the_document_is_served_as_json_and_is_valid_openapi_3_1(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document == DOCUMENT
    assert document["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(document).validate()  # against the OpenAPI 3.1 meta-schema


def test_every_path_parameter_is_declared(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, op in item.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), f"{method.upper()} {path}"


def test_every_error_response_has_the_one_error_shape(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for name, response in document["components"]["responses"].items():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, name
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message", "field"]


def test_admin_and_relay_operations_need_a_bearer_token(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["adminToken"] == {
        "type": "http", "scheme": "bearer", "description": "the value of `RADAR_ADMIN_TOKEN`"}
    for path, item in document["paths"].items():
        for op in item.values():
            assert ("security" in op) == (path.startswith("/api/v1/admin/") or path == "/api/v1/reports/batch"), path


def test_the_docs_page_lists_every_operation_and_schema(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for path, item in DOCUMENT["paths"].items():
        for method in item:
            assert f'id="{method}-{path}"' in page
    for name in DOCUMENT["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    # A page to read with no script but the one that shows times in the reader's zone.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/local-times.js" defer>']


@pytest.mark.parametrize("page", ["/", "/claude", "/dashboard", "/dashboard/claude"])
def test_the_sites_pages_link_to_the_api_docs(client, page):
    assert 'href="/api/v1/docs"' in client.get(page).get_data(as_text=True)


def test_backquoted_words_in_descriptions_become_code_and_everything_else_stays_text():
    assert code_spans("<b>`x<y`</b> and `z`") == "&lt;b&gt;<code>x&lt;y</code>&lt;/b&gt; and <code>z</code>"
