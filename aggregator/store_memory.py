"""How full the data Redis is: its used memory against its maxmemory, for each master of a cluster."""
from __future__ import annotations

from dataclasses import dataclass

from redis.cluster import RedisCluster

WARN_SHARE = 0.8
"""Share of maxmemory past which /readyz warns: room for days of growth, not for a burst of outage reports."""

SINGLE = "data"
"""The node label of a data store that is one server rather than a cluster."""


@dataclass(frozen=True)
class NodeMemory:
    """One Redis server's memory: bytes used, and its maxmemory (0: no limit)."""

    node: str
    used: int
    limit: int

    @property
    def share(self) -> float | None:
        return self.used / self.limit if self.limit else None


def read(client) -> list[NodeMemory]:
    """INFO memory of the data store: the one server, or every master of a cluster (replicas mirror them)."""
    if not isinstance(client, RedisCluster):
        return [_node(SINGLE, client.info("memory"))]
    return [_node(node.name, client.info("memory", target_nodes=node)) for node in client.get_primaries()]


def _node(name: str, info: dict) -> NodeMemory:
    return NodeMemory(name, int(info["used_memory"]), int(info.get("maxmemory", 0)))


def warnings(nodes: list[NodeMemory], threshold: float = WARN_SHARE) -> list[str]:
    """A line for each server past `threshold` of its maxmemory; a full one refuses every report."""
    return [f"{'data redis' if n.node == SINGLE else f'data redis {n.node}'} uses {n.share * 100:.0f} % of its maxmemory "
            f"({n.used / 2**20:,.0f} of {n.limit / 2**20:,.0f} MiB): past 100 % it refuses new reports; raise "
            "maxmemory or add masters (docs/scaling.md)"
            for n in nodes if n.share is not None and n.share >= threshold]
