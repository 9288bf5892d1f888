"""The documentation: a short README, a site that builds, an API reference true to the app's routes and answers."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aggregator import create_app
from aggregator.api.openapi import DOCUMENT
from workers import incidents, keys
from workers.buckets import Bucket
from workers.detect import State

from .helpers import NOW, SECRET, TEST_GEOIP

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
IMPLICIT = {"HEAD", "OPTIONS"}
# Routes the OpenAPI document leaves out on purpose: they answer browsers (HTML pages, the dashboard, the
# embed surface and their static files), feed readers (the Atom feeds) or Prometheus (/metrics, in its own text
# format), not API clients.
OUTSIDE_THE_API = {"pages", "dashboard", "embed", "static", "metrics", "feeds"}
ADMIN_TOKEN = "an-admin-token-for-the-docs-tests"
RELAY_KEY = "a-relay-key-for-the-docs-tests"
COMMENT_ID = f"{int(NOW // 60 * 60_000)}-0"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The documentation site, built as `make docs` builds it."""
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)], cwd=ROOT,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stderr
    return out


def test_the_site_builds_strictly_with_a_page_for_every_markdown_file_in_docs(site):
    pages = [p.stem for p in (ROOT / "docs").glob("*.md")]
    assert len(pages) >= 10
    for page in pages:
        assert (site / ("" if page == "index" else page) / "index.html").is_file(), page


def test_the_api_reference_page_names_every_path_and_operation_of_the_document(site):
    page = (site / "api-reference" / "index.html").read_text(encoding="utf-8")
    for path, item in DOCUMENT["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in page, f"{method.upper()} {path}"
    for name in DOCUMENT["components"]["schemas"]:
        assert f'id="schema-{name}"' in page, name


def test_the_api_reference_is_not_a_file_anyone_edits_by_hand():
    assert not (ROOT / "docs" / "api-reference.md").exists()


def test_the_configuration_page_shows_the_readmes_settings_table(site):
    page = (site / "configuration" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(rows) > 20
    for name in rows:
        assert f"<code>{name}</code>" in page, name


# --- the README -------------------------------------------------------------------------------------

def test_the_readme_is_short():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 420


def test_the_readmes_code_map_comes_before_its_configuration_table():
    text = README.read_text(encoding="utf-8")
    code_map = re.search(r"^## Where the code is$", text, re.MULTILINE)
    table = re.search(r"^\| setting \| default \| meaning \|$", text, re.MULTILINE)
    assert code_map and table and code_map.start() < table.start()


def test_the_readme_names_the_two_commands_of_the_makefile():
    text, makefile = README.read_text(encoding="utf-8"), (ROOT / "Makefile").read_text()
    for target in ("run", "test"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)
        assert f"make {target}" in text


def test_every_file_the_readme_and_the_docs_name_exists():
    texts = [README.read_text(encoding="utf-8"), *(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))]
    named = [path for text in texts for path in re.findall(
        r"`((?:aggregator|workers|dashboards|tests|bench|docs)/[\w/.-]+\.(?:py|md|json|csv|js|toml))`", text)]
    linked = re.findall(r"\]\((docs/[\w/.-]+\.md)(?:#[\w-]+)?\)", texts[0])
    assert len(named) > 30 and len(linked) > 10
    assert [path for path in named + linked if not (ROOT / path).exists()] == []


# --- the document against the app ----------------------------------------------------------------------

def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_route_of_the_app_outside_the_browser_pages_is_in_the_document(app):
    undocumented = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in OUTSIDE_THE_API:
            continue
        item = DOCUMENT["paths"].get(_openapi_path(rule.rule), {})
        undocumented += [f"{m} {rule.rule}" for m in sorted(rule.methods - IMPLICIT) if m.lower() not in item]
    assert undocumented == []


def test_the_routes_left_out_of_the_document_are_pages_dashboard_embed_static_metrics_and_feeds(app):
    left_out = {_openapi_path(rule.rule) for rule in app.url_map.iter_rules()} - set(DOCUMENT["paths"])
    assert {"/", "/{slug}", "/dashboard", "/widget.js", "/metrics", "/feed.atom", "/{slug}/feed.atom"} <= left_out
    assert not any(path.startswith("/api/") for path in left_out)


@pytest.fixture
def open_client(redis_server):
    """The app with administration and relay batches on, so their documented success answers can be seen."""
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, "RADAR_REPORT_RATE_LIMIT": "",
                      "RADAR_ADMIN_TOKEN": ADMIN_TOKEN, "RADAR_RELAY_KEYS": RELAY_KEY})
    app.extensions["radar"].clock = lambda: NOW
    return app.test_client()


