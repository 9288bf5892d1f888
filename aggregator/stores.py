"""The two Redis clients: one for RQ's queues, one for the data (streams, buckets)."""
from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .settings import Settings

SOCKET_TIMEOUT = 5
"""Seconds before a Redis call gives up, so a stalled Redis cannot hang a request or a job."""


def retry_policy() -> Retry:
    """One immediate retry, on a broken connection only.

    It replaces a pooled connection that a Redis restart closed, so the first request after the restart
    succeeds. redis-py's default (ten retries with backoff, timeouts included) would keep a request waiting
    for a minute on a stalled Redis, and retrying a timed-out write could apply it twice.
    """
    return Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))


def _require(url: str) -> str:
    if not url:
        from .exceptions import SettingsError
        raise SettingsError("REDIS_URL is not set — start everything with `python -m aggregator run` "
                            "(embedded Redis) or point REDIS_URL at a Redis server")
    return url


def data_client(settings: Settings) -> redis.Redis:
    """Client for intake streams and buckets; answers are decoded to str."""
    return redis.Redis.from_url(_require(settings.REDIS_DATA_URL), decode_responses=True,
                                socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT,
                                health_check_interval=30, retry=retry_policy())


def queue_client(settings: Settings) -> redis.Redis:
    """Client for RQ, which needs raw bytes."""
    return redis.Redis.from_url(_require(settings.REDIS_URL), socket_timeout=SOCKET_TIMEOUT * 6,
                                socket_connect_timeout=SOCKET_TIMEOUT, retry=retry_policy())
