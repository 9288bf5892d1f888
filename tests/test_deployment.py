"""The deployment files agree with the code: commands exist, variables are settings, packages are copied."""
import re
from pathlib import Path

import yaml

from aggregator.base.settings import SETTINGS
from aggregator.cli import main

ROOT = Path(__file__).resolve().parents[1]
SETTING_NAMES = {s.name for s in SETTINGS}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


THIRD_PARTY = {"redis", "geoipupdate"}
"""Services that run someone else's image: their commands and variables are theirs."""


def _app_services() -> dict:
    return {name: spec for name, spec in _compose()["services"].items() if name not in THIRD_PARTY}


def test_every_command_the_compose_file_runs_exists_in_the_cli():
    for name, spec in _app_services().items():
        command = spec["command"]
        assert command[:3] == ["python", "-m", "aggregator"], name
        assert command[3] in main.commands, f"{name} runs unknown command {command[3]}"


def test_the_compose_file_runs_a_web_app_workers_and_one_scheduler():
    commands = sorted(spec["command"][3] for spec in _app_services().values())
    assert commands == ["scheduler", "web", "worker"]
    assert _compose()["services"]["scheduler"]["deploy"]["replicas"] == 1


def test_every_variable_the_compose_file_sets_is_a_documented_setting():
    for name, spec in _app_services().items():
        unknown = set(spec.get("environment", {})) - SETTING_NAMES
        assert not unknown, f"{name} sets {unknown}, which are not settings"


def test_redis_keeps_an_append_only_file_synced_every_second():
    command = " ".join(_compose()["services"]["redis"]["command"])
    assert "--appendonly yes" in command and "--appendfsync everysec" in command


def test_the_env_example_lists_every_setting_and_nothing_else():
    listed = set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert listed == SETTING_NAMES


def test_the_dockerfile_copies_every_package_the_app_imports():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("aggregator", "workers", "dashboards"):
        assert f"COPY {package} {package}" in dockerfile


def test_the_geoip_profile_shares_its_database_with_the_web_app_read_only():
    services = _compose()["services"]
    assert services["geoipupdate"]["profiles"] == ["geoip"]
    assert "geoip-data:/usr/share/GeoIP" in services["geoipupdate"]["volumes"]
    assert "geoip-data:/geoip:ro" in services["web"]["volumes"]
    assert "healthcheck" in services["geoipupdate"]
