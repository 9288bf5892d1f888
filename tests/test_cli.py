"""The command line: every command documented, and `run` + `simulate` end to end on an embedded Redis."""
import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request

import click
import pytest
import redis

from aggregator.base.exceptions import SettingsError
from aggregator.base.settings import SETTINGS
from aggregator.cli import SettingOption, main
from aggregator.identity import Reporters, local_secret, read_local_secret
from aggregator.local_redis import start
from bench.stack import free_port
from workers import keys

from .helpers import SECRET, web_server


def test_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "aggregator", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for command in ("run", "web", "worker", "scheduler", "simulate"):
        assert f"  {command} " in out


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_has_an_env_var_or_overrides_a_setting_and_has_help(name):
    for param in main.commands[name].params:
        if isinstance(param, click.Option):
            assert param.envvar or isinstance(param, SettingOption), f"{name} {param.opts[0]} has no env var"
            assert param.help, f"{name} {param.opts[0]} has no help"


@pytest.mark.parametrize("command", ["run", "web"])
def test_address_options_fall_back_to_the_settings_and_share_their_help(command):
    options = {param.name: param for param in main.commands[command].params}
    for option, setting in [("host", "HOST"), ("port", "PORT")]:
        assert options[option].setting == setting and options[option].default is None
        assert next(s.help for s in SETTINGS if s.name == setting) in options[option].help.lower()


