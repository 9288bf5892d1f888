"""Incidents end to end: reports → intake → drain → the evaluate job with a clock run forward minute by minute."""
import itertools
import json
import threading
import time

import pytest
from rq import Queue

from aggregator.base.settings import Settings
from aggregator.base.stores import queue_client
from workers import jobs, keys
from workers.drain import drain
from workers.incidents import get, search

from .helpers import (
    T0,
    at_minute,
    evaluate_after,
    iso,
    post,
    report_outage,
    seed_history,
    submit_reports,
)

GB, US = "81.2.69.142", "216.160.83.56"
_reporters = itertools.count()


def _track(data, name="*", slug="claude"):
    raw = data.hget(keys.tracks(slug), name)
    return json.loads(raw) if raw else None


def test_a_simulated_outage_opens_an_incident_backdated_to_its_onset_and_resolves_it(app, client, data):
    seed_history(data, {"total": 120, "s:website": 70, "s:mobile": 50, "c:GB": 60, "c:US": 60})
    outage = range(10, 30)
    peak_minute = 18
    mix = {"website": 31, "desktop": 8, "mobile": 6, "api": 5}
    statuses = {}
    for minute in range(0, 60):
        app.extensions["radar"].clock = lambda minute=minute: at_minute(minute, 5)
        if minute in outage:
            scale = 2 if minute == peak_minute else 1
            for n, surface in enumerate(s for s, k in mix.items() for _ in range(k * scale)):
                response = post(client, {"service": "claude", "surface": surface}, ip=GB if n % 5 < 3 else US,
                                ua=f"browser-{next(_reporters)}")
                assert response.status_code == 202
        else:
            post(client, {"service": "claude", "surface": "website"}, ip=GB, ua=f"browser-{next(_reporters)}")
            post(client, {"service": "claude", "surface": "mobile"}, ip=US, ua=f"browser-{next(_reporters)}")
        # The drain the reports queued, run in process: a worker per minute would cost more than the rest.
        drain(data, "claude")
        jobs.evaluate_all(now=at_minute(minute + 1, 15))
        statuses[minute] = client.get("/api/v1/services/claude/status").get_json()

    [incident] = search(data, service="claude", country="none")
    assert incident["id"] == f"claude.{time.strftime('%Y%m%dT%H%MZ', time.gmtime(at_minute(10)))}"
    assert incident["country"] is None
    assert incident["opened_at"] == iso(at_minute(10)), \
        "the onset is the first anomalous minute, not when it was noticed"
    assert iso(at_minute(11)) <= incident["noticed_at"] <= iso(at_minute(13))
    assert incident["worst_state"] == "outage"
    assert incident["peak"] == {"count": 100, "expected": 2.0, "at": iso(at_minute(peak_minute))}
    assert incident["surfaces_at_peak"] == {"website": 62.0, "desktop": 16.0, "mobile": 12.0, "api": 10.0}
    assert incident["top_regions"][0] == {"country": "GB", "count": 60, "percent": 60.0}
    assert incident["status"] == "resolved"
    resolved_at = incident["resolved_at"]
    assert iso(at_minute(30)) <= resolved_at <= iso(at_minute(45))
    assert incident["changes"][0] == {"at": iso(at_minute(10)), "state": incident["changes"][0]["state"]}
    assert incident["changes"][-1] == {"at": resolved_at, "state": "ok"}

    assert statuses[5]["state"] == "ok" and statuses[5]["incident_id"] is None
    assert statuses[5]["baseline"] == 2.0 and statuses[5]["baseline_quality"] == "weekly"
    during = statuses[20]
    assert during["state"] == "outage"
    assert during["incident_id"] == incident["id"]
    assert during["since"] == iso(at_minute(10))
    assert during["current"] == 50
    after = statuses[59]
    assert after["state"] == "ok" and after["incident_id"] is None and after["since"] == resolved_at
    assert client.get(f"/api/v1/incidents/{incident['id']}").get_json() == {
        **incident, "lead_time_seconds": None, "official": None}, "the vendor's page posted nothing"
    by_country = {i["country"]: i for i in search(data, service="claude") if i["country"]}
    assert set(by_country) == {"GB", "US"}, "most reports came from GB and US, so both had an outage too"
    assert by_country["GB"]["opened_at"] == iso(at_minute(10))


def test_an_outage_in_one_country_opens_an_incident_for_that_country_only(data):
    # Busy service, quiet country: six extra reports a minute are noise for the service, an outage in DE.
    seed_history(data, {"total": 1200, "c:US": 720, "c:GB": 475, "c:DE": 5})
    for minute in range(0, 60):
        submit_reports(data, minute, 12, region="US-WA")
        submit_reports(data, minute, 8, surface="mobile", region="GB-ENG")
        if 10 <= minute < 25:
            submit_reports(data, minute, 4, region="DE-BE")
            submit_reports(data, minute, 2, surface="api", region="DE-BY")
        drain(data, "claude")
        result = evaluate_after(data, minute)
        assert result.skipped == []
        if minute == 20:
            status = json.loads(data.get(keys.status("claude")))
            assert status["state"] == "ok"
            assert [(c["country"], c["state"]) for c in status["countries"]] == [("DE", "outage")]

    assert search(data, service="claude", country="none") == []
    [incident] = search(data, service="claude", country="DE")
    assert incident["id"] == f"claude.DE.{time.strftime('%Y%m%dT%H%MZ', time.gmtime(at_minute(10)))}"
    assert incident["opened_at"] == iso(at_minute(10))
    assert incident["peak"]["count"] == 6
    assert incident["surfaces_at_peak"] == {"website": 66.7, "api": 33.3}
    assert incident["symptoms_at_peak"] is None
    assert [r["region"] for r in incident["top_regions"]] == ["DE-BE", "DE-BY"]
    assert incident["status"] == "resolved"
    status = json.loads(data.get(keys.status("claude")))
    assert status["state"] == "ok" and status["countries"] == []


