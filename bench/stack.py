"""What the HTTP benchmarks share: free ports, a gunicorn server for a WSGI app, waiting for it, percentiles."""
from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

WEB_WORKERS = 2
THREADS = int(os.environ.get("RADAR_WEB_THREADS", "4"))
"""The project's default; the baseline gets the same."""

SECRET = "a fixed secret for the benchmarks, never for a real site"
"""RADAR_SECRET of the web apps the benchmarks start, which refuse to start without one."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process and its descendants have used, living (gunicorn's workers) or
    ended and waited for (RQ's forked work horses), from Linux /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) for child in children)


def parts(pid: int) -> dict[str, int]:
    """The processes `python -m aggregator run` (pid) started, by part: web, worker, scheduler."""
    named = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except FileNotFoundError:
            continue
        if not command:  # a part that has ended and is not yet waited for
            continue
        name = "web" if "gunicorn" in command else command.split("aggregator", 1)[-1].split()[0]
        named[name] = int(child)
    return named


def wait_for(port: int, path: str, seconds: float = 30) -> None:
    """Block until GET path on 127.0.0.1:port answers at all."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answered on port {port} within {seconds:.0f} s")
            time.sleep(0.2)


@contextlib.contextmanager
def process(argv: list[str], env: dict, port: int, ready_path: str):
    """A server process group on 127.0.0.1:port, stopped (SIGINT, then SIGKILL) on leaving."""
    child = subprocess.Popen(argv, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, ready_path)
        yield child
    finally:
        os.killpg(child.pid, signal.SIGINT)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def gunicorn(app: str, port: int, env: dict, worker_class: str = "gthread"):
    """The same gunicorn settings the project's `web` command uses, for a baseline app."""
    return process([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
                    str(WEB_WORKERS), "--worker-class", worker_class, "--threads", str(THREADS), app],
                   env, port, "/")


def radar_web(port: int, env: dict):
    """The project's production web server (`python -m aggregator web`)."""
    return process([sys.executable, "-m", "aggregator", "web", "--port", str(port), "--workers",
                    str(WEB_WORKERS), "--threads", str(THREADS)], {"RADAR_SECRET": SECRET, **env}, port, "/healthz")
