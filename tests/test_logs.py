"""Structured logs: one JSON object per line, a request id on each line of a request, no client address."""
from __future__ import annotations

import io
import json
import logging
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from aggregator import logs

from .helpers import post, store_full, web_server

CLIENT = "81.2.69.142"


def test_a_request_gets_a_new_request_id_in_its_response_and_its_access_line(client, lines):
    response = post(client, {"service": "claude", "surface": "api"})
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    access, = [line for line in lines() if line["logger"] == "aggregator.access"]
    assert access["request_id"] == request_id
    assert (access["method"], access["path"], access["status"]) == ("POST", "/api/v1/reports", 202)
    assert access["level"] == "info" and access["duration_ms"] >= 0
    assert access["time"].endswith("+00:00")


def test_a_valid_incoming_request_id_is_kept_and_echoed(client, lines):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42:x_y"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42:x_y"
    assert lines()[-1]["request_id"] == "lb-7f3a.42:x_y"


@pytest.mark.parametrize("incoming", ["has space", "a" * 129, "tab\there", "", '"quoted"', "é"])
def test_an_unusable_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] != incoming
    assert len(response.headers["X-Request-ID"]) == 32


def test_every_line_logged_during_a_request_carries_its_request_id(app, client, lines):
    with store_full(app.extensions["radar"].data):
        # A form: it goes through the Flask view, whose error handler logs the failed write.
        response = client.post("/api/v1/reports", data={"service": "claude", "surface": "api"},
                               headers={"X-Request-ID": "req-1"})
    assert response.status_code == 503
    logged = lines()
    assert {line["logger"] for line in logged} >= {"aggregator.errors", "aggregator.access"}
    assert {line["request_id"] for line in logged} == {"req-1"}


def test_an_unexpected_error_is_logged_with_its_traceback_as_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info())
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed here" and parsed["level"] == "error"
    assert "ValueError: boom" in parsed["exception"]


def test_the_text_format_is_one_plain_line_with_the_request_id():
    record = logging.LogRecord("aggregator.access", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.request_id = "req-9"
    line = logs.TextFormatter().format(record)
    assert line.endswith("INFO aggregator.access: GET / 200 [req-9]")


def test_no_log_line_holds_the_client_address(client, lines):
    post(client, {"service": "claude", "surface": "api"}, ip=CLIENT)
    post(client, {"service": "claude", "surface": "tv"}, ip=CLIENT)
    assert lines() and CLIENT not in json.dumps(lines())


def test_the_web_server_writes_json_lines_with_request_ids_and_no_addresses(redis_server, tmp_path):
    with web_server(redis_server.url, tmp_path, TRUSTED_PROXIES="127.0.0.1/32") as base:
        request = urllib.request.Request(
            f"{base}/api/v1/reports", data=json.dumps({"service": "claude", "surface": "api"}).encode(),
            headers={"Content-Type": "application/json", "X-Request-ID": "from-proxy-1",
                     "X-Forwarded-For": CLIENT})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["X-Request-ID"] == "from-proxy-1"
    text = (tmp_path / "web.log").read_text()
    parsed = [json.loads(line) for line in text.splitlines()]
    assert {"time", "level", "logger", "message"} <= set(parsed[0])
    assert any(p["logger"] == "gunicorn.error" for p in parsed)
    access, = [p for p in parsed if p.get("request_id") == "from-proxy-1"]
    assert (access["path"], access["status"]) == ("/api/v1/reports", 202)
    assert CLIENT not in text and "127.0.0.1, " not in text


def test_the_text_format_can_be_chosen_for_local_work(redis_server, tmp_path):
    with web_server(redis_server.url, tmp_path, RADAR_LOG_FORMAT="text") as base:
        urllib.request.urlopen(f"{base}/healthz", timeout=10).close()
    text = (tmp_path / "web.log").read_text()
    assert "INFO aggregator.access: GET /healthz 200 [" in text
    assert not text.lstrip().startswith("{")


def test_a_malformed_request_is_logged_without_the_client_address(redis_server, tmp_path):
    with web_server(redis_server.url, tmp_path) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"NOT A REQUEST LINE\r\n\r\n")
            sock.recv(4096)
    refused = [line for line in (tmp_path / "web.log").read_text().splitlines() if "could not read" in line]
    assert refused and all("127.0.0.1" not in line for line in refused)