@pytest.fixture
def incident_id(open_client):
    """A real open incident of claude, stored as the detection run stores one."""
    data = open_client.application.extensions["radar"].data
    onset = NOW - 3600
    incident = incidents.open_incident("claude", None, State.OUTAGE, onset, onset + 120)
    incidents.observe(incident, Bucket(int(onset), total=40, surfaces={"website": 30, "api": 10}), 40, 2.0)
    with data.pipeline(transaction=False) as pipe:
        incidents.save(pipe, incident, time.time())
        pipe.execute()
    return incident["id"]


@pytest.fixture
def comment(open_client):
    """A comment of claude, stored as the drain stores one."""
    data = open_client.application.extensions["radar"].data
    data.xadd(keys.comments("claude"), {"ts": int(NOW // 60 * 60), "surface": "website", "region": "GB",
                                        "text": "down for me"}, id=COMMENT_ID)


def _requests(incident: str) -> list[tuple[str, str, dict]]:
    """One ordinary request for every documented operation, in an order that leaves each one something to act on."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    report = {"service": "claude", "surface": "website"}
    return [
        ("get", "/healthz", {}),
        ("get", "/readyz", {}),
        ("post", "/api/v1/reports", {"json": report}),
        ("post", "/api/v1/reports/batch", {"json": {"reports": [{**report, "client": "81.2.69.142"}]},
                                           "headers": {"Authorization": f"Bearer {RELAY_KEY}"}}),
        ("get", "/api/v1/services", {}),
        ("get", "/api/v1/services/claude/series", {}),
        ("get", "/api/v1/services/claude/summary", {}),
        ("get", "/api/v1/services/claude/status", {}),
        ("get", "/api/v1/status", {}),
        ("get", "/api/v1/incidents", {}),
        ("get", f"/api/v1/incidents/{incident}", {}),
        ("get", "/api/v1/services/claude/official", {}),
        ("get", "/api/v1/services/claude/comments", {}),
        ("get", "/api/v1/openapi.json", {}),
        ("get", "/api/v1/docs", {}),
        ("post", f"/api/v1/admin/incidents/{incident}/notes", {"json": {"text": "looked at"}, "headers": admin}),
        ("post", f"/api/v1/admin/incidents/{incident}/resolve", {"json": {"note": "by hand"}, "headers": admin}),
        ("post", f"/api/v1/admin/services/claude/comments/{COMMENT_ID}/hide", {"json": {"reason": "spam"},
                                                                               "headers": admin}),
        ("get", "/api/v1/admin/services/claude/comments/hidden", {"headers": admin}),
        ("post", f"/api/v1/admin/services/claude/comments/{COMMENT_ID}/unhide", {"headers": admin}),
        ("post", "/api/v1/admin/catalog/reload", {"headers": admin}),
    ]


def _fill(path: str, incident: str) -> str:
    return path.replace("{slug}", "claude").replace("{incident_id}", incident).replace("{comment_id}", COMMENT_ID)


def test_every_documented_operation_is_exercised_by_the_status_check(incident_id):
    exercised = {(method, path) for method, path, _ in _requests(incident_id)}
    documented = {(method, _fill(path, incident_id)) for path, item in DOCUMENT["paths"].items() for method in item}
    assert exercised == documented


def test_every_documented_path_answers_with_a_status_the_document_lists_for_it(open_client, incident_id, comment):
    wrong = []
    for method, path, kwargs in _requests(incident_id):
        template = next(p for p in DOCUMENT["paths"] if _fill(p, incident_id) == path)
        listed = DOCUMENT["paths"][template][method]["responses"]
        status = getattr(open_client, method)(path, **kwargs).status_code
        # An ordinary request must succeed: a listed error would hide a route that no longer works.
        if str(status) not in listed or not 200 <= status < 300:
            wrong.append(f"{method.upper()} {path}: {status}, the document lists {sorted(listed)}")
    assert wrong == []


def test_an_unknown_incident_is_a_404_which_the_document_lists(open_client):
    assert open_client.get("/api/v1/incidents/claude.20000101T0000Z").status_code == 404
    assert "404" in DOCUMENT["paths"]["/api/v1/incidents/{incident_id}"]["get"]["responses"]


def test_the_docs_page_asks_each_secured_operation_for_its_own_token(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    batch = page[page.index('id="post-/api/v1/reports/batch"'):]
    batch = batch[:batch.index("</article>")]
    assert "RADAR_RELAY_KEYS" in batch and "RADAR_ADMIN_TOKEN" not in batch
    reload = page[page.index('id="post-/api/v1/admin/catalog/reload"'):]
    assert "RADAR_ADMIN_TOKEN" in reload[:reload.index("</article>")]
