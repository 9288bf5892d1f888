"""GET /metrics: report counters, intake, drain, queue, incident and webhook figures, right under many workers."""
from __future__ import annotations

import gc
import json
import os
import signal
import tempfile
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from aggregator.base.catalog import Service
from aggregator.serving import config as serving
from aggregator.store_metrics import open_incidents
from workers import keys, stats
from workers.poller import poll_pages

from .helpers import NOW, post, web_server
from .statuspages import LOCAL, StatusPage


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label pairs): value} of a scrape."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(client) -> dict[tuple, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return samples(response.get_data(as_text=True))


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_accepted_reports_are_counted_by_service_and_outcome(client):
    before = scrape(client)
    post(client, {"service": "claude", "surface": "website"}, ua="a")
    post(client, {"service": "claude", "surface": "website"}, ua="a")
    post(client, {"service": "gemini", "surface": "api"}, ua="a")
    after = scrape(client)
    delta = {outcome: value(after, "radar_reports_total", service="claude", outcome=outcome)
             - value(before, "radar_reports_total", service="claude", outcome=outcome)
             for outcome in ("counted", "deduped")}
    assert delta == {"counted": 1, "deduped": 1}
    assert value(after, "radar_reports_total", service="gemini", outcome="counted") - value(
        before, "radar_reports_total", service="gemini", outcome="counted") == 1


def test_rejected_reports_are_counted_by_error_code(client):
    before = scrape(client)
    post(client, {"service": "claude", "surface": "tv"})
    post(client, {"service": "nope", "surface": "api"})
    client.post("/api/v1/reports", data="{", content_type="application/json")
    client.post("/api/v1/reports", data={"service": "claude", "surface": "tv"},
                headers={"Accept": "text/html"})
    client.get("/api/v1/services/nope/summary")  # an unknown_service too, but not a report
    after = scrape(client)
    codes = {code: value(after, "radar_reports_rejected_total", code=code)
             - value(before, "radar_reports_rejected_total", code=code)
             for code in ("invalid", "unknown_service", "malformed_body")}
    assert codes == {"invalid": 2, "unknown_service": 1, "malformed_body": 1}


def test_a_report_refused_because_redis_is_down_is_counted_as_data_unavailable(stopped_app):
    client = stopped_app.test_client()
    before = value(scrape(client), "radar_reports_rejected_total", code="data_unavailable")
    assert client.post("/api/v1/reports", json={"service": "claude", "surface": "api"}).status_code == 503
    assert value(scrape(client), "radar_reports_rejected_total", code="data_unavailable") == before + 1


def test_metrics_answer_with_store_down_when_redis_is_gone(stopped_app):
    found = scrape(stopped_app.test_client())
    assert value(found, "radar_store_up") == 0
    assert not any(name == "radar_intake_stream_length" for name, _ in found)


def test_intake_length_and_lag_show_reports_waiting_until_drained(client, run_jobs):
    for n in range(3):
        post(client, {"service": "claude", "surface": "api"}, ua=f"r{n}")
    waiting = scrape(client)
    assert value(waiting, "radar_store_up") == 1
    assert value(waiting, "radar_intake_stream_length", service="claude") == 3
    assert value(waiting, "radar_intake_stream_length", service="gemini") == 0
    assert value(waiting, "radar_queue_jobs", queue=keys.QUEUE) == 1
    run_jobs()
    drained = scrape(client)
    assert value(drained, "radar_intake_stream_length", service="claude") == 0
    assert value(drained, "radar_intake_lag_seconds", service="claude") == 0
    assert value(drained, "radar_queue_jobs", queue=keys.QUEUE) == 0


def test_intake_lag_is_the_age_of_the_oldest_waiting_report(app, client, data):
    post(client, {"service": "claude", "surface": "api"})
    # Stream ids carry Redis's own time, so the scrape is 42 s later than that.
    app.extensions["radar"].clock = lambda: time.time() + 42
    assert 42 <= value(scrape(client), "radar_intake_lag_seconds", service="claude") < 52


