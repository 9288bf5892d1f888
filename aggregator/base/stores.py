"""The two Redis clients: one for RQ's queues, one for the data (streams, buckets) — a server or a cluster."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.commands.core import Script
from redis.exceptions import ClusterDownError, SlotNotCoveredError
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


CLUSTER_SCHEME = "redis+cluster"
"""URL scheme of a Redis Cluster data store (`redis+cluster://host:port,host:port`)."""


class ClusterScript(Script):
    """A Lua script that can also be queued on a cluster pipeline, which refuses EVALSHA."""

    def __call__(self, keys=None, args=None, client=None):
        if isinstance(client, ClusterPipeline):
            # The script's text each time: a pipeline cannot load a script that one node lacks, and Redis
            # keeps the compiled script by its hash, so only the bytes on the wire are extra. Addressed to its
            # first key's master here: otherwise the pipeline asks a server which arguments are keys (COMMAND
            # GETKEYS), a round trip per script, which made a read over 200 services six times slower.
            keys, args = list(keys or []), list(args or [])
            node = client.nodes_manager.get_node_from_slot(client.keyslot(keys[0]))
            return client.execute_command("EVAL", self.script, len(keys), *keys, *args, target_nodes=node)
        return super().__call__(keys, args, client)


class DataCluster(RedisCluster):
    """A cluster client that retries a command once after a broken connection or a slot map change, never
    after a timeout: a timed-out write may have been applied, and repeating it could apply it twice."""

    ERRORS_ALLOW_RETRY = (redis.ConnectionError, ClusterDownError, SlotNotCoveredError)

    def register_script(self, script) -> ClusterScript:
        return ClusterScript(self, script)


def cluster_nodes(url: str) -> tuple[str, list[ClusterNode]]:
    """`redis+cluster://[user:password@]host:port[,host:port...][?options]` as a plain URL for the first
    node (credentials and options included) and every node to discover the cluster from."""
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    nodes = []
    for address in hosts.split(","):
        host, _, port = address.rpartition(":")
        nodes.append(ClusterNode(host or address, int(port) if host else 6379))
    first = f"{credentials}@{hosts.split(',')[0]}" if credentials else hosts.split(",")[0]
    return urlunsplit(("redis", first, parts.path, parts.query, "")), nodes


def is_cluster(url: str) -> bool:
    return urlsplit(url).scheme == CLUSTER_SCHEME


def data_client(settings: Settings) -> redis.Redis | RedisCluster:
    """Client for intake streams and buckets; answers are decoded to str."""
    url = _require(settings.REDIS_DATA_URL)
    options = {"decode_responses": True, "socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT,
               "health_check_interval": 30, "retry": retry_policy()}
    if not is_cluster(url):
        return redis.Redis.from_url(url, **options)
    first, nodes = cluster_nodes(url)
    # Every listed node can introduce the client to the cluster, so a start-up with one master down works.
    return DataCluster.from_url(first, startup_nodes=nodes[1:], require_full_coverage=False, **options)


def queue_client(settings: Settings) -> redis.Redis:
    """Client for RQ, which needs raw bytes."""
    return redis.Redis.from_url(_require(settings.REDIS_URL), socket_timeout=SOCKET_TIMEOUT * 6,
                                socket_connect_timeout=SOCKET_TIMEOUT, retry=retry_policy())
