"""The command line: every command documented, and `run` + `simulate` end to end on an embedded Redis."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import click
import pytest

from aggregator.cli import main
from bench.stack import free_port


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
    assert not (tmp_path / "var" / "redis.sock").exists()
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert leftover == []
