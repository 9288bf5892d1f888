"""What the tests share besides fixtures: the clock, posting, a replayed outage, a web server, a scan of Redis."""
from __future__ import annotations

import contextlib
import http.server
import ipaddress
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import redis
from flask import render_template

from aggregator import create_app
from aggregator.base.catalog import load_catalog
from aggregator.base.settings import Settings
from aggregator.base.stores import queue_client
from aggregator.comments_view import comments_view
from aggregator.intake import ReportIn, submit
from bench.stack import free_port, parts
from workers import incidents, keys
from workers.buckets import Bucket
from workers.detect import State
from workers.drain import drain
from workers.evaluate import evaluate, never_evaluated

DATA = Path(__file__).parent / "data"
TEST_GEOIP = str(DATA / "GeoIP2-City-Test.mmdb")
# A fixed clock half a minute into the current hour: recent enough that bucket TTLs (set from real
# time) keep what the tests write, fixed so that every request in a test falls in the same buckets.
NOW = time.time() // 3600 * 3600 + 30
UNLIMITED = {"RADAR_REPORT_RATE_LIMIT": "", "RADAR_READ_RATE_LIMIT": "", "RADAR_REPORTS_PER_NETWORK": "1000000",
             "RADAR_PAGE_SNAPSHOT_SECONDS": "0"}
"""Settings for tests that send many reports, or read many times, from the few addresses the test GeoIP database
places, and read each page fresh (tests/test_snapshots.py covers the pages' reuse of a view)."""
TEST_SECRET = "a fixed secret for the tests, never for a real site"
SECRET = {"RADAR_SECRET": TEST_SECRET}
"""The setting every app the tests build is given: the web app refuses to start without a secret."""


def post(client, body=None, ip="81.2.69.142", ua="test-browser", headers=None, **kwargs):
    """POST a report as JSON from a given client address."""
    return client.post("/api/v1/reports", json=body, headers={"User-Agent": ua, **(headers or {})},
                       environ_base={"REMOTE_ADDR": ip}, **kwargs)


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RELAY_KEY = "relay-key-0123456789abcdef"


def form_post(client, fields, accept=BROWSER_ACCEPT, ua="firefox"):
    """Send the report form as a browser without JavaScript does."""
    return client.post("/api/v1/reports", data=fields, headers={"Accept": accept, "User-Agent": ua},
                       environ_base={"REMOTE_ADDR": "81.2.69.142"})


def relay_report(n, **extra):
    """The n-th report of a relay's batch, from one of 250 clients."""
    return {"service": "claude", "surface": "website", "client": f"198.18.0.{n % 250 + 1}",
            "user_agent": f"browser-{n}", **extra}


def send_batch(client, reports, key=RELAY_KEY, **kwargs):
    return client.post("/api/v1/reports/batch", json={"reports": reports},
                       headers={"Authorization": f"Bearer {key}"}, **kwargs)


def set_state(data, slug: str, state: str, **fields) -> None:
    """Store a service's status record as a detection run that found `state` writes it, with `fields` besides."""
    record = {**never_evaluated(slug), "state": state, "evaluated_at": "2026-11-26T04:00:00Z", **fields}
    data.set(keys.status(slug), json.dumps(record))


@contextlib.contextmanager
def store_full(data):
    """The data Redis at its maxmemory while the block runs, its own limit back afterwards."""
    limit = data.config_get("maxmemory")["maxmemory"]
    data.config_set("maxmemory", 1)
    try:
        yield
    finally:
        data.config_set("maxmemory", limit)


