"""Polling status pages served by a real HTTP server: stored, conditional, backing off, one poll per page at a time."""
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from rq import Queue

from aggregator.base.catalog import Service
from aggregator.base.settings import Settings
from aggregator.base.stores import queue_client
from workers import keys, official
from workers.poller import poll_page, poll_pages, poll_state, retry_at

from .helpers import post
from .statuspages import LOCAL, StatusPage, incident, update

T = time.time() // 60 * 60 - 3 * 3600
INTERVAL = 120


@pytest.fixture
def page():
    with StatusPage() as server:
        yield server


@pytest.fixture
def local_pages_on_workers(monkeypatch):
    """Jobs read their settings from the environment: let them poll the plain-http pages on 127.0.0.1."""
    monkeypatch.setenv("RADAR_STATUSPAGE_ALLOW_HTTP", "1")
    monkeypatch.setenv("RADAR_STATUSPAGE_ALLOW_PRIVATE", "1")


def _poll(data, page, now=T, slug="claude"):
    return poll_page(data, [slug], page.url, INTERVAL, 2, now, LOCAL)


def test_a_poll_stores_the_pages_incidents_and_component_statuses(data, page):
    page.publish([incident("inc1", [update("u2", "identified", T + 600), update("u1", "investigating", T)])],
                 {"API": "major_outage", "Website": "operational"})
    assert _poll(data, page) == "ok"
    [stored] = official.between(data, "claude", T - 60, T + 60)
    assert stored["id"] == "inc1" and stored["status"] == "identified"
    assert [u["status"] for u in stored["updates"]] == ["investigating", "identified"]
    assert official.components(data, ["claude"]) == [ [{"id": "c0", "name": "API", "status": "major_outage"},
                                                     {"id": "c1", "name": "Website", "status": "operational"}]]
    assert poll_state(data, "claude")["error"] is None


def test_an_unchanged_page_is_asked_conditionally_and_answers_not_modified(data, page):
    page.publish([incident("inc1", [update("u1", "investigating", T)])])
    _poll(data, page)
    page.requests.clear()
    assert _poll(data, page, T + INTERVAL) == "not_modified"
    assert [path for path, etag in page.requests if etag] == ["/api/v2/incidents.json", "/api/v2/summary.json"]
    page.publish([incident("inc1", [update("u2", "resolved", T + 200), update("u1", "investigating", T)])])
    assert _poll(data, page, T + 2 * INTERVAL) == "ok"
    [stored] = official.between(data, "claude", T - 60, T + 60)
    assert stored["status"] == "resolved", "a changed page is read again although validators were sent"


def test_incidents_that_fall_out_of_the_feeds_latest_50_are_kept(data, page):
    older = [incident(f"old{n}", [update(f"o{n}", "resolved", T + n * 60)]) for n in range(50)]
    page.publish(older[::-1])
    _poll(data, page)
    newer = [incident(f"new{n}", [update(f"n{n}", "resolved", T + 3600 + n * 60)]) for n in range(50)]
    page.publish(newer[::-1])
    _poll(data, page, T + INTERVAL)
    stored = official.between(data, "claude", T - 60, T + 7200)
    assert len(stored) == 100
    assert stored[0]["id"] == "old0" and stored[-1]["id"] == "new49"


