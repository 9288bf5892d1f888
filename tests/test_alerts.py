"""Alerts: signed JSON and Slack webhooks delivered by RQ jobs to a real HTTP receiver on 127.0.0.1."""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from aggregator.base.catalog import Service, load_catalog
from aggregator.base.settings import Settings
from aggregator.base.stores import queue_client
from bench.stack import free_port
from workers import keys, official, stats
from workers.alerts import json_payload, notify, redact, sign, slack_payload, verify, with_lead_times
from workers.statuspage import parse_incidents

from .helpers import at_minute, evaluate_after, report_outage, seed_history
from .statuspages import incident as official_incident
from .statuspages import incidents_doc, update

SECRET = "test-secret-of-some-length"
PUBLIC = "https://radar.example"
CLAUDE = Service(slug="claude", name="Claude")
INCIDENT = {
    "id": "inc-1", "service": "claude", "country": None, "status": "open", "state": "outage",
    "worst_state": "outage", "opened_at": "2024-05-01T12:03:00+00:00", "noticed_at": "2024-05-01T12:05:00+00:00",
    "resolved_at": None, "peak": {"count": 240, "expected": 3.1, "at": "2024-05-01T12:20:00+00:00"},
    "surfaces_at_peak": {"website": 62.0, "api": 30.0, "mobile": 8.0}, "symptoms_at_peak": {"login": 50.0},
    "top_regions": [{"country": "US", "count": 10, "percent": 40.0}],
    "changes": [{"at": "2024-05-01T12:03:00+00:00", "state": "degraded"}],
}


