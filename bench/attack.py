"""What a forged crowd and slow sockets get from the web server as shipped (gunicorn, the shedding worker).

Counted reports from one address with 1,000 browsers and from one IPv6 /64 with 1,000 addresses (each at most
the network allowance), another site's form auto-submitted by 1,000 visitors (none taken), and 200 sockets that send part of a request and stall, beside normal reporting:
`/healthz` p99 and the accepted report rate as a share of the rate without them.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from aggregator.local_redis import start

from . import stack

REPORT = json.dumps({"service": "claude", "surface": "website"}).encode()
PHASE_SECONDS = 6.0
CLIENTS = 4
SLOW_SOCKETS = 200


def _post(conn: http.client.HTTPConnection, address: str, agent: str) -> dict:
    conn.request("POST", "/api/v1/reports", REPORT, {"Content-Type": "application/json", "User-Agent": agent,
                                                     "X-Forwarded-For": address})
    response = conn.getresponse()
    body = response.read()
    return json.loads(body) if response.status == 202 else {"status": response.status}


def _counted(port: int, senders) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        return sum(bool(_post(conn, address, agent).get("counted")) for address, agent in senders)
    finally:
        conn.close()


def _storm(port: int, visitors: int) -> int:
    """Another site's page auto-submitting the report form from `visitors` browsers: how many were accepted."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    accepted = 0
    try:
        for n in range(visitors):
            conn.request("POST", "/api/v1/reports", "service=claude&surface=website", {
                "Content-Type": "application/x-www-form-urlencoded", "User-Agent": f"visitor-{n}",
                "X-Forwarded-For": f"2001:db8:{n >> 16:x}:{n & 0xFFFF:x}::9", "Origin": "https://popular.example",
                "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
            response = conn.getresponse()
            response.read()
            accepted += response.status < 400
    finally:
        conn.close()
    return accepted


def _load(port: int, stop: threading.Event, accepted: list[int], first: int) -> None:
    """Reports from a crowd (an IPv6 /64 each) on one kept-alive connection until `stop`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = first
    while not stop.is_set():
        n += 1
        try:
            if "id" in _post(conn, f"2001:db8:{n >> 16:x}:{n & 0xFFFF:x}::1", "bench-crowd"):
                accepted.append(1)
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.close()


def _probe(port: int, stop: threading.Event, waits: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            waits.append(time.perf_counter() - started)
        except OSError:
            waits.append(10.0)
        time.sleep(0.05)


def _phase(port: int, first: int) -> tuple[float, float]:
    """(accepted reports a second, /healthz p99 in ms) over one bounded phase."""
    stop, accepted, waits = threading.Event(), [], []
    threads = [threading.Thread(target=_load, args=(port, stop, accepted, first + c * 10**6)) for c in range(CLIENTS)]
    threads.append(threading.Thread(target=_probe, args=(port, stop, waits)))
    for thread in threads:
        thread.start()
    time.sleep(PHASE_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    return len(accepted) / PHASE_SECONDS, stack.percentile(waits, 99) * 1000


def _stall(port: int) -> list[socket.socket]:
    """Sockets that announce a 200-byte report, send 11 bytes of it and wait."""
    socks = []
    for _ in range(SLOW_SOCKETS):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: radar\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 200\r\n\r\n{\"service\":")
        socks.append(sock)
    return socks


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="radar-attack-"))
    redis = start(directory / "redis", persist=False)
    port = stack.free_port()
    env = dict(os.environ, REDIS_URL=redis.url, PORT=str(port), TRUSTED_PROXIES="127.0.0.1/32,::1/128",
               RADAR_REPORT_RATE_LIMIT="", RADAR_SECRET=stack.SECRET,
               RADAR_LOG_FORMAT="json")
    try:
        with stack.process([sys.executable, "-m", "aggregator", "web"], env, port, "/healthz"):
            browsers = _counted(port, [("81.2.69.142", f"browser-{n}") for n in range(1000)])
            addresses = _counted(port, [(f"2001:db8:1:2::{n:x}", "one-browser") for n in range(1, 1001)])
            storm = _storm(port, 1000)
            print(f"attack: one address with 1,000 browsers: {browsers} counted; "
                  f"one IPv6 /64 with 1,000 addresses: {addresses} counted (the allowance is 3); "
                  f"another site's form from 1,000 visitors: {storm} accepted")
            quiet_rate, quiet_p99 = _phase(port, 0)
            socks = _stall(port)
            try:
                slow_rate, slow_p99 = _phase(port, 10**8)
            finally:
                for sock in socks:
                    sock.close()
            print(f"attack: {SLOW_SOCKETS} stalled sockets beside {CLIENTS} reporting connections: "
                  f"/healthz p99 {quiet_p99:.1f} ms without them, {slow_p99:.1f} ms with them; "
                  f"accepted reports {quiet_rate:,.0f}/s without, {slow_rate:,.0f}/s with "
                  f"({slow_rate / quiet_rate:.2f} of the rate)")
    finally:
        redis.stop()
