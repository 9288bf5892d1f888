"""The data store on a three-master Redis Cluster against one Redis on the same machine: drain throughput
with 1, 2 and 4 worker processes, the CPU a report costs Redis and the workers (the basis of a projection to
many machines), and the read of every service's status and last hour (the overview)."""
from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis as redis_lib

from aggregator.base.settings import Settings
from aggregator.base.stores import data_client
from tests.cluster import Node, free_node_port, start_cluster
from workers import keys
from workers.drain import drain
from workers.evaluate import read_statuses
from workers.totals import last_hour_spans, read_totals

from .drain import fill, synthetic_entries

SERVICES = 8
REPORTS_PER_SERVICE = 6_000
WORKERS = (1, 2, 4)
ROUNDS = 3
READ_SERVICES = 200
READ_RUNS = 30

_client = None


def _data(url: str):
    return data_client(Settings.from_env(environ={}, REDIS_URL="redis://unused", REDIS_DATA_URL=url))


def _connect(url: str) -> None:
    global _client
    _client = _data(url)


def _drain_one(slug: str) -> tuple[int, float]:
    started = time.process_time()
    entries = drain(_client, slug, batch_size=1000, max_seconds=600).entries
    return entries, time.process_time() - started


def redis_cpu_seconds(ports: list[int]) -> float:
    """CPU time the Redis servers on `ports` have used since they started."""
    total = 0.0
    for port in ports:
        with redis_lib.Redis(port=port) as r:
            info = r.info("cpu")
        total += info["used_cpu_user"] + info["used_cpu_sys"]
    return total


@dataclass(frozen=True)
class Run:
    """One timed drain of every service's stream."""

    rate: float
    """Reports counted per second of wall time."""
    redis_ms: float
    """Milliseconds of Redis CPU per 1,000 reports."""
    worker_ms: float
    """Milliseconds of worker CPU per 1,000 reports."""


def drain_run(url: str, ports: list[int], workers: int, run: str) -> Run:
    """`workers` processes, each taking the next service's stream, drain every report into buckets."""
    redis = _data(url)
    slugs = [f"bench-{run}-{n}" for n in range(SERVICES)]
    entries = synthetic_entries(REPORTS_PER_SERVICE, time.time())
    for slug in slugs:
        fill(redis, slug, entries)
    redis.close()
    # Processes started and connected before the clock starts, as RQ workers are before jobs arrive.
    with multiprocessing.get_context("fork").Pool(workers, initializer=_connect, initargs=(url,)) as pool:
        pool.map(time.sleep, [0.01] * workers)
        redis_before, started = redis_cpu_seconds(ports), time.perf_counter()
        results = pool.map(_drain_one, slugs, chunksize=1)
        seconds, redis_used = time.perf_counter() - started, redis_cpu_seconds(ports) - redis_before
    counted = sum(n for n, _ in results)
    assert counted == SERVICES * REPORTS_PER_SERVICE, results
    return Run(counted / seconds, redis_used / counted * 1e6, sum(cpu for _, cpu in results) / counted * 1e6)


def read_ms(url: str) -> float:
    """Median milliseconds to read the status and last-hour total of every one of READ_SERVICES services."""
    redis = _data(url)
    slugs = [f"svc-{n:03d}" for n in range(READ_SERVICES)]
    now = time.time()
    with redis.pipeline(transaction=False) as pipe:
        for slug in slugs:
            pipe.set(keys.status(slug), '{"state": "ok"}')
            pipe.hset(keys.bucket(slug, keys.MINUTE, keys.MINUTE.index(now)), "total", 3)
        pipe.execute()
    times = []
    for _ in range(READ_RUNS + 3):
        started = time.perf_counter()
        read_statuses(redis, slugs)
        read_totals(redis, slugs, last_hour_spans(now))
        times.append((time.perf_counter() - started) * 1000)
    redis.close()
    return statistics.median(times[3:])


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        single = Node(free_node_port(), Path(directory) / "single", cluster_enabled=False)
        single.start()
        cluster = start_cluster(Path(directory) / "cluster")
        targets = {"single": (f"redis://127.0.0.1:{single.port}", [single.port]),
                   "cluster": (cluster.url, [node.port for node in cluster.nodes])}
        try:
            print(f"cluster: {SERVICES} services × {REPORTS_PER_SERVICE:,} reports, over "
                  f"{len(cluster.nodes)} masters; batches of 1,000; both stores on TCP 127.0.0.1")
            runs: dict[tuple[str, int], list[Run]] = {}
            for round_no in range(ROUNDS):
                # Alternated within a round, so load from other work on the machine hits both stores alike.
                for workers in WORKERS:
                    for name, (url, ports) in targets.items():
                        run = f"{round_no}-{workers}-{name}"
                        runs.setdefault((name, workers), []).append(drain_run(url, ports, workers, run))
            median = {key: Run(*(statistics.median(getattr(r, f) for r in found) for f in ("rate", "redis_ms",
                                                                                         "worker_ms")))
                      for key, found in runs.items()}
            for workers in WORKERS:
                one, many = median["single", workers], median["cluster", workers]
                print(f"cluster: drain with {workers} worker(s), median of {ROUNDS}: single {one.rate:,.0f} "
                      f"reports/s, cluster {many.rate:,.0f} reports/s; ratio {many.rate / one.rate:.2f}; "
                      f"× {many.rate / median['cluster', 1].rate:.2f} of one cluster worker; CPU per 1,000 "
                      f"reports: Redis {one.redis_ms:.0f} / {many.redis_ms:.0f} ms, workers {one.worker_ms:.0f} / "
                      f"{many.worker_ms:.0f} ms (single / cluster)")
            reads = {name: read_ms(url) for name, (url, _) in targets.items()}
            print(f"cluster: status + last hour of {READ_SERVICES} services: single {reads['single']:.1f} ms, "
                  f"cluster {reads['cluster']:.1f} ms (median of {READ_RUNS}); "
                  f"ratio {reads['cluster'] / reads['single']:.2f}")
        finally:
            cluster.stop()
            single.stop()


if __name__ == "__main__":
    main()