def api_error(response, status):
    """The error object of a JSON error answer with `status`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()["error"]


@contextlib.contextmanager
def web_server(redis_url: str | None, log_dir: Path, workers: int = 1, **env):
    """The production web server (gunicorn) in a subprocess on a free port; its output is shown if it fails.

    With `redis_url` None it attaches to the embedded Redis under RADAR_VAR_DIR, as `web` alone does."""
    port = free_port()
    log_path = log_dir / "web.log"
    env = dict(os.environ, GEOIP_DB=TEST_GEOIP, PORT=str(port), **{**SECRET, **UNLIMITED, **env})
    env.pop("REDIS_URL", None)
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "aggregator", "web", "--workers", str(workers)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the web server did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


class RunningRadar:
    """`python -m aggregator run` started by `radar_run`: the process, its address and its output so far."""

    def __init__(self, process: subprocess.Popen, base: str, log_path: Path):
        self.process, self.base, self.log_path = process, base, log_path

    def output(self) -> str:
        return self.log_path.read_text()

    def parts(self) -> dict[str, int]:
        """The pids of its parts by name (web, worker, scheduler), as /proc lists its children."""
        return parts(self.process.pid)

    def wait_for_output(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"run never printed {text!r}:\n{self.output()}")
            time.sleep(0.1)

    def stop(self, timeout: float = 60) -> int:
        """Stop it as Ctrl-C in its terminal does; its exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            pytest.fail(f"run did not stop within {timeout:.0f} s:\n{self.output()}")


@contextlib.contextmanager
def radar_run(log_dir: Path, **env):
    """`python -m aggregator run --no-demo-data` on a free port, with the test GeoIP database and no limits on
    reports, once it says where it serves (the embedded Redis under `log_dir`/var unless REDIS_URL is given)."""
    port = free_port()
    log_path = log_dir / "run.log"
    # Without the REDIS_URL that conftest.py points every process at, unless this run is given one.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REDIS")},
           "RADAR_VAR_DIR": str(log_dir / "var"), "GEOIP_DB": TEST_GEOIP, "RADAR_LOG_FORMAT": "json",
           **UNLIMITED, **env}
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "aggregator", "run", "--no-demo-data", "--port", str(port)],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    radar = RunningRadar(process, f"http://127.0.0.1:{port}", log_path)
    try:
        radar.wait_for_output(f"Outage Radar is running at {radar.base}/")
        yield radar
    finally:
        radar.stop()


# --- Markup where a name or a note belongs: it must show as text.

SCRIPT = "<script>alert('name')</script>"
IMAGE = "<img src=x onerror=alert('note')>"
HOSTILE_CATALOG = f"""
[[service]]
slug = "hostile"
name = "{SCRIPT} {IMAGE}"
"""


# --- An outage replayed through intake, drain and the evaluate job, on a clock run forward minute by minute.

