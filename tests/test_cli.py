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
from aggregator.cli import main
from aggregator.identity import Reporters, local_secret, read_local_secret
from aggregator.local_redis import start
from bench.stack import free_port
from workers import keys

from .helpers import web_server


def test_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "aggregator", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for command in ("run", "web", "worker", "scheduler", "simulate"):
        assert f"  {command} " in out


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_has_an_env_var_and_help(name):
    for param in main.commands[name].params:
        if isinstance(param, click.Option):
            assert param.envvar, f"{name} {param.opts[0]} has no env var"
            assert param.help, f"{name} {param.opts[0]} has no help"


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
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, page = _get(f"{base}/claude")
                break
            except OSError:
                if run.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"run did not serve:\n{log.read()}")
                time.sleep(0.2)
        assert status == 200 and "Website" in page
        sim = subprocess.run([sys.executable, "-m", "aggregator", "simulate", "--url", base, "--count", "1000",
                              "--rate", "1000", "--service", "claude"], env=env, capture_output=True, text=True,
                             timeout=120)
        assert sim.returncode == 0, sim.stderr
        assert "1000 counted" in sim.stdout and "summary shows all 1000" in sim.stdout
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
    secret = read_local_secret(tmp_path / "var")
    assert len(secret) == 64 and secret not in output
    assert not (tmp_path / "var" / "redis.sock").exists()
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert leftover == []