def test_a_service_locked_by_another_run_is_skipped_and_stepped_by_the_next(data):
    seed_history(data, {"total": 120, "c:GB": 120})
    data.set(keys.evaluating("claude"), "another-run", ex=60)
    result = evaluate_after(data, 20)
    assert result.skipped == ["claude"] and result.steps == 0
    assert _track(data) is None
    assert data.get(keys.evaluating("claude")) == "another-run", "a run releases only its own lock"
    data.delete(keys.evaluating("claude"))
    assert evaluate_after(data, 20).steps == 60
    assert _track(data)["last"] == keys.MINUTE.index(at_minute(20))


def test_overlapping_runs_step_each_minute_exactly_once(data):
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 9)
    report_outage(data, range(10, 15))
    barrier = threading.Barrier(4)
    results = []

    def run():
        barrier.wait()
        results.append(evaluate_after(data, 14))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    track = _track(data)
    assert track["hot"] == 5, "five anomalous minutes, each stepped once"
    assert track["run_start"] == at_minute(10)
    # The service's five new minutes, and the first hour of GB, which has had reports only since minute 10.
    assert sum(r.steps for r in results) == 5 + 60
    [incident] = search(data, service="claude", country="none")
    assert len(incident["changes"]) == 1


def test_an_outage_during_a_pause_of_the_scheduler_is_found_with_its_onset_when_it_comes_back(data):
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5)
    report_outage(data, range(10, 20))
    settings = {"RADAR_WEBHOOK_URLS": "http://127.0.0.1:9/hook", "RADAR_WEBHOOK_SECRET": "s3cret"}
    result = evaluate_after(data, 60, **settings)
    assert result.steps == 55 + 60, "minutes 6 to 60 for the service, the last hour for GB, new since"
    [overall] = search(data, service="claude", country="none")
    assert overall["opened_at"] == iso(at_minute(10))
    assert overall["status"] == "resolved"
    queued = Queue(keys.QUEUE, connection=queue_client(Settings.from_env())).jobs
    events = [job.description.split()[1] for job in queued if job.description.startswith("alert")]
    assert events.count("opened") == 2 and events.count("resolved") == 2


def test_catching_up_stops_an_hour_back_so_an_older_outage_is_not_replayed(data):
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5)
    report_outage(data, range(20, 40))
    # Five hours later: the hour stepped (minutes 241 to 300) and its longest windows start after the outage.
    result = evaluate_after(data, 300)
    assert result.steps == 60
    assert _track(data)["last"] == keys.MINUTE.index(at_minute(300))
    assert search(data, service="claude") == []


def test_a_run_in_the_same_minute_as_the_last_steps_nothing(data):
    seed_history(data, {"total": 120})
    assert evaluate_after(data, 30).steps == 60
    assert evaluate_after(data, 30).steps == 0
    assert evaluate_after(data, 31).steps == 1


@pytest.mark.parametrize("hours, quality", [(0, "floor"), (30, "floor"), (24 * 10, "daily"), (24 * 35, "weekly")])
def test_the_baseline_quality_says_how_much_history_there_was(data, hours, quality):
    if hours:
        with data.pipeline(transaction=False) as pipe:
            for hour in range(T0 // 3600 - hours, T0 // 3600):
                pipe.hset(keys.bucket("claude", keys.HOUR, hour), mapping={"total": 60})
            pipe.execute()
    evaluate_after(data, 5)
    status = json.loads(data.get(keys.status("claude")))
    assert status["baseline_quality"] == quality
    assert status["state"] == "ok"


def test_an_incident_is_read_back_by_its_id(data):
    seed_history(data, {"total": 120, "c:GB": 120})
    evaluate_after(data, 5)
    report_outage(data, range(10, 16))
    evaluate_after(data, 16)
    [incident] = search(data, service="claude", country="none")
    assert incident["status"] == "open"
    assert get(data, incident["id"]) == incident
    assert get(data, "claude.20200101T0000Z") is None
    assert get(data, "not an id") is None


def test_the_evaluate_job_runs_on_an_rq_worker_and_writes_every_status(app, data, run_jobs):
    Queue(keys.QUEUE, connection=app.extensions["radar"].queue).enqueue("workers.jobs.evaluate_all")
    run_jobs()
    slugs = app.extensions["radar"].catalog.slugs
    statuses = [json.loads(data.get(keys.status(slug))) for slug in slugs]
    assert [s["service"] for s in statuses] == slugs
    assert all(s["state"] == "ok" and s["baseline_quality"] == "floor" for s in statuses)