# Thirty hours ago, on the hour: minute buckets get their expiry from real time and live 48 hours, so the
# scenario must stay within the last two days; history before T0 goes straight into the hourly buckets.
T0 = int((time.time() - 30 * 3600) // 3600 * 3600)
CATALOG = load_catalog(os.path.join("aggregator", "services.toml"))
CLAUDE = CATALOG.get("claude")
_reporters = itertools.count()


def iso(ts):
    """A timestamp as the API writes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def at_minute(minute, second=0):
    """The time `minute` minutes and `second` seconds after T0."""
    return T0 + minute * 60 + second


def seed_history(data, per_hour, slug="claude", weeks=5):
    """Hourly buckets for the weeks before T0, every hour alike: what the baseline is learned from."""
    with data.pipeline(transaction=False) as pipe:
        for hour in range(T0 // 3600 - weeks * 168, T0 // 3600):
            pipe.hset(keys.bucket(slug, keys.HOUR, hour), mapping=per_hour)
        pipe.execute()


def submit_reports(data, minute, count, surface="website", region="GB-ENG", slug="claude"):
    """`count` counted reports from distinct reporters, written to the intake stream during `minute`."""
    report = ReportIn(CATALOG.get(slug), surface)
    for n in range(count):
        submit(data, report, f"reporter-{next(_reporters)}", region,
               at_minute(minute, 1 + n * 50 / max(count, 1)), 900)


def evaluate_after(data, minute, services=(CLAUDE,), **settings):
    """One run of the detector just after `minute` has completed."""
    return evaluate(data, queue_client(Settings.from_env(**settings)), Settings.from_env(**settings),
                    list(services), at_minute(minute + 1, 15))


def report_outage(data, minutes, per_minute=40):
    """`per_minute` reports of claude in each of `minutes`, drained into the buckets."""
    for minute in minutes:
        submit_reports(data, minute, per_minute)
    drain(data, "claude")


def store_incident(data, slug, onset, country=None, state="outage", resolved=None):
    """An incident record as the evaluate job writes it."""
    incident = incidents.open_incident(slug, country, State(state), onset, onset + 120)
    incidents.observe(incident, Bucket(int(onset), total=40, surfaces={"website": 30, "api": 10}), 40, 2.0)
    if resolved is not None:
        incidents.resolve(incident, resolved)
    with data.pipeline(transaction=False) as pipe:
        incidents.save(pipe, incident, time.time())
        pipe.execute()
    return incident


# --- Every client address a request carries, and a scan of everything Redis holds for any form of one.

# Clients (IPv4, IPv6, private, behind a proxy) and the proxies.
CLIENTS = ["81.2.69.142", "2001:218::1", "216.160.83.56", "192.168.77.201", "89.160.20.112", "2a02:cf40::7"]
PROXIES = ["10.9.8.7", "10.9.8.6"]


def post_from_everyone(client):
    """A report from every one of CLIENTS, directly or through PROXIES; the answers."""
    reports = [
        ("81.2.69.142", None, "firefox", {"service": "claude", "surface": "website", "symptom": "login"}),
        ("81.2.69.142", None, "firefox", {"service": "claude", "surface": "website"}),  # a repeat: deduped
        ("2001:218::1", None, "safari", {"service": "claude", "surface": "api", "comment": "502s everywhere"}),
        ("192.168.77.201", None, "curl/8", {"service": "chatgpt", "surface": "mobile", "symptom": "slow"}),
        ("10.9.8.7", "216.160.83.56, 10.9.8.6", "edge", {"service": "claude", "surface": "desktop"}),
        ("10.9.8.7", "89.160.20.112", "chrome", {"service": "github", "surface": "website",
                                                 "comment": "cannot push"}),
        ("10.9.8.7", "2a02:cf40::7, 10.9.8.6", "chrome", {"service": "slack", "surface": "desktop"}),
    ]
    answers = []
    for remote, forwarded, ua, body in reports:
        headers = {"User-Agent": ua, **({"X-Forwarded-For": forwarded} if forwarded else {})}
        response = client.post("/api/v1/reports", json=body, headers=headers, environ_base={"REMOTE_ADDR": remote})
        assert response.status_code == 202, response.get_json()
        answers.append(response.get_json())
    return answers


def needles(address: str) -> list[bytes]:
    """The forms an address could be stored in: as written, fully written out, and packed."""
    ip = ipaddress.ip_address(address)
    forms = {address.encode(), str(ip).encode(), ip.exploded.encode(), ip.packed}
    if ip.version == 6:
        forms.add(ip.exploded.replace(":", "").encode())
    return sorted(forms)


def decompressed(value: bytes) -> list[bytes]:
    """The value zlib-decompressed, or nothing if it is not compressed."""
    try:
        return [zlib.decompress(value)]
    except zlib.error:
        return []


def everything_stored(server_url: str) -> tuple[list[bytes], dict[bytes, str]]:
    """Every key name, value, field name, member, score, stream id and group of every database."""
    blobs: list[bytes] = []
    types: dict[bytes, str] = {}
    with redis.Redis.from_url(server_url) as conn:
        databases = [int(name[2:]) for name in conn.info("keyspace")]
    for db in databases:
        with redis.Redis.from_url(server_url, db=db) as r:
            for key in r.scan_iter(count=1000):
                kind = r.type(key).decode()
                types[key] = kind
                blobs.append(key)
                if kind == "string":
                    blobs.append(r.get(key) or b"")
                elif kind == "hash":
                    for name, value in r.hgetall(key).items():
                        blobs += [name, value]
                        if key.startswith(b"rq:job:") and name == b"data":
                            blobs += decompressed(value)
                elif kind == "list":
                    blobs += r.lrange(key, 0, -1)
                elif kind == "set":
                    blobs += list(r.smembers(key))
                elif kind == "zset":
                    for member, score in r.zrange(key, 0, -1, withscores=True):
                        blobs += [member, repr(score).encode()]
                elif kind == "stream":
                    for entry_id, fields in r.xrange(key):
                        blobs.append(entry_id)
                        for name, value in fields.items():
                            blobs += [name, value]
                            blobs += decompressed(value)
                    for group in r.xinfo_groups(key):
                        blobs.append(group["name"])
                        blobs += [c["name"] for c in r.xinfo_consumers(key, group["name"])]
                else:
                    pytest.fail(f"key {key!r} has type {kind}, which this scan does not read")
    return blobs, types


def leaks(blobs: list[bytes], addresses: list[str]) -> list[tuple[str, bytes]]:
    """(address, stored value) for every stored value holding an address in any of its forms."""
    found = []
    for blob in blobs:
        text = blob.decode("utf-8", errors="ignore").lower().encode()
        for address in addresses:
            for needle in needles(address):
                if needle.lower() in text or needle in blob:
                    found.append((address, blob[:200]))
    return found


ADMIN_TOKEN = "a-long-random-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def admin_app(redis_server, **settings):
    """An app whose admin API takes AUTH."""
    app = create_app({**SECRET, "REDIS_URL": redis_server.url, "GEOIP_DB": TEST_GEOIP, "RADAR_ADMIN_TOKEN": ADMIN_TOKEN,
                      **settings})
    app.extensions["radar"].clock = lambda: NOW
    return app


class Shown(HTMLParser):
    """The texts, times and links of a rendered comments part."""

    def __init__(self, page: str):
        super().__init__()
        self.texts, self.times, self.links, self._in = [], [], [], None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "p" and attrs.get("class") == "comment-text":
            self._in = "text"
            self.texts.append("")
        elif tag == "time":
            self._in = "time"
            self.times.append([attrs["datetime"], ""])
        elif tag == "a":
            self.links.append(attrs["href"])

    def handle_data(self, data):
        if self._in == "text":
            self.texts[-1] += data
        elif self._in == "time":
            self.times[-1][1] += data

    def handle_endtag(self, tag):
        self._in = None


def rendered(app, before=None) -> str:
    """The comments part as the service page includes it."""
    with app.test_request_context("/claude"):
        return render_template("service_comments.html",
                               comments=comments_view(app.extensions["radar"], "claude", before))


@contextlib.contextmanager
def host_server(pages):
    """The embedding site: a plain HTTP server on its own port, so its origin differs from the radar's."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            found = pages.get(self.path.split("?")[0])
            if found is None:
                self.send_error(404)
                return
            body, headers = found
            self.send_response(200)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


DESKTOP = 1280
DEMO_SERVICES = ["claude", "slack", "github"]
"""The services `demo_server` seeds."""


def open_page(browser, server, path, width, height, **options):
    """`path` at `width` × `height` (and the browser context's other `options`) once it has drawn what its scripts
    draw: charts, map, widget."""
    # Not a mobile emulation: with one, Chromium widens the layout viewport to fit wide content, and the page
    # would never seem to scroll sideways however wide it was.
    # A touch screen on phones: the widget sizes its buttons for fingers where the pointer is coarse, since the
    # width of the iframe it may sit in says nothing about the device.
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=width != DESKTOP,
                                  **options)
    page = context.new_page()
    page.goto(server + path)
    if path.startswith("/dashboard/"):
        page.wait_for_function("() => ['spike', 'surfaces', 'symptoms'].every((id) =>"
                               " document.querySelector(`#${id} .main-svg`))"
                               " && document.querySelector('#regions .choropleth') !== null")
    elif path.startswith("/embed/"):
        page.wait_for_function("() => { const host = document.querySelector('[data-outage-radar]');"
                               " return host && host.shadowRoot.querySelector('button') !== null; }")
    return page
