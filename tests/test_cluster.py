"""The data store on a real three-master Redis Cluster: intake, drains in parallel worker processes, detection,
reads across every node, and what a killed master looks like to the operator."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from redis.cluster import RedisCluster
from redis.crc import key_slot
from rq import Queue
from rq.job import Job
from rq.registry import FinishedJobRegistry

from aggregator import create_app
from aggregator.base.exceptions import SettingsError
from aggregator.base.settings import Settings
from aggregator.base.stores import cluster_nodes, data_client
from workers import keys

from .cluster import start_cluster
from .helpers import CLIENTS, NOW, PROXIES, SECRET, TEST_GEOIP, everything_stored, leaks, post, post_from_everyone

WORKERS = 4
DRAINS_PER_SERVICE = 3
"""Drain jobs queued for each service on top of the app's own, so several workers race over one stream."""


def _cluster_app(redis_url: str, cluster_url: str, **config):
    app = create_app({**SECRET, "REDIS_URL": redis_url, "REDIS_DATA_URL": cluster_url, "GEOIP_DB": TEST_GEOIP,
                      "RADAR_REPORT_RATE_LIMIT": "", **config})
    app.extensions["radar"].clock = lambda: NOW
    return app


@pytest.fixture
def cluster_app(redis_server, redis_cluster):
    app = _cluster_app(redis_server.url, redis_cluster.url)
    app.extensions["radar"].data.flushall()
    return app