def test_drain_batches_are_recorded_in_redis_and_shown_as_histograms(client, run_jobs, app):
    for n in range(12):
        post(client, {"service": "claude", "surface": "api"}, ua=f"r{n}")
    run_jobs()
    found = scrape(client)
    assert value(found, "radar_drain_batch_size_count") == 1
    assert value(found, "radar_drain_batch_size_sum") == 12
    assert value(found, "radar_drain_batch_size_bucket", le="10") == 0
    assert value(found, "radar_drain_batch_size_bucket", le="50") == 1
    assert value(found, "radar_drain_batch_size_bucket", le="+Inf") == 1
    assert value(found, "radar_drain_batch_seconds_count") == 1
    assert value(found, "radar_drain_batch_seconds_sum") > 0


def test_histogram_buckets_are_cumulative_and_end_with_inf():
    histogram = stats.Histogram("h", (1, 10))
    assert [histogram.field(v) for v in (0, 1, 2, 10, 11)] == ["le:1", "le:1", "le:10", "le:10", "le:+Inf"]
    buckets, total = histogram.read({"le:1": "2", "le:+Inf": "3", "sum": "40.5", "count": "5"})
    assert buckets == [("1", 2), ("10", 2), ("+Inf", 5)]
    assert total == 40.5


def test_failed_jobs_are_shown(client, app):
    queue = Queue(keys.QUEUE, connection=app.extensions["radar"].queue)
    job = queue.enqueue("workers.jobs.drain_service", "claude")
    queue.failed_job_registry.add(job, ttl=60, exc_string="boom")
    assert value(scrape(client), "radar_queue_failed_jobs", queue=keys.QUEUE) == 1


def test_open_incidents_are_counted_by_state_for_services_and_countries():
    statuses = [
        {"service": "claude", "state": "outage", "incident_id": "claude.20261126T1200Z",
         "countries": [{"country": "DE", "state": "degraded", "incident_id": "claude.DE.20261126T1200Z"}]},
        {"service": "gemini", "state": "ok", "incident_id": None,
         "countries": [{"country": "US", "state": "outage", "incident_id": "gemini.US.20261126T1201Z"}]},
        {"service": "aws", "state": "ok", "incident_id": None, "countries": []},
    ]
    assert open_incidents(statuses) == {"outage": 2, "degraded": 1}


def test_open_incidents_are_read_from_the_status_records(client, data):
    data.set(keys.status("claude"), json.dumps({"service": "claude", "state": "degraded",
                                                "incident_id": "claude.20261126T1200Z", "countries": []}))
    found = scrape(client)
    assert value(found, "radar_incidents_open", state="degraded") == 1
    assert value(found, "radar_incidents_open", state="outage") == 0


def test_status_page_polls_are_shown_by_page_and_outcome_each_failing_page_on_its_own(client, data):
    with StatusPage() as good, StatusPage() as garbled, StatusPage() as slow:
        good.publish([])
        garbled.documents = {"/api/v2/incidents.json": b"<html>502</html>", "/api/v2/summary.json": b"{}"}
        slow.publish([])
        slow.delay = 2
        services = [Service("claude", "Claude", statuspage_api=good.url),
                    Service("github", "GitHub", statuspage_api=garbled.url),
                    Service("discord", "Discord", statuspage_api=slow.url),
                    Service("slack", "Slack", statuspage_api="http://127.0.0.1:9")]
        first = poll_pages(data, services, 120, 1, NOW, LOCAL)
        again = poll_pages(data, services, 120, 1, NOW + 120, LOCAL)
    assert first == {"claude": "ok", "github": "garbage", "discord": "timeout", "slack": "error"}
    assert again == {**first, "claude": "not_modified"}
    found = scrape(client)
    polls = {(labels["page"], labels["outcome"]): n for (name, pairs), n in found.items()
             if name == "radar_statuspage_polls_total" for labels in [dict(pairs)]}
    assert {k: n for k, n in polls.items() if n} == {
        (good.url, "ok"): 1, (good.url, "not_modified"): 1, (garbled.url, "garbage"): 2, (slow.url, "timeout"): 2,
        ("http://127.0.0.1:9", "error"): 2}
    assert {outcome for (page, outcome) in polls if page == "https://status.anthropic.com"} == {
        "ok", "not_modified", "timeout", "error", "garbage"}, "a page of the catalog not polled yet shows zeros"


