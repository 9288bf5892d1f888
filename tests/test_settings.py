"""Settings: parsed once from the environment, strictly, with errors that name the variable."""
from __future__ import annotations

import dataclasses
import ipaddress
import re
from pathlib import Path

import pytest

from aggregator.base.exceptions import SettingsError
from aggregator.base.settings import SETTINGS, Settings, _default_geoip_db

README = Path(__file__).resolve().parent.parent / "README.md"


def error_of(environ=None, **overrides) -> SettingsError:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(environ={} if environ is None else environ, **overrides)
    assert info.value.code == "bad_setting"
    return info.value


def test_the_defaults_parse_to_the_documented_values():
    settings = Settings.from_env(environ={})
    assert settings.REDIS_URL == ""
    assert settings.REDIS_DATA_URL == ""
    assert (settings.HOST, settings.PORT) == ("127.0.0.1", 8000)
    assert settings.RADAR_WEB_WORKERS == 2
    assert settings.RADAR_VAR_DIR == "var"
    assert Path(settings.RADAR_SERVICES_FILE).name == "services.toml"
    assert Path(settings.RADAR_SERVICES_FILE).is_file()
    assert settings.RADAR_SECRET == ""
    assert settings.RADAR_DEDUPE_MINUTES == 15
    assert settings.GEOIP_DB == _default_geoip_db()
    assert settings.RADAR_COUNTRY_HEADER == ""
    assert settings.TRUSTED_PROXIES == ()
    assert settings.RADAR_DRAIN_BATCH == 1000
    assert settings.RADAR_DRAIN_INTERVAL == 5
    assert settings.RADAR_CLAIM_IDLE_SECONDS == 30
    assert settings.RADAR_COMMENTS_KEPT == 10000
    assert settings.RADAR_REPORT_RATE_LIMIT == "60/minute"
    assert settings.RADAR_READ_RATE_LIMIT == "120/minute"
    assert settings.RADAR_LOG_FORMAT == "auto"
    assert settings.PROMETHEUS_MULTIPROC_DIR == ""
    assert (settings.RADAR_STATUSPAGE_ALLOW_HTTP, settings.RADAR_STATUSPAGE_ALLOW_PRIVATE) == (False, False)


def test_every_setting_has_a_field_and_every_field_a_setting():
    assert [s.name for s in SETTINGS] == [f.name for f in dataclasses.fields(Settings)]


def test_every_default_is_accepted_by_its_own_parser():
    for setting in SETTINGS:
        setting.parse(setting.default)
        assert setting.help


def test_the_default_geoip_db_is_a_file_when_there_is_one():
    default = _default_geoip_db()
    assert default == "" or Path(default).is_file()


def test_settings_are_read_from_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("RADAR_DEDUPE_MINUTES", "7")
    settings = Settings.from_env()
    assert (settings.PORT, settings.RADAR_DEDUPE_MINUTES) == (9123, 7)


def test_an_explicit_environ_replaces_the_process_environment(monkeypatch):
    monkeypatch.setenv("PORT", "9123")
    assert Settings.from_env(environ={}).PORT == 8000
    assert Settings.from_env(environ={"PORT": "8111"}).PORT == 8111


@pytest.mark.parametrize("name, value", [
    ("RADAR_DEDUPE_MINUTES", "abc"),
    ("RADAR_DEDUPE_MINUTES", "0"),
    ("RADAR_DEDUPE_MINUTES", "-5"),
    ("RADAR_DEDUPE_MINUTES", "1.5"),
    ("PORT", "70000"),
    ("PORT", "-1"),
    ("PORT", "http"),
    ("PORT", ""),
    ("REDIS_URL", "http://x"),
    ("REDIS_URL", "localhost:6379"),
    ("REDIS_DATA_URL", "postgres://db"),
    ("TRUSTED_PROXIES", "not-a-net"),
    ("TRUSTED_PROXIES", "10.0.0.0/8, 300.1.1.1"),
    ("RADAR_WEB_WORKERS", "0"),
    ("RADAR_DRAIN_BATCH", "many"),
    ("RADAR_DRAIN_INTERVAL", "0"),
    ("RADAR_CLAIM_IDLE_SECONDS", "-30"),
    ("RADAR_COMMENTS_KEPT", "ten"),
    ("RADAR_REPORT_RATE_LIMIT", "fast"),
    ("RADAR_READ_RATE_LIMIT", "0/minute"),
    ("RADAR_LOG_FORMAT", "xml"),
    ("RADAR_STATUSPAGE_ALLOW_HTTP", "maybe"),
    ("RADAR_STATUSPAGE_ALLOW_PRIVATE", "2"),
])
def test_a_bad_value_in_the_environment_is_a_settings_error_naming_the_variable(name, value):
    error = error_of({name: value})
    assert error.message.startswith(f"{name}=")
    assert repr(value) in error.message


def test_a_short_secret_is_refused_with_how_to_make_one_and_without_repeating_it():
    message = error_of({"RADAR_SECRET": "tooshort-but-still-secret"}).message
    assert message.startswith("RADAR_SECRET is not valid: must be at least 32 characters")
    assert "secrets.token_hex(32)" in message
    assert "tooshort" not in message


def test_a_secret_of_32_characters_or_more_is_read_stripped():
    assert Settings.from_env(environ={"RADAR_SECRET": " " + "s" * 32 + "\n"}).RADAR_SECRET == "s" * 32


