"""The services catalog: the shipped services, lookup by slug or alias, and what a bad file says."""
from __future__ import annotations

import pytest

from aggregator import create_app
from aggregator.base.catalog import Catalog, Service, load_catalog
from aggregator.base.exceptions import CatalogError, UnknownService
from aggregator.base.settings import Settings

from .helpers import NOW, SECRET, TEST_GEOIP

DEFAULT_SLUGS = ["claude", "chatgpt", "gemini", "copilot", "github", "slack", "discord", "aws"]

CUSTOM = """
[[service]]
slug = "acme-cloud"
name = "Acme Cloud"
aliases = ["Acme", "acme-hosting"]
status_page = "https://status.acme.example"

[[service]]
slug = "widgets"
name = "Widgets"
"""


@pytest.fixture
def catalog():
    return load_catalog(Settings.from_env(environ={}).RADAR_SERVICES_FILE)


def write(tmp_path, text, name="services.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path) -> str:
    with pytest.raises(CatalogError) as info:
        load_catalog(str(path))
    assert info.value.code == "bad_catalog"
    return info.value.message


# --- the shipped catalog ---------------------------------------------------------------------------

def test_the_default_catalog_holds_the_shipped_services_in_file_order(catalog):
    assert catalog.slugs == DEFAULT_SLUGS
    assert [s.slug for s in catalog] == DEFAULT_SLUGS


def test_every_default_service_has_a_name_and_an_https_status_page(catalog):
    for service in catalog:
        assert service.name
        assert service.status_page.startswith("https://")


def test_a_service_is_found_by_its_slug(catalog):
    assert catalog.get("claude").name == "Claude"
    assert catalog.get("aws").name == "Amazon Web Services"


@pytest.mark.parametrize("name, slug", [
    ("anthropic", "claude"),
    ("claude-ai", "claude"),
    ("openai", "chatgpt"),
    ("bard", "gemini"),
    ("github-copilot", "copilot"),
    ("amazon-web-services", "aws"),
])
def test_a_service_is_found_by_an_alias(catalog, name, slug):
    assert catalog.get(name).slug == slug


@pytest.mark.parametrize("name", ["CLAUDE", "Claude", "ANTHROPIC", "Claude-AI", "  claude  "])
def test_lookup_ignores_case_and_surrounding_blanks(catalog, name):
    assert catalog.get(name).slug == "claude"


def test_an_unknown_name_suggests_close_slugs(catalog):
    with pytest.raises(UnknownService) as info:
        catalog.get("clade")
    message = info.value.message
    assert "'clade'" in message
    assert "did you mean" in message
    assert "claude" in message.split("did you mean", 1)[1]


def test_a_misspelt_alias_suggests_the_slug_it_names(catalog):
    with pytest.raises(UnknownService) as info:
        catalog.get("antropic")
    hint = info.value.message.split("did you mean:", 1)[1]
    assert [s.strip() for s in hint.split(",")] == ["claude"]


def test_an_unknown_name_with_nothing_close_lists_the_known_services(catalog):
    with pytest.raises(UnknownService) as info:
        catalog.get("zzqqxx")
    message = info.value.message
    assert "did you mean" not in message
    assert "known" in message
    for slug in DEFAULT_SLUGS:
        assert slug in message


def test_an_unknown_service_is_a_404_in_a_path_and_a_400_in_a_field(catalog):
    with pytest.raises(UnknownService) as in_path:
        catalog.get("nope")
    with pytest.raises(UnknownService) as in_body:
        catalog.get("nope", field="service")
    assert (in_path.value.status, in_path.value.field) == (404, None)
    assert (in_body.value.status, in_body.value.field) == (400, "service")


def test_the_api_answers_an_unknown_service_with_a_suggestion(client):
    response = client.get("/api/v1/services/clade/summary")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "unknown_service"
    assert "claude" in error["message"]


# --- a custom catalog -----------------------------------------------------------------------------

def test_a_custom_services_file_is_read_with_its_names_aliases_and_status_pages(tmp_path):
    catalog = load_catalog(str(write(tmp_path, CUSTOM)))
    assert catalog.slugs == ["acme-cloud", "widgets"]
    acme = catalog.get("ACME")
    assert acme == Service("acme-cloud", "Acme Cloud", ("acme", "acme-hosting"), "https://status.acme.example")
    widgets = catalog.get("widgets")
    assert (widgets.name, widgets.aliases, widgets.status_page) == ("Widgets", (), None)


def test_a_service_without_a_name_is_named_by_its_slug(tmp_path):
    catalog = load_catalog(str(write(tmp_path, '[[service]]\nslug = "bare"\n')))
    assert catalog.get("bare").name == "bare"


def test_the_app_serves_exactly_the_services_of_a_custom_file(redis_server, tmp_path):
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, "RADAR_REPORT_RATE_LIMIT": "",
                      "RADAR_SERVICES_FILE": str(write(tmp_path, CUSTOM))})
    app.extensions["radar"].clock = lambda: NOW
    client = app.test_client()
    services = client.get("/api/v1/services").get_json()["services"]
    assert [s["slug"] for s in services] == ["acme-cloud", "widgets"]
    assert services[0]["aliases"] == ["acme", "acme-hosting"]

    report = {"service": "acme", "surface": "website"}
    accepted = client.post("/api/v1/reports", json=report, environ_base={"REMOTE_ADDR": "81.2.69.142"})
    assert accepted.status_code == 202
    assert accepted.get_json()["service"] == "acme-cloud"

    refused = client.post("/api/v1/reports", json={"service": "claude", "surface": "website"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "unknown_service"
    assert refused.get_json()["error"]["field"] == "service"


def test_an_app_with_a_bad_services_file_does_not_start(redis_server, tmp_path):
    path = write(tmp_path, "[[service]\nslug = ")
    with pytest.raises(CatalogError, match="not valid TOML"):
        create_app({**SECRET, "REDIS_URL": redis_server.url, "RADAR_SERVICES_FILE": str(path)})


# --- a bad catalog file ---------------------------------------------------------------------------

def test_malformed_toml_is_a_catalog_error_naming_the_file(tmp_path):
    path = write(tmp_path, '[[service]]\nslug = "claude\n')
    message = error_of(path)
    assert str(path) in message
    assert "not valid TOML" in message


def test_a_file_that_is_not_utf8_is_a_catalog_error_naming_the_file(tmp_path):
    path = tmp_path / "services.toml"
    path.write_bytes(b'\xff\xfe[[service]]\nslug = "x"\n')
    message = error_of(path)
    assert str(path) in message
    assert "not valid TOML" in message


def test_a_missing_file_is_a_catalog_error_naming_the_file_and_the_setting(tmp_path):
    path = tmp_path / "nowhere.toml"
    message = error_of(path)
    assert str(path) in message
    assert "does not exist" in message
    assert "RADAR_SERVICES_FILE" in message


def test_a_directory_is_a_catalog_error_naming_it(tmp_path):
    message = error_of(tmp_path)
    assert str(tmp_path) in message
    assert "cannot be read" in message


@pytest.mark.parametrize("text", ["", 'title = "no services"\n', "service = []\n", 'service = "claude"\n'],
                         ids=["empty", "no-service-key", "empty-list", "a-string"])
def test_a_file_without_service_tables_is_a_catalog_error(tmp_path, text):
    path = write(tmp_path, text)
    message = error_of(path)
    assert str(path) in message
    assert "no [[service]] tables" in message


def test_a_service_entry_that_is_not_a_table_is_a_catalog_error(tmp_path):
    path = write(tmp_path, 'service = ["claude", "chatgpt"]\n')
    message = error_of(path)
    assert str(path) in message
    assert "service #1" in message


@pytest.mark.parametrize("slug", ['"Claude"', '"has space"', '"-leading-dash"', '"under_score"', '""',
                                  '"' + "x" * 41 + '"', "42"])
def test_a_bad_slug_is_a_catalog_error_naming_the_slug_and_the_file(tmp_path, slug):
    path = write(tmp_path, f'[[service]]\nslug = "ok"\n\n[[service]]\nslug = {slug}\n')
    message = error_of(path)
    assert str(path) in message
    assert "service #2" in message
    assert "lowercase letters, digits, dashes" in message


def test_a_service_without_a_slug_is_a_catalog_error(tmp_path):
    path = write(tmp_path, '[[service]]\nname = "Nameless"\n')
    assert "slug None" in error_of(path)


def test_aliases_that_are_not_a_list_of_strings_are_a_catalog_error(tmp_path):
    path = write(tmp_path, '[[service]]\nslug = "acme"\naliases = "acme-cloud"\n')
    message = error_of(path)
    assert str(path) in message
    assert "'acme'" in message and "aliases" in message


def test_a_duplicate_alias_is_a_catalog_error_naming_both_services_and_the_file(tmp_path):
    path = write(tmp_path, '[[service]]\nslug = "acme"\naliases = ["shared"]\n\n'
                           '[[service]]\nslug = "widgets"\naliases = ["Shared"]\n')
    message = error_of(path)
    assert str(path) in message
    assert "'shared'" in message
    assert "'acme'" in message and "'widgets'" in message


def test_an_alias_that_is_another_services_slug_is_a_catalog_error(tmp_path):
    path = write(tmp_path, '[[service]]\nslug = "github"\n\n[[service]]\nslug = "copilot"\naliases = ["github"]\n')
    message = error_of(path)
    assert "'github'" in message and "'copilot'" in message


def test_a_duplicate_slug_is_a_catalog_error(tmp_path):
    path = write(tmp_path, '[[service]]\nslug = "acme"\n\n[[service]]\nslug = "acme"\n')
    assert "'acme'" in error_of(path)


def test_a_catalog_built_in_code_also_refuses_a_name_used_twice():
    with pytest.raises(CatalogError, match="'b'"):
        Catalog((Service("a", "A", ("b",)), Service("b", "B")))


@pytest.mark.parametrize("name", ["status_page", "statuspage_api"])
def test_a_status_page_that_is_not_an_http_url_is_refused(tmp_path, name):
    path = tmp_path / "services.toml"
    path.write_text(f'[[service]]\nslug = "x"\nname = "X"\n{name} = "javascript:alert(1)"\n')
    with pytest.raises(CatalogError, match=f"{name} must be an http"):
        load_catalog(str(path))


def test_a_plain_http_statuspage_api_is_refused_naming_the_service_unless_http_is_allowed(redis_server, tmp_path):
    path = write(tmp_path, '[[service]]\nslug = "acme"\nname = "Acme"\nstatuspage_api = "http://status.acme.example"\n')
    assert "service 'acme'" in error_of(path) and "statuspage_api must be an https:// URL" in error_of(path)
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "RADAR_SERVICES_FILE": str(path),
                      "RADAR_STATUSPAGE_ALLOW_HTTP": "1"})
    assert app.extensions["radar"].catalog.get("acme").statuspage_api == "http://status.acme.example"