def test_scrubbing_removes_addresses_and_query_strings_but_not_times_or_versions():
    assert logs.scrub("Invalid request from ip=81.2.69.142: bad") == "Invalid request from ip=[address]: bad"
    assert logs.scrub("from ip=2001:db8::7: bad") == "from ip=[address]: bad"
    assert logs.scrub("Error handling request /api/v1/x?token=abc GET") == "Error handling request /api/v1/x?[query] GET"
    assert logs.scrub("at 04:02:24, version 1.2.3") == "at 04:02:24, version 1.2.3"
    assert logs.scrub("Listening at: http://127.0.0.1:8000") == "Listening at: http://127.0.0.1:8000"


def test_gunicorn_builds_no_access_line_of_its_own_beside_the_apps():
    from gunicorn.config import Config
    from gunicorn.glogging import Logger as GunicornLogger

    from aggregator.serving import config as serving

    cfg = Config()
    cfg.set("logconfig_dict", serving.logconfig_dict)
    assert GunicornLogger(cfg).access_log_enabled, "gunicorn alone would build one for every request"
    ours = serving.logger_class(cfg)
    assert not ours.access_log_enabled
    ours.access(None, None, {}, 0.0)  # gunicorn's would read the response and request it was given


# --- on a terminal, and the scheduler's routine lines ------------------------------------------------------

def _scheduler(redis_url: str, **env) -> tuple[list, dict]:
    return [sys.executable, "-m", "aggregator", "scheduler"], dict(os.environ, REDIS_URL=redis_url, **env)


def _read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    seen, deadline = b"", time.monotonic() + seconds
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the terminal's other end is closed: the process is gone
                break
    return seen


def test_on_a_terminal_the_default_format_is_plain_lines(redis_server):
    command, env = _scheduler(redis_server.url)
    env.pop("RADAR_LOG_FORMAT", None)
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    try:
        seen = _read_until(leader, b"starting", 60).decode()
        exited = process.poll()
    finally:
        process.terminate()
        process.wait(timeout=15)
        os.close(leader)
    assert re.search(r"\d\d:\d\d:\d\d,\d{3} INFO rq\.cron: CronScheduler \S+: starting", seen), (exited, seen)
    assert "{" not in seen, seen


def test_an_explicit_format_is_kept_on_a_terminal_and_auto_means_json_elsewhere():
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as terminal:
        assert logs.chosen_format("auto", terminal) == "text"
        assert logs.chosen_format("json", terminal) == "json"
    os.close(leader)
    assert logs.chosen_format("auto", io.StringIO()) == "json"
    assert logs.chosen_format("text", io.StringIO()) == "text"


def test_the_scheduler_enqueues_its_jobs_without_a_line_for_each(redis_server, tmp_path):
    from redis import Redis

    from workers import keys
    command, env = _scheduler(redis_server.url, RADAR_DRAIN_INTERVAL="1", RADAR_LOG_FORMAT="json")
    with open(tmp_path / "scheduler.log", "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    queue = Redis.from_url(redis_server.url)
    try:
        # No worker takes them, so they stay queued: the first second's three jobs, then a drain each second.
        deadline = time.monotonic() + 30
        while queue.llen(f"rq:queue:{keys.QUEUE}") < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert queue.llen(f"rq:queue:{keys.QUEUE}") >= 4
    messages = [json.loads(line)["message"] for line in (tmp_path / "scheduler.log").read_text().splitlines()]
    assert any("starting" in m for m in messages), messages
    assert not [m for m in messages if m.startswith("Enqueued job")]


def test_rq_crons_other_lines_warnings_and_asked_for_debug_lines_still_show():
    program = "\n".join([
        "import logging",
        "from aggregator import logs",
        "logs.configure('json')",
        "cron = logging.getLogger('rq.cron')",
        "cron.info('Enqueued job drain_all to queue radar')",
        "cron.info('CronScheduler s: starting...')",
        "cron.warning('Failed to restore cron jobs: gone')",
        "cron.setLevel(logging.DEBUG)",
        "cron.info('Enqueued job evaluate_all to queue radar')",
    ])
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True)
    shown = [(line["level"], line["message"]) for line in map(json.loads, done.stderr.splitlines())]
    assert shown == [("info", "CronScheduler s: starting..."),
                     ("warning", "Failed to restore cron jobs: gone"),
                     ("debug", "Enqueued job evaluate_all to queue radar")]
