"""Metrics about the shared state, read from Redis at scrape time, so every web process reports the same."""
from __future__ import annotations

from collections import Counter

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry

from workers import keys, stats
from workers.drain import intake_lag
from workers.evaluate import read_statuses
from workers.poller import OUTCOMES

from . import store_memory

INCIDENT_STATES = ("degraded", "outage")


def open_incidents(statuses: list[dict]) -> Counter:
    """Open incidents by current state, service-wide and per country, from the services' status records."""
    states = Counter({state: 0 for state in INCIDENT_STATES})
    for status in statuses:
        for track in [status, *status.get("countries", [])]:
            if track.get("incident_id"):
                states[track["state"]] += 1
    return states


def _histogram(name: str, documentation: str, histogram: stats.Histogram, stored: dict) -> HistogramMetricFamily:
    buckets, total = histogram.read(stored)
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=total)


def _polls(stored: dict, pages: list[str]) -> CounterMetricFamily:
    """Polls by page and outcome; every outcome of every page in the catalog, so that a first failure is a rise."""
    counts = Counter({(page, outcome): 0 for page in pages for outcome in OUTCOMES})
    for field, n in stored.items():
        outcome, _, page = field.partition(":")
        counts[(page, outcome)] += int(n)
    polls = CounterMetricFamily("radar_statuspage_polls", "official status page polls by page and outcome",
                                labels=["page", "outcome"])
    for (page, outcome), n in sorted(counts.items()):
        polls.add_metric([page, outcome], n)
    return polls


def _memory(nodes: list[store_memory.NodeMemory]) -> list[GaugeMetricFamily]:
    used = GaugeMetricFamily("radar_redis_used_memory_bytes", "memory the data Redis uses, per cluster master",
                             labels=["node"])
    limit = GaugeMetricFamily("radar_redis_maxmemory_bytes",
                              "the data Redis's maxmemory, past which it refuses writes (0: no limit)", labels=["node"])
    for node in nodes:
        used.add_metric([node.node], node.used)
        limit.add_metric([node.node], node.limit)
    return [used, limit]


class StoreCollector:
    """A prometheus_client collector over the app's two Redis clients; Redis down shows as radar_store_up 0."""

    def __init__(self, radar):
        self._radar = radar

    def collect(self):
        up = GaugeMetricFamily("radar_store_up", "1 if both Redis servers answered this scrape, else 0")
        try:
            families = list(self._data_families()) + list(self._queue_families())
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _data_families(self):
        r = self._radar
        slugs = r.catalog.slugs
        with r.data.pipeline(transaction=False) as pipe:
            for slug in slugs:
                pipe.xlen(keys.intake(slug))
            lengths = pipe.execute()
        length = GaugeMetricFamily("radar_intake_stream_length", "reports in the intake stream, not yet counted",
                                   labels=["service"])
        lag = GaugeMetricFamily("radar_intake_lag_seconds",
                                "age of the oldest report in the intake stream (0 when it is empty)",
                                labels=["service"])
        lags = intake_lag(r.data, slugs, r.clock())
        for slug, n in zip(slugs, lengths):
            length.add_metric([slug], n)
            lag.add_metric([slug], lags[slug])
        incidents = GaugeMetricFamily("radar_incidents_open", "open incidents (service-wide and per country)",
                                      labels=["state"])
        for state, n in sorted(open_incidents(read_statuses(r.data, slugs)).items()):
            incidents.add_metric([state], n)
        size, seconds, polled = stats.read_hashes(r.data, [stats.DRAIN_BATCH_SIZE.name,
                                                            stats.DRAIN_BATCH_SECONDS.name, stats.STATUSPAGE_POLLS])
        pages = sorted({s.statuspage_api for s in r.catalog if s.statuspage_api})
        return [length, lag, incidents, *_memory(store_memory.read(r.data)), _polls(polled, pages),
                _histogram("radar_drain_batch_size", "reports counted per drain batch", stats.DRAIN_BATCH_SIZE, size),
                _histogram("radar_drain_batch_seconds", "seconds to read and apply one drain batch",
                           stats.DRAIN_BATCH_SECONDS, seconds)]

    def _queue_families(self):
        connection = self._radar.queue
        depth = GaugeMetricFamily("radar_queue_jobs", "jobs waiting in the RQ queue", labels=["queue"])
        depth.add_metric([keys.QUEUE], Queue(keys.QUEUE, connection=connection).count)
        failed = GaugeMetricFamily("radar_queue_failed_jobs", "jobs in RQ's failed job registry", labels=["queue"])
        failed.add_metric([keys.QUEUE], FailedJobRegistry(keys.QUEUE, connection=connection).get_job_count(
            cleanup=False))
        deliveries = CounterMetricFamily("radar_webhook_deliveries", "webhook delivery attempts by outcome",
                                         labels=["kind", "outcome"])
        stored, = stats.read_hashes(connection, [stats.WEBHOOK_DELIVERIES])
        for field, n in sorted(stored.items()):
            kind, _, outcome = field.partition(":")
            deliveries.add_metric([kind, outcome], int(n))
        return [depth, failed, deliveries]