def _run_workers(redis_url: str, cluster_url: str, count: int) -> None:
    """`count` RQ worker processes in burst mode, started together, each with the cluster as its data store."""
    env = dict(os.environ, REDIS_URL=redis_url, REDIS_DATA_URL=cluster_url, RADAR_LOG_FORMAT="text")
    workers = [subprocess.Popen([sys.executable, "-m", "aggregator", "worker", "--burst"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(count)]
    for worker in workers:
        output, _ = worker.communicate(timeout=180)
        assert worker.returncode == 0, output


def _post_reports(client, slugs: list[str], per_service: int, tag: int = 0) -> dict[str, int]:
    """Reports from distinct addresses (none deduped); returns how many each service accepted."""
    accepted = dict.fromkeys(slugs, 0)
    for n in range(per_service):
        for s, slug in enumerate(slugs):
            response = post(client, {"service": slug, "surface": "website"}, ip=f"10.{tag}.{s}.{n + 1}")
            assert response.status_code == 202, response.get_json()
            accepted[slug] += response.get_json()["counted"]
    return accepted


def _counted(client, slug: str) -> int:
    return client.get(f"/api/v1/services/{slug}/summary?window=1h").get_json()["total"]


def test_a_cluster_url_lists_its_nodes_with_the_credentials_kept_for_each():
    first, nodes = cluster_nodes("redis+cluster://user:secret@10.0.0.1:7000,10.0.0.2:7001,data-3?ssl_cert_reqs=none")
    assert first == "redis://user:secret@10.0.0.1:7000?ssl_cert_reqs=none"
    assert [(n.host, n.port) for n in nodes] == [("10.0.0.1", 7000), ("10.0.0.2", 7001), ("data-3", 6379)]


def test_the_data_store_may_be_a_cluster_but_the_queue_may_not():
    settings = Settings.from_env(environ={}, REDIS_URL="redis://queue:6379/0", REDIS_DATA_URL="redis+cluster://a:7000")
    assert settings.REDIS_DATA_URL == "redis+cluster://a:7000"
    with pytest.raises(SettingsError, match="REDIS_URL"):
        Settings.from_env(environ={}, REDIS_URL="redis+cluster://a:7000")


def test_a_cluster_url_gives_a_cluster_client_that_knows_every_master(redis_server, redis_cluster):
    with data_client(Settings.from_env(REDIS_URL=redis_server.url, REDIS_DATA_URL=redis_cluster.url)) as data:
        assert isinstance(data, RedisCluster)
        assert sorted(node.port for node in data.get_primaries()) == sorted(n.port for n in redis_cluster.nodes)


def test_reports_drained_by_parallel_workers_are_counted_exactly_once_and_read_across_every_node(
        redis_server, redis_cluster, cluster_app):
    client, radar = cluster_app.test_client(), cluster_app.extensions["radar"]
    slugs = radar.catalog.slugs
    # The catalog's services are spread over all three masters, so every read below crosses nodes.
    assert {redis_cluster.node_of(keys.intake(slug)).port for slug in slugs} == {n.port for n in redis_cluster.nodes}
    accepted = _post_reports(client, slugs, 40)
    queue = Queue(keys.QUEUE, connection=radar.queue)
    for slug in slugs:
        for _ in range(DRAINS_PER_SERVICE):
            queue.enqueue("workers.jobs.drain_service", slug, result_ttl=600)

    _run_workers(redis_server.url, redis_cluster.url, WORKERS)

    jobs = Job.fetch_many(FinishedJobRegistry(queue=queue).get_job_ids(), connection=radar.queue)
    drains = [job for job in jobs if job.func_name == "workers.jobs.drain_service"]
    assert len(drains) >= len(slugs) * DRAINS_PER_SERVICE
    # Several workers took drains of the same service, yet the reports they counted add up to what was sent:
    # the consumer group hands each entry to one drain, and a batch is applied only while its drain owns it.
    assert len({job.worker_name for job in drains}) > 1
    for slug in slugs:
        assert sum(job.return_value() for job in drains if list(job.args) == [slug]) == accepted[slug]
        assert _counted(client, slug) == accepted[slug]
        assert radar.data.xlen(keys.intake(slug)) == 0

    queue.enqueue("workers.jobs.evaluate_all", NOW + 120)
    _run_workers(redis_server.url, redis_cluster.url, 1)
    statuses = client.get("/api/v1/status").get_json()["services"]
    assert [s["service"] for s in statuses] == slugs
    assert all(s["evaluated_at"] for s in statuses)
    listed = client.get("/api/v1/services").get_json()["services"]
    assert {s["slug"]: s["reports_last_hour"] for s in listed} == accepted
    series = client.get("/api/v1/services/claude/series?resolution=1m").get_json()["buckets"]
    assert sum(b["total"] for b in series) == accepted["claude"]
    overview = client.get("/dashboard")
    assert overview.status_code == 200
    assert all(radar.catalog.get(slug).name in overview.get_data(as_text=True) for slug in slugs)


def test_every_key_a_service_writes_lives_in_its_own_slot(redis_server, redis_cluster, cluster_app):
    client, radar = cluster_app.test_client(), cluster_app.extensions["radar"]
    _post_reports(client, radar.catalog.slugs, 3)
    _run_workers(redis_server.url, redis_cluster.url, 1)
    slots: dict[str, set[int]] = {}
    for node in radar.data.get_primaries():
        for key in radar.data.scan_iter(count=1000, target_nodes=node):
            if "{" in key:
                tag = key[key.index("{") + 1:key.index("}")]
                slots.setdefault(tag, set()).add(radar.data.keyslot(key))
    assert set(slots) == set(radar.catalog.slugs)
    assert all(len(found) == 1 for found in slots.values()), slots


def test_the_rate_limit_works_with_its_windows_in_the_cluster(redis_server, redis_cluster):
    client = _cluster_app(redis_server.url, redis_cluster.url, RADAR_REPORT_RATE_LIMIT="3/minute").test_client()
    answers = [post(client, {"service": "claude", "surface": "api"}, ip="10.9.9.9").status_code for _ in range(4)]
    assert answers == [202, 202, 202, 429]


def test_long_summaries_and_the_read_limit_work_with_their_keys_in_the_cluster(redis_server, redis_cluster):
    app = _cluster_app(redis_server.url, redis_cluster.url, RADAR_READ_RATE_LIMIT="3/minute")
    data = app.extensions["radar"].data
    data.flushall()
    hour = keys.HOUR.index(NOW)
    with data.pipeline(transaction=False) as pipe:
        for h in range(hour - 31 * 24, hour + 1):
            pipe.hset(keys.bucket("claude", keys.HOUR, h), mapping={"total": 2, "c:DE": 2})
        pipe.execute()
    client = app.test_client()
    totals = [client.get("/api/v1/services/claude/summary?window=30d").get_json()["total"] for _ in range(2)]
    assert totals == [2 * (30 * 24 + 1)] * 2  # hours from 30 days ago to the current one
    assert data.exists(keys.day_sums("claude", int(NOW // 86400) - 2))
    assert [client.get("/api/v1/status").status_code for _ in range(2)] == [200, 429]


def test_a_relay_batch_over_every_master_is_stored_once_and_deduplicated_when_sent_again(redis_server,
                                                                                          redis_cluster):
    key = "relay-key-0123456789abcdef"
    app = _cluster_app(redis_server.url, redis_cluster.url, RADAR_RELAY_KEYS=key)
    radar = app.extensions["radar"]
    radar.data.flushall()
    reports = [{"service": slug, "surface": "api", "client": f"198.18.{s}.{n + 1}"}
               for s, slug in enumerate(radar.catalog.slugs) for n in range(3)]
    answers = [app.test_client().post("/api/v1/reports/batch", json={"reports": reports},
                                      headers={"Authorization": f"Bearer {key}"}).get_json() for _ in range(2)]
    assert [(a["counted"], a["deduped"]) for a in answers] == [(len(reports), 0), (0, len(reports))]
    assert {slug: radar.data.xlen(keys.intake(slug)) for slug in radar.catalog.slugs} == \
        dict.fromkeys(radar.catalog.slugs, 6)


def _wait_for(check, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.2)


def test_a_killed_master_stops_only_its_services_with_503_and_they_come_back_with_every_report(
        redis_server, tmp_path):
    cluster = start_cluster(tmp_path)
    try:
        app = _cluster_app(redis_server.url, cluster.url)
        client, radar = app.test_client(), app.extensions["radar"]
        affected = radar.catalog.slugs[0]
        victim = cluster.node_of(keys.intake(affected))
        survivor = next(s for s in radar.catalog.slugs if cluster.node_of(keys.intake(s)) is not victim)
        before = _post_reports(client, [affected, survivor], 25, tag=1)

        victim.kill()

        down = post(client, {"service": affected, "surface": "api"}, ip="10.2.0.1")
        assert down.status_code == 503
        assert down.headers["Retry-After"] == "5"
        assert down.get_json()["error"]["code"] == "data_unavailable"
        for path in (f"/api/v1/services/{affected}/series", "/api/v1/status"):
            answer = client.get(path)
            assert (answer.status_code, answer.get_json()["error"]["code"]) == (503, "data_unavailable")
            assert "Traceback" not in answer.get_data(as_text=True)
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert any(f":{victim.port}" in problem for problem in ready.get_json()["problems"])
        # The services on the other masters go on taking reports and answering reads.
        during = _post_reports(client, [survivor], 10, tag=2)
        assert client.get(f"/api/v1/services/{survivor}/series").status_code == 200

        victim.start()
        # The same app, not restarted: its client finds the master again on its next request.
        _wait_for(lambda: post(client, {"service": affected, "surface": "api"}, ip="10.3.0.1").status_code == 202)
        _run_workers(redis_server.url, cluster.url, 2)
        # Every report acknowledged before the kill was kept (append-only file) and is counted once.
        assert _counted(client, affected) == before[affected] + 1
        assert _counted(client, survivor) == before[survivor] + during[survivor]
        assert client.get("/readyz").status_code == 200
    finally:
        cluster.stop()


def test_no_client_or_proxy_address_is_stored_on_any_master(redis_server, redis_cluster):
    app = _cluster_app(redis_server.url, redis_cluster.url, TRUSTED_PROXIES="10.0.0.0/8",
                       RADAR_REPORT_RATE_LIMIT="1000/minute")
    app.extensions["radar"].data.flushall()
    post_from_everyone(app.test_client())
    _run_workers(redis_server.url, redis_cluster.url, 1)
    stored = [everything_stored(f"redis://127.0.0.1:{node.port}") for node in redis_cluster.nodes]
    # Every master owning a reported service holds some of it — streams, buckets, dedupe marks, the rate
    # limit's windows — and no address.
    owners = [types for node, (_, types) in zip(redis_cluster.nodes, stored)
              if any(key_slot(slug.encode()) in node.slots for slug in ("claude", "chatgpt", "github", "slack"))]
    assert len(owners) >= 2 and all(owners)
    assert any(b":limit:" in key for _, types in stored for key in types)
    assert leaks([blob for blobs, _ in stored for blob in blobs], CLIENTS + PROXIES) == []


def test_readiness_and_metrics_give_the_memory_of_every_master(redis_cluster, cluster_app):
    client = cluster_app.test_client()
    masters = {f"127.0.0.1:{node.port}" for node in redis_cluster.nodes}
    memory = client.get("/readyz").get_json()["memory"]
    assert {entry["node"] for entry in memory} == masters
    assert all(entry["used_bytes"] > 0 for entry in memory)
    metrics = client.get("/metrics").get_data(as_text=True)
    for node in masters:
        assert f'radar_redis_used_memory_bytes{{node="{node}"}}' in metrics