def test_the_shipped_catalog_polls_the_statuspage_api_of_the_pages_that_have_one(catalog):
    polled = {s.slug: s.statuspage_api for s in catalog if s.statuspage_api}
    assert polled == {"claude": "https://status.anthropic.com", "copilot": "https://www.githubstatus.com",
                      "github": "https://www.githubstatus.com", "discord": "https://discordstatus.com"}


def test_every_shipped_service_has_a_category(catalog):
    assert {s.slug: s.category for s in catalog} == {
        "claude": "AI assistants", "chatgpt": "AI assistants", "gemini": "AI assistants",
        "copilot": "Developer tools", "github": "Developer tools", "slack": "Communication",
        "discord": "Communication", "aws": "Cloud hosting"}


def test_a_category_is_optional_and_kept_without_surrounding_blanks(tmp_path):
    path = write(tmp_path, '[[service]]\nslug = "a"\ncategory = " Chat "\n\n[[service]]\nslug = "b"\n')
    assert [s.category for s in load_catalog(str(path))] == ["Chat", None]


@pytest.mark.parametrize("value", ['""', '"   "', "3", '["Chat"]', f'"{"x" * 41}"'])
def test_a_category_that_is_not_a_short_name_is_a_catalog_error_naming_the_service(tmp_path, value):
    message = error_of(write(tmp_path, f'[[service]]\nslug = "acme"\ncategory = {value}\n'))
    assert "'acme'" in message and "category must be a non-empty string of at most 40 characters" in message