class Receiver:
    """An HTTP server that records every POST and answers with the next planned status (then 200)."""

    def __init__(self):
        self.requests: list = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.requests.append(SimpleNamespace(path=self.path, headers=headers, body=body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        # Port 0: the system picks a free port.
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver():
    rec = Receiver()
    thread = threading.Thread(target=rec.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()
    thread.join()


@pytest.fixture
def settings(redis_server, monkeypatch):
    """Settings for the notifying side; the worker side reads the secret from the environment."""
    monkeypatch.setenv("RADAR_WEBHOOK_SECRET", SECRET)

    def make(**overrides):
        values = dict(REDIS_URL=redis_server.url, RADAR_PUBLIC_URL=PUBLIC, RADAR_WEBHOOK_SECRET=SECRET)
        return Settings.from_env({}, **{**values, **overrides})
    return make


def work(connection, with_scheduler=False):
    """Run the alert queue in this process until it is empty."""
    SimpleWorker([keys.QUEUE], connection=connection).work(burst=True, with_scheduler=with_scheduler,
                                                           logging_level="WARNING")


def only_job(connection) -> Job:
    queue = Queue(keys.QUEUE, connection=connection)
    ids = set(queue.job_ids) | set(queue.scheduled_job_registry.get_job_ids()) | set(
        queue.finished_job_registry.get_job_ids()) | set(queue.failed_job_registry.get_job_ids())
    assert len(ids) == 1
    return Job.fetch(ids.pop(), connection=connection)


def test_a_json_webhook_arrives_signed_and_verify_accepts_it(receiver, settings):
    s = settings(RADAR_WEBHOOK_URLS=f"{receiver.url}/hook")
    conn = queue_client(s)
    assert notify(conn, s, CLAUDE, INCIDENT, "opened") == 1
    work(conn)

    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("OutageRadar/")
    timestamp, signature = request.headers["x-radar-timestamp"], request.headers["x-radar-signature"]
    assert signature.startswith("sha256=")
    assert verify(SECRET, timestamp, request.body, signature)
    assert not verify(SECRET, timestamp, request.body.replace(b"outage", b"ok"), signature)
    assert not verify("another-secret", timestamp, request.body, signature)
    assert not verify(SECRET, int(timestamp) + 1, request.body, signature)

    payload = json.loads(request.body)
    assert payload["event"] == "opened"
    assert payload["service"] == {"slug": "claude", "name": "Claude"}
    assert payload["state"] == "outage"
    assert payload["shares"] == {"website": 62.0, "api": 30.0, "mobile": 8.0}
    assert payload["peak"] == {"count": 240, "expected": 3.1, "at": "2024-05-01T12:20:00+00:00"}
    assert payload["incident"]["id"] == "inc-1"
    assert payload["incident"]["top_regions"] == INCIDENT["top_regions"]
    assert payload["link"] == f"{PUBLIC}/api/v1/incidents/inc-1"
    assert payload["page"] == f"{PUBLIC}/claude"


def test_verify_refuses_a_timestamp_older_than_max_age():
    body = b'{"event":"opened"}'
    signature = sign(SECRET, 1_000, body)
    assert verify(SECRET, 1_000, body, signature, max_age=300, now=1_200)
    assert not verify(SECRET, 1_000, body, signature, max_age=300, now=1_400)
    assert not verify(SECRET, "not-a-number", body, signature, max_age=300, now=1_200)


def test_the_slack_variant_has_text_and_blocks_with_the_share_and_escaped_names(receiver, settings):
    s = settings(RADAR_SLACK_WEBHOOK_URLS=f"{receiver.url}/services/T0/B0/xyz")
    conn = queue_client(s)
    service = Service(slug="att", name="AT&T <Mobile>")
    incident = {**INCIDENT, "country": "DE", "surfaces_at_peak": {"web<site>": 62.0, "api": 30.0}}
    assert notify(conn, s, service, incident, "opened") == 1
    work(conn)

    [request] = receiver.requests
    assert "x-radar-signature" not in request.headers
    payload = json.loads(request.body)
    assert payload["text"] == ("AT&amp;T &lt;Mobile&gt; in DE: outage (62 % web&lt;site&gt;) since 12:03 UTC"
                               f" — <{PUBLIC}/api/v1/incidents/inc-1|details>")
    assert [block["type"] for block in payload["blocks"]] == ["section", "section", "context"]
    fields = [field["text"] for field in payload["blocks"][1]["fields"]]
    assert "*Surfaces at peak*\n62 % web&lt;site&gt;, 30 % api" in fields
    assert "*Top regions*\nUS 40 %" in fields
    assert "<Mobile>" not in request.body.decode()


def test_a_resolved_slack_alert_says_how_long_it_lasted():
    incident = {**INCIDENT, "status": "resolved", "state": "degraded", "resolved_at": "2024-05-01T12:41:00Z"}
    text = slack_payload(CLAUDE, incident, "resolved", PUBLIC)["text"]
    assert text.startswith("Claude: resolved, was outage (62 % website), 12:03–12:41 UTC — ")


def test_a_receiver_that_fails_twice_gets_the_delivery_on_the_third_try(receiver, settings):
    s = settings(RADAR_WEBHOOK_URLS=f"{receiver.url}/hook")
    conn = queue_client(s)
    receiver.statuses = [500, 500]
    assert notify(conn, s, CLAUDE, INCIDENT, "opened") == 1
    registry = ScheduledJobRegistry(keys.QUEUE, connection=conn)

    for attempt in (1, 2):
        # Each attempt is honest RQ: a failure puts the job in the scheduled registry with its backoff
        # delay, and a burst worker's scheduler only moves jobs that are due, so make it due, then work.
        work(conn, with_scheduler=True)
        job = only_job(conn)
        assert len(receiver.requests) == attempt
        assert job.get_status() == "scheduled" and job.id in registry
        assert job.retries_left == 5 - attempt
        registry.schedule(job, datetime.now(timezone.utc))
    work(conn, with_scheduler=True)

    assert only_job(conn).get_status() == "finished"
    assert len(receiver.requests) == 3
    assert len({r.body for r in receiver.requests}) == 1
    assert len({r.headers["x-radar-delivery"] for r in receiver.requests}) == 1
    last = receiver.requests[-1]
    assert verify(SECRET, last.headers["x-radar-timestamp"], last.body, last.headers["x-radar-signature"])
    assert stats.read_hashes(conn, [stats.WEBHOOK_DELIVERIES]) == [{"json:failed": "2", "json:delivered": "1"}]


def test_a_receiver_that_refuses_the_request_is_not_retried_and_its_path_is_not_recorded(receiver, settings):
    s = settings(RADAR_SLACK_WEBHOOK_URLS=f"{receiver.url}/services/T0/B0/secret-token")
    conn = queue_client(s)
    receiver.statuses = [404]
    assert notify(conn, s, CLAUDE, INCIDENT, "opened") == 1
    work(conn, with_scheduler=True)

    job = only_job(conn)
    assert len(receiver.requests) == 1
    assert job.get_status() == "failed"
    assert job.id not in ScheduledJobRegistry(keys.QUEUE, connection=conn)
    failure = job.latest_result().exc_string
    assert "ReceiverRejected" in failure and "answered 404" in failure
    assert "secret-token" not in failure and "secret-token" not in job.description
    assert stats.read_hashes(conn, [stats.WEBHOOK_DELIVERIES]) == [{"slack:rejected": "1"}]


def test_notify_with_no_targets_enqueues_nothing(settings):
    s = settings()
    conn = queue_client(s)
    assert notify(conn, s, CLAUDE, INCIDENT, "opened") == 0
    assert Queue(keys.QUEUE, connection=conn).count == 0


def test_notify_returns_zero_without_raising_when_the_queue_redis_is_down(caplog):
    s = Settings.from_env({}, RADAR_WEBHOOK_URLS="http://127.0.0.1:9/hook", RADAR_WEBHOOK_SECRET=SECRET)
    down = queue_client(Settings.from_env({}, REDIS_URL=f"redis://127.0.0.1:{free_port()}"))
    with caplog.at_level(logging.ERROR, logger="workers.alerts"):
        assert notify(down, s, CLAUDE, INCIDENT, "opened") == 0
    assert "were not enqueued" in caplog.text


def test_the_webhooks_a_service_has_in_the_catalog_are_used(receiver, settings, tmp_path):
    catalog_file = tmp_path / "services.toml"
    catalog_file.write_text(f"""
[[service]]
slug = "claude"
name = "Claude"
webhooks = ["{receiver.url}/claude-json"]
slack_webhooks = ["{receiver.url}/claude-slack"]

[[service]]
slug = "github"
name = "GitHub"
""")
    catalog = load_catalog(str(catalog_file))
    s = settings(RADAR_WEBHOOK_URLS=f"{receiver.url}/global")
    conn = queue_client(s)
    assert notify(conn, s, catalog.get("claude"), INCIDENT, "state_changed") == 3
    assert notify(conn, s, catalog.get("github"), {**INCIDENT, "id": "inc-2"}, "opened") == 1
    work(conn)

    arrived = sorted((r.path, json.loads(r.body).get("event", "slack")) for r in receiver.requests)
    assert arrived == [("/claude-json", "state_changed"), ("/claude-slack", "slack"),
                       ("/global", "opened"), ("/global", "state_changed")]


def test_a_json_webhook_without_a_secret_is_skipped(receiver, settings, caplog):
    s = settings(RADAR_WEBHOOK_SECRET="", RADAR_SLACK_WEBHOOK_URLS=f"{receiver.url}/slack")
    service = Service(slug="claude", name="Claude", webhooks=(f"{receiver.url}/json",))
    conn = queue_client(s)
    with caplog.at_level(logging.ERROR, logger="workers.alerts"):
        assert notify(conn, s, service, INCIDENT, "opened") == 1
    assert "RADAR_WEBHOOK_SECRET is empty" in caplog.text
    work(conn)
    assert [r.path for r in receiver.requests] == ["/slack"]


def test_redact_keeps_only_scheme_and_host():
    assert redact("https://user:pw@hooks.slack.com:8443/services/T0/B0/xyz?token=1") == "https://hooks.slack.com:8443/…"


def test_a_json_alert_carries_the_lead_time_as_null_until_the_vendor_has_posted(receiver, settings, data):
    hooks = {"RADAR_WEBHOOK_URLS": f"{receiver.url}/hook", "RADAR_WEBHOOK_SECRET": SECRET}
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5, **hooks)
    report_outage(data, range(10, 30))
    evaluate_after(data, 35, **hooks)
    posted = official_incident("vendor1", [update("u1", "investigating", at_minute(50), display=at_minute(12))])
    official.store_incidents(data, "claude", parse_incidents(json.dumps(incidents_doc([posted]))), at_minute(51))
    evaluate_after(data, 250, **hooks)
    work(queue_client(settings()))

    sent = [json.loads(r.body) for r in receiver.requests]
    leads = {(p["event"], p["incident"]["country"]): p["lead_time_seconds"] for p in sent}
    [resolved] = [p for p in sent if p["event"] == "resolved" and p["incident"]["country"] is None]
    onset = datetime.fromisoformat(resolved["incident"]["opened_at"].replace("Z", "+00:00")).timestamp()
    assert leads[("opened", None)] is None, "the crowd's alert goes out before the vendor has said anything"
    assert leads[("resolved", None)] == at_minute(50) - onset, \
        "the first post's created_at, not its backdated display_at"
    assert resolved["incident"]["official"]["id"] == "vendor1"


SLACK_CLAUDE = Service(slug="claude", name="Claude", statuspage_api="https://status.example")
LINKED = {**INCIDENT, "lead_time_seconds": 1800,
          "official": {"id": "o1", "name": "Errors <here>", "status": "identified",
                       "posted_at": "2024-05-01T12:33:00Z"}}


@pytest.mark.parametrize("service, incident, line", [
    (SLACK_CLAUDE, LINKED, "*Status page*\nErrors &lt;here&gt; (identified), first post 12:33 UTC: "
                           "the crowd knew 30 min earlier"),
    (SLACK_CLAUDE, {**LINKED, "lead_time_seconds": -600}, "*Status page*\nErrors &lt;here&gt; (identified), "
                                                          "first post 12:33 UTC, 10 min before the crowd"),
    (SLACK_CLAUDE, {**INCIDENT, "lead_time_seconds": None, "official": None}, "*Status page*\nnothing posted yet"),
    (CLAUDE, LINKED, None),
])
def test_a_slack_alert_says_what_the_status_page_had_posted_when_the_service_has_one(service, incident, line):
    fields = [f["text"] for block in slack_payload(service, incident, "resolved", PUBLIC)["blocks"]
              for f in block.get("fields", [])]
    assert [f for f in fields if f.startswith("*Status page*")] == ([line] if line else [])


def test_alerts_go_out_without_lead_times_when_the_official_incidents_cannot_be_read(stopped_app):
    radar = stopped_app.extensions["radar"]
    stored = {**INCIDENT, "opened_at": "2024-05-01T12:03:00Z"}
    assert with_lead_times(radar.data, radar.settings, [stored], 1714566000) == [stored]
    assert json_payload(CLAUDE, INCIDENT, "opened", PUBLIC)["lead_time_seconds"] is None