def test_webhook_deliveries_are_shown_by_kind_and_outcome(client, app):
    queue = app.extensions["radar"].queue
    stats.record_delivery(queue, "slack", "delivered")
    stats.record_delivery(queue, "json", "failed")
    stats.record_delivery(queue, "json", "failed")
    found = scrape(client)
    assert value(found, "radar_webhook_deliveries_total", kind="slack", outcome="delivered") == 1
    assert value(found, "radar_webhook_deliveries_total", kind="json", outcome="failed") == 2


# --- under gunicorn, several workers ------------------------------------------------------------------


def _post_over_http(base: str, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        request = urllib.request.Request(
            f"{base}/api/v1/reports", data=json.dumps({"service": "claude", "surface": "api"}).encode(),
            headers={"Content-Type": "application/json", "User-Agent": f"reporter-{i}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202


def _scrape_http(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        return samples(response.read().decode())


def _wait_for_workers(base: str, count: int) -> dict:
    """Scrape until every worker has started (each counts itself in radar_web_workers)."""
    deadline = time.monotonic() + 30
    while True:
        found = _scrape_http(base)
        if value(found, "radar_web_workers") == count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _pids(directory: Path, kind: str) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in directory.glob(f"{kind}_*.db")}


def test_counts_add_up_across_gunicorn_workers_and_a_killed_one(redis_server, tmp_path):
    metrics_dir = tmp_path / "prometheus"
    with web_server(redis_server.url, tmp_path, workers=3, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as base:
        assert value(_wait_for_workers(base, 3), "radar_web_workers") == 3
        _post_over_http(base, 20)
        served_first = _pids(metrics_dir, "counter")
        # Kill whichever workers counted those reports: the next ones must be counted by others, and the
        # dead workers' counts must stay in the sum.
        for pid in served_first:
            os.kill(pid, signal.SIGKILL)
        _post_over_http(base, 15, first=20)
        found = _wait_for_workers(base, 3)
        assert len(_pids(metrics_dir, "counter")) > len(served_first)
        assert value(found, "radar_web_workers") == 3
        assert value(found, "radar_reports_total", service="claude", outcome="counted") == 35
        scrapes = [_scrape_http(base) for _ in range(6)]
        assert {value(s, "radar_reports_total", service="claude", outcome="counted") for s in scrapes} == {35}
        assert {value(s, "radar_intake_stream_length", service="claude") for s in scrapes} == {35}


def test_a_restarted_web_server_starts_its_counts_from_zero(redis_server, tmp_path):
    metrics_dir = tmp_path / "prometheus"
    with web_server(redis_server.url, tmp_path, workers=2, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as base:
        _wait_for_workers(base, 2)
        _post_over_http(base, 5)
    assert list(metrics_dir.glob("*.db"))
    with web_server(redis_server.url, tmp_path, workers=2, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as base:
        found = _wait_for_workers(base, 2)
        assert value(found, "radar_web_workers") == 2
        assert value(found, "radar_reports_total", service="claude", outcome="counted") == 0
        _post_over_http(base, 3, first=5)
        assert value(_scrape_http(base), "radar_reports_total", service="claude", outcome="counted") == 3


def test_a_web_server_without_a_configured_directory_removes_the_one_it_made(redis_server, tmp_path):
    def made() -> set[Path]:
        return set(Path(tempfile.gettempdir()).glob(f"{serving.TEMP_PREFIX}*"))
    before = made()
    with web_server(redis_server.url, tmp_path, workers=2) as base:
        _wait_for_workers(base, 2)
        assert len(made() - before) == 1
    assert made() - before == set()


def test_a_web_worker_takes_its_loaded_app_out_of_the_garbage_collectors_walks():
    try:
        serving.post_worker_init(None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_data_redis_memory_and_its_limit_are_gauges(client, data):
    found = scrape(client)
    assert value(found, "radar_redis_maxmemory_bytes", node="data") == int(data.config_get("maxmemory")["maxmemory"])
    assert value(found, "radar_redis_maxmemory_bytes", node="data") > 0
    assert 0 < value(found, "radar_redis_used_memory_bytes", node="data") < 2**30
