"""The data store on a three-master Redis Cluster against one Redis on the same machine: drain throughput
with 1, 2 and 4 worker processes, and the read of every service's status and last hour (the overview)."""
from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from aggregator.settings import Settings
from aggregator.stores import data_client
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


def _drain_one(slug: str) -> int:
    return drain(_client, slug, batch_size=1000, max_seconds=600).entries


def drain_rate(url: str, workers: int, run: str) -> float:
    """Reports/s that `workers` processes, each taking the next service's stream, drain into buckets."""
    redis = _data(url)
    slugs = [f"bench-{run}-{n}" for n in range(SERVICES)]
    entries = synthetic_entries(REPORTS_PER_SERVICE, time.time())
    for slug in slugs:
        fill(redis, slug, entries)
    redis.close()
    # Processes started and connected before the clock starts, as RQ workers are before jobs arrive.
    with multiprocessing.get_context("fork").Pool(workers, initializer=_connect, initargs=(url,)) as pool:
        pool.map(time.sleep, [0.01] * workers)
        started = time.perf_counter()
        counted = pool.map(_drain_one, slugs, chunksize=1)
        seconds = time.perf_counter() - started
    assert sum(counted) == SERVICES * REPORTS_PER_SERVICE, counted
    return sum(counted) / seconds


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
        targets = {"single": f"redis://127.0.0.1:{single.port}", "cluster": cluster.url}
        try:
            print(f"cluster: {SERVICES} services × {REPORTS_PER_SERVICE:,} reports, over "
                  f"{len(cluster.nodes)} masters; batches of 1,000; both stores on TCP 127.0.0.1")
            rates: dict[tuple[str, int], list[float]] = {}
            for round_no in range(ROUNDS):
                # Alternated within a round, so load from other work on the machine hits both stores alike.
                for workers in WORKERS:
                    for name, url in targets.items():
                        run = f"{round_no}-{workers}-{name}"
                        rates.setdefault((name, workers), []).append(drain_rate(url, workers, run))
            rate = {key: statistics.median(values) for key, values in rates.items()}
            for workers in WORKERS:
                print(f"cluster: drain with {workers} worker(s), median of {ROUNDS}: "
                      f"single {rate['single', workers]:,.0f} reports/s, cluster {rate['cluster', workers]:,.0f} "
                      f"reports/s; ratio {rate['cluster', workers] / rate['single', workers]:.2f}; "
                      f"× {rate['cluster', workers] / rate['cluster', 1]:.2f} of one cluster worker")
            reads = {name: read_ms(url) for name, url in targets.items()}
            print(f"cluster: status + last hour of {READ_SERVICES} services: single {reads['single']:.1f} ms, "
                  f"cluster {reads['cluster']:.1f} ms (median of {READ_RUNS}); "
                  f"ratio {reads['cluster'] / reads['single']:.2f}")
        finally:
            cluster.stop()
            single.stop()


if __name__ == "__main__":
    main()