def test_updates_the_feed_stops_listing_are_kept_with_the_incident(data, page):
    page.publish([incident("inc1", [update("u2", "identified", T + 600), update("u1", "investigating", T)])])
    _poll(data, page)
    page.publish([incident("inc1", [update("u3", "resolved", T + 1200)])])
    _poll(data, page, T + INTERVAL)
    [stored] = official.between(data, "claude", T - 60, T + 60)
    assert [u["id"] for u in stored["updates"]] == ["u1", "u2", "u3"]
    assert stored["posted_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T))


def test_a_page_that_hangs_or_sends_garbage_fails_alone(data, page):
    page.publish([incident("inc1", [update("u1", "investigating", T)])])
    with StatusPage() as hanging, StatusPage() as garbage:
        hanging.publish([])
        hanging.delay = 3
        garbage.documents = {"/api/v2/incidents.json": b"<html>oops</html>", "/api/v2/summary.json": b"{}"}
        services = [Service("claude", "Claude", statuspage_api=page.url),
                    Service("github", "GitHub", statuspage_api=hanging.url),
                    Service("discord", "Discord", statuspage_api=garbage.url),
                    Service("slack", "Slack")]
        outcomes = poll_pages(data, services, INTERVAL, 0.5, T, LOCAL)
    assert outcomes == {"claude": "ok", "github": "timeout", "discord": "garbage"}
    assert len(official.between(data, "claude", T - 60, T + 60)) == 1
    assert "timed out" in poll_state(data, "github")["error"]
    assert poll_state(data, "discord")["error"] == "the answer is not JSON"


@pytest.mark.parametrize("path", ["/api/v2/incidents.json", "/api/v2/summary.json"])
def test_a_page_that_trickles_its_answer_is_cut_off_at_the_timeout(data, page, path):
    page.publish([incident("inc1", [update("u1", "investigating", T)])])
    # A byte every 20 ms: no wait between bytes comes near the timeout, but the whole answer would take a minute.
    page.trickle = {path: 0.02}
    assert _poll(data, page) == "timeout"
    assert poll_state(data, "claude")["error"] == f"{page.url}{path} timed out: no whole answer within 2 s"
    assert official.between(data, "claude", T - 60, T + 60) == []
    assert 0 < page.sent[path] < len(page.documents[path]), "the poller hung up before the answer was complete"
    assert data.get(keys.official_polling("claude")) is None


def test_the_timeout_holds_for_both_documents_of_a_poll_together(data, page):
    page.publish([incident("inc1", [update("u1", "investigating", T)])])
    page.delay = 0.7
    assert poll_page(data, ["claude"], page.url, INTERVAL, 1, T, LOCAL) == "timeout"
    assert [path for path, _ in page.requests] == ["/api/v2/incidents.json", "/api/v2/summary.json"]
    assert "/api/v2/summary.json timed out" in poll_state(data, "claude")["error"]


def test_a_page_two_services_share_is_asked_once_and_stored_for_both(data, page):
    page.publish([incident("inc1", [update("u1", "investigating", T)])], {"Copilot": "partial_outage"})
    services = [Service("github", "GitHub", statuspage_api=page.url),
                Service("copilot", "GitHub Copilot", statuspage_api=page.url)]
    assert poll_pages(data, services, INTERVAL, 2, T, LOCAL) == {"github": "ok", "copilot": "ok"}
    assert sorted(path for path, _ in page.requests) == ["/api/v2/incidents.json", "/api/v2/summary.json"]
    for slug in ("github", "copilot"):
        assert [i["id"] for i in official.between(data, slug, T - 60, T + 60)] == ["inc1"]
        assert poll_state(data, slug)["ok_at"] is not None
    assert official.components(data, ["copilot"]) == [[{"id": "c0", "name": "Copilot", "status": "partial_outage"}]]


def test_a_failing_page_is_tried_at_the_next_run_then_less_and_less_often(data):
    dead = "http://127.0.0.1:9"
    assert poll_page(data, ["claude"], dead, INTERVAL, 1, T, LOCAL) == "error"
    assert poll_page(data, ["claude"], dead, INTERVAL, 1, T + INTERVAL, LOCAL) == "error"
    assert poll_page(data, ["claude"], dead, INTERVAL, 1, T + 2 * INTERVAL - 10, LOCAL) == "waiting"
    assert poll_page(data, ["claude"], dead, INTERVAL, 1, T + 2 * INTERVAL, LOCAL) == "error"
    assert data.hget(keys.official_poll("claude"), "failures") == "3"
    assert "could not be read" in poll_state(data, "claude")["error"]


def test_the_wait_after_failures_doubles_up_to_an_hour():
    assert retry_at(T, 1, INTERVAL) == T
    assert [retry_at(T, n, INTERVAL) - T + 5 for n in (2, 3, 4)] == [120, 360, 840]
    assert retry_at(T, 30, INTERVAL) == T + 3600 - 5


def test_a_page_being_polled_is_not_polled_again_until_that_poll_ends(data, page):
    page.publish([])
    data.set(keys.official_polling("claude"), "another-poll", ex=60)
    assert _poll(data, page) == "busy"
    assert page.requests == []
    data.delete(keys.official_polling("claude"))
    assert _poll(data, page) == "ok"
    assert data.get(keys.official_polling("claude")) is None, "a poll lets go of the page when it ends"


def test_two_polls_of_one_page_at_the_same_time_ask_it_once(data, page):
    page.publish([incident("inc1", [update("u1", "investigating", T)])])
    page.delay = 0.5
    start = threading.Barrier(2)
    outcomes = []

    def poll():
        start.wait()
        outcomes.append(_poll(data, page))
    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["busy", "ok"]
    assert sorted(path for path, _ in page.requests) == ["/api/v2/incidents.json", "/api/v2/summary.json"]


def test_a_hanging_and_a_garbled_page_hold_up_neither_counting_nor_detection(app, client, data, run_jobs, tmp_path,
                                                                          monkeypatch, local_pages_on_workers):
    with StatusPage() as hanging, StatusPage() as garbled:
        hanging.publish([])
        hanging.delay = 5
        garbled.documents = {"/api/v2/incidents.json": b"\x00\xff", "/api/v2/summary.json": b"[]"}
        catalog = tmp_path / "services.toml"
        catalog.write_text(f'[[service]]\nslug = "claude"\nname = "Claude"\nstatuspage_api = "{hanging.url}"\n\n'
                           f'[[service]]\nslug = "github"\nname = "GitHub"\nstatuspage_api = "{garbled.url}"\n')
        monkeypatch.setenv("RADAR_SERVICES_FILE", str(catalog))
        monkeypatch.setenv("RADAR_STATUSPAGE_TIMEOUT", "1")
        queue = Queue(keys.QUEUE, connection=app.extensions["radar"].queue)
        poll = queue.enqueue("workers.jobs.poll_status_pages")
        assert post(client, {"service": "claude", "surface": "website"}).status_code == 202
        evaluation = queue.enqueue("workers.jobs.evaluate_all")
        run_jobs()
    assert poll.return_value() == {"claude": "timeout", "github": "garbage"}
    assert data.xlen(keys.intake("claude")) == 0, "the report was counted after the poll"
    assert evaluation.is_finished and evaluation.return_value()["services"] == 2


def test_the_scheduled_job_polls_every_page_of_the_catalog_on_a_worker(app, data, run_jobs, page, tmp_path,
                                                                      monkeypatch, local_pages_on_workers):
    catalog = tmp_path / "services.toml"
    catalog.write_text(f'[[service]]\nslug = "claude"\nname = "Claude"\nstatuspage_api = "{page.url}"\n\n'
                       '[[service]]\nslug = "slack"\nname = "Slack"\n')
    monkeypatch.setenv("RADAR_SERVICES_FILE", str(catalog))
    page.publish([incident("inc1", [update("u1", "investigating", T)])])
    job = Queue(keys.QUEUE, connection=app.extensions["radar"].queue).enqueue("workers.jobs.poll_status_pages")
    run_jobs()
    assert job.return_value() == {"claude": "ok"}
    assert json.loads(data.hget(keys.official("claude"), "inc1"))["status"] == "investigating"


def test_the_scheduler_queues_a_poll_of_the_status_pages_when_it_starts(redis_server, tmp_path):
    env = dict(os.environ, REDIS_URL=redis_server.url, RADAR_STATUSPAGE_INTERVAL="300")
    with open(tmp_path / "scheduler.log", "w") as log:
        scheduler = subprocess.Popen([sys.executable, "-m", "aggregator", "scheduler"], env=env, stdout=log,
                                     stderr=subprocess.STDOUT)
    queue = Queue(keys.QUEUE, connection=queue_client(Settings.from_env(REDIS_URL=redis_server.url)))
    try:
        deadline = time.monotonic() + 30
        queued = []
        while "workers.jobs.poll_status_pages" not in queued and time.monotonic() < deadline:
            time.sleep(0.2)
            queued = [job.func_name for job in queue.jobs]
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=15)
    assert "workers.jobs.poll_status_pages" in queued, (tmp_path / "scheduler.log").read_text()