def test_a_bad_option_value_names_the_option_and_what_it_must_be():
    done = subprocess.run([sys.executable, "-m", "aggregator", "web", "--port", "70000"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2
    assert "'--port'" in done.stderr and "0-65535" in done.stderr


def test_a_bad_setting_in_the_environment_names_the_variable_before_anything_starts(tmp_path):
    env = dict(os.environ, RADAR_WEB_THREADS="many", RADAR_VAR_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "aggregator", "web"], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 2
    assert "RADAR_WEB_THREADS='many' is not valid: must be a positive whole number" in done.stderr
    assert "Traceback" not in done.stderr


def test_web_listens_where_the_settings_say_when_no_option_is_given(redis_server, tmp_path):
    port = free_port()
    env = dict(os.environ, REDIS_URL=redis_server.url, PORT=str(port), RADAR_WEB_WORKERS="1",
               RADAR_WEB_THREADS="2", **SECRET)
    with open(tmp_path / "web.log", "w") as log:
        web = subprocess.Popen([sys.executable, "-m", "aggregator", "web"], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
                break
            except OSError:
                if web.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"web did not serve on PORT:\n{(tmp_path / 'web.log').read_text()}")
                time.sleep(0.1)
    finally:
        web.terminate()
        web.wait(timeout=15)
    booted = [line for line in (tmp_path / "web.log").read_text().splitlines() if "Booting worker" in line]
    assert len(booted) == 1


def test_a_part_started_alone_without_redis_says_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS")}
    env["RADAR_VAR_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "aggregator", "worker"], env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2
    assert "REDIS_URL is not set" in done.stderr and "aggregator run" in done.stderr


def test_web_without_radar_secret_stops_with_one_line_naming_it_and_how_to_make_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RADAR_SECRET"}
    # A Redis that is never reached: the secret is checked before anything starts.
    env.update(REDIS_URL="redis://127.0.0.1:1/0", RADAR_VAR_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "aggregator", "web"], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("Error: RADAR_SECRET is not set")
    assert "python -c 'import secrets; print(secrets.token_hex(32))'" in done.stderr


def test_web_with_its_own_redis_does_not_take_the_secret_run_left_in_the_var_dir(tmp_path, redis_server):
    local_secret(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "RADAR_SECRET"}
    env.update(REDIS_URL=redis_server.url, RADAR_VAR_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "aggregator", "web"], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 1 and "RADAR_SECRET is not set" in done.stderr


def test_web_attached_to_the_embedded_redis_of_run_uses_runs_secret(tmp_path):
    directory = tmp_path / "var"
    server = start(directory, persist=False)
    try:
        secret = local_secret(directory)
        with web_server(None, tmp_path, RADAR_VAR_DIR=str(directory), RADAR_SECRET="") as base:
            request = urllib.request.Request(f"{base}/api/v1/reports", method="POST",
                                             data=json.dumps({"service": "claude", "surface": "api"}).encode(),
                                             headers={"Content-Type": "application/json", "User-Agent": "ua"})
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 202
        reporter = Reporters(secret).reporter("127.0.0.1", "ua", time.time())
        with redis.Redis.from_url(server.url) as data:
            assert data.exists(keys.seen("claude", reporter))
    finally:
        server.stop()


def test_the_secret_run_makes_is_readable_by_its_owner_only_and_reused(tmp_path):
    directory = tmp_path / "var"
    first = local_secret(directory)
    path = directory / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert len(first) == 64 and int(first, 16) >= 0
    assert local_secret(directory) == first
    assert read_local_secret(directory) == first
    assert [p.name for p in directory.iterdir()] == ["secret"]


def test_a_secret_file_that_holds_too_little_is_refused_not_replaced(tmp_path):
    (tmp_path / "secret").write_text("short\n")
    with pytest.raises(SettingsError) as info:
        local_secret(tmp_path)
    assert "RADAR_SECRET" in info.value.message
    assert (tmp_path / "secret").read_text() == "short\n"


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_run_serves_simulate_counts_exactly_and_ctrl_c_stops_everything(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS")}
    # Without demo data: the test counts exactly the reports it sends.
    env.update(RADAR_VAR_DIR=str(tmp_path / "var"), PORT=str(port), RADAR_DEMO_DATA="0")
    log = open(tmp_path / "run.log", "w+")
    run = subprocess.Popen([sys.executable, "-m", "aggregator", "run"], env=env, stdout=log, stderr=log,
                           start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    announced = f"Outage Radar is running at {base}/ — Ctrl-C stops it"
    try:
        deadline = time.monotonic() + 30
        while announced not in (tmp_path / "run.log").read_text():
            if run.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"run did not say where it serves:\n{(tmp_path / 'run.log').read_text()}")
            time.sleep(0.2)
        # Printed once everything is up: the parts' start-up lines are above it, and the page answers at once.
        before = (tmp_path / "run.log").read_text().split(announced)[0]
        assert "Booting worker" in before and "CronScheduler" in before and "not up after" not in before
        status, page = _get(f"{base}/claude")
        assert status == 200 and "Website" in page
        sim = subprocess.run([sys.executable, "-m", "aggregator", "simulate", "--url", base, "--count", "1000",
                              "--rate", "1000", "--service", "claude"], env=env, capture_output=True, text=True,
                             timeout=120)
        assert sim.returncode == 0, sim.stderr
        assert "1000 counted" in sim.stdout and "began rose by 1000: all 1000 counted reports it sent," in sim.stdout
        summary = json.loads(_get(f"{base}/api/v1/services/claude/summary?window=1h")[1])
        assert summary["total"] == 1000
        assert sum(summary["surfaces"]["counts"].values()) == 1000
        series = json.loads(_get(f"{base}/api/v1/services/claude/series?resolution=1m")[1])
        assert sum(b["total"] for b in series["buckets"]) == 1000
        countries = {r["country"] for r in summary["top_regions"]}
        assert {"US", "GB", "DE"} <= countries
    finally:
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        code = run.wait(timeout=60)
    assert code == 0
    log.seek(0)
    output = log.read()
    assert "Traceback" not in output, output
    # The scheduler enqueued its drains all along, without a line each time.
    assert "Enqueued job" not in output
    secret = read_local_secret(tmp_path / "var")
    assert len(secret) == 64 and secret not in output
    assert not (tmp_path / "var" / "redis.sock").exists()
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert leftover == []