@pytest.mark.parametrize("name, value", [("PORT", "70000"), ("REDIS_URL", "http://x"),
                                         ("TRUSTED_PROXIES", "not-a-net")])
def test_a_bad_override_is_refused_like_a_bad_environment_value(name, value):
    assert name in error_of(**{name: value}).message


def test_the_settings_error_says_what_a_valid_value_looks_like():
    assert "0-65535" in error_of({"PORT": "70000"}).message
    assert "redis://" in error_of({"REDIS_URL": "http://x"}).message
    assert "positive" in error_of({"RADAR_DEDUPE_MINUTES": "0"}).message


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "rediss://cache.example:6380", "unix:///run/redis/redis.sock"])
def test_redis_urls_of_every_supported_scheme_are_accepted(url):
    assert Settings.from_env(environ={"REDIS_URL": url}).REDIS_URL == url


def test_port_bounds_are_inclusive():
    assert Settings.from_env(environ={"PORT": "0"}).PORT == 0
    assert Settings.from_env(environ={"PORT": "65535"}).PORT == 65535


def test_redis_data_url_defaults_to_redis_url():
    settings = Settings.from_env(environ={"REDIS_URL": "redis://queue:6379/0"})
    assert settings.REDIS_DATA_URL == "redis://queue:6379/0"


def test_redis_data_url_may_name_another_server():
    settings = Settings.from_env(environ={"REDIS_URL": "redis://queue:6379/0", "REDIS_DATA_URL": "redis://data:6379/1"})
    assert (settings.REDIS_URL, settings.REDIS_DATA_URL) == ("redis://queue:6379/0", "redis://data:6379/1")


def test_redis_data_url_follows_an_overridden_redis_url():
    settings = Settings.from_env(environ={"REDIS_URL": "redis://env:6379"}, REDIS_URL="unix:///run/redis/test.sock")
    assert settings.REDIS_DATA_URL == "unix:///run/redis/test.sock"


def test_overrides_win_over_the_environment_and_are_parsed():
    settings = Settings.from_env(environ={"PORT": "8111", "RADAR_DEDUPE_MINUTES": "20"},
                                 PORT="9000", RADAR_DEDUPE_MINUTES="5")
    assert (settings.PORT, settings.RADAR_DEDUPE_MINUTES) == (9000, 5)


def test_an_override_wins_over_a_bad_environment_value():
    assert Settings.from_env(environ={"PORT": "not-a-port"}, PORT="8001").PORT == 8001


def test_unknown_override_names_are_rejected_by_name():
    error = error_of(PORTT="8000", RADAR_DEDUP_MINUTES="5")
    assert "unknown setting" in error.message
    assert "PORTT" in error.message and "RADAR_DEDUP_MINUTES" in error.message


def test_unknown_names_in_the_environment_are_ignored():
    assert Settings.from_env(environ={"PATH": "/usr/bin", "RADAR_SOMETHING": "x"}).PORT == 8000


def test_trusted_proxies_parse_to_networks():
    settings = Settings.from_env(environ={"TRUSTED_PROXIES": " 10.0.0.0/8 , 192.0.2.7,, fd00::/8, 10.1.2.3/16"})
    assert settings.TRUSTED_PROXIES == (
        ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("fd00::/8"), ipaddress.ip_network("10.1.0.0/16"))


@pytest.mark.parametrize("raw, value", [("1", True), ("true", True), (" Yes ", True), ("on", True),
                                        ("0", False), ("false", False), ("no", False), ("", False)])
def test_a_yes_or_no_setting_reads_the_usual_spellings(raw, value):
    assert Settings.from_env(environ={"RADAR_STATUSPAGE_ALLOW_PRIVATE": raw}).RADAR_STATUSPAGE_ALLOW_PRIVATE is value


def test_text_settings_are_stripped():
    settings = Settings.from_env(environ={"RADAR_COUNTRY_HEADER": "  CF-IPCountry ", "HOST": " 0.0.0.0 "})
    assert (settings.RADAR_COUNTRY_HEADER, settings.HOST) == ("CF-IPCountry", "0.0.0.0")


def test_settings_cannot_be_changed_after_parsing():
    settings = Settings.from_env(environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.PORT = 1


# --- the README documents every setting -----------------------------------------------------------

def test_every_setting_is_in_the_readme_configuration_table():
    assert README.is_file(), "README.md is missing at the project root; its configuration table lists every setting"
    rows = [line for line in README.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("|")]
    missing = [s.name for s in SETTINGS
               if not any(re.search(rf"`{re.escape(s.name)}`", row) for row in rows)]
    assert missing == [], f"settings missing from README.md's configuration table: {', '.join(missing)}"


def test_the_redis_memory_limit_takes_redis_units_and_refuses_anything_else():
    def limit(raw):
        return Settings.from_env(environ={}, RADAR_REDIS_MAXMEMORY=raw).RADAR_REDIS_MAXMEMORY
    assert [limit(raw) for raw in ("1gb", "512MB", "4g", "100kb", "12345", "0")] == [
        2**30, 512 * 2**20, 4 * 10**9, 102400, 12345, 0]
    for raw in ("", "1.5gb", "-1", "1 gb", "1tb", "gb"):
        with pytest.raises(SettingsError, match="RADAR_REDIS_MAXMEMORY"):
            limit(raw)
