"""An open-loop HTTP load generator: request i is due at start + i / rate whether or not earlier ones were
answered, so a slow server cannot slow the load down (no coordinated omission)."""
from __future__ import annotations

import asyncio
import gc
import json
import random
import time
from dataclasses import dataclass

import uvloop

SURFACES = ("website", "desktop", "mobile", "api")
REUSE_SECONDS = 1.0
"""Idle connections older than this are not reused: gunicorn closes kept-alive connections after 2 s, and a
request racing that close would be counted as a failure of the server."""


@dataclass
class Answer:
    due: float
    """When the request should have been sent (monotonic seconds); latency counts from here."""
    status: int
    latency: float
    late: float
    """How long after `due` the generator really sent it: on a busy machine the load tool lags too."""
    retry_after: str | None
    body: bytes


def report_request(n: int, service: str = "claude") -> bytes:
    """POST /api/v1/reports from a distinct client (X-Forwarded-For in the 198.18.0.0/15 benchmarking range)."""
    body = json.dumps({"service": service, "surface": SURFACES[n % 4]}).encode()
    address = f"198.{18 + n % 2}.{n // 250 % 256}.{n % 250 + 1}"
    return (f"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"User-Agent: bench-{n}-{random.random():.6f}\r\nX-Forwarded-For: {address}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _exchange(reader, writer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    return int(lines[0].split()[1]), headers, body


async def _run(port: int, rate: float, requests: list[bytes], timeout: float, max_connections: int):
    idle: list = []
    answers: list[Answer] = []
    failures: list[str] = []
    opened = 0
    start = time.monotonic()

    async def one(n: int, due: float) -> None:
        nonlocal opened
        if idle and time.monotonic() - idle[-1][2] > REUSE_SECONDS:  # the newest is too old: all are
            for _, stale, _ in idle:
                stale.close()
            opened -= len(idle)
            idle.clear()
        if idle:
            reader, writer, _ = idle.pop()
        elif opened < max_connections:
            opened += 1
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError as exc:
                failures.append(type(exc).__name__)
                opened -= 1
                return
        else:
            failures.append("no connection free")
            return
        sent = time.monotonic()
        try:
            async with asyncio.timeout(timeout):  # unlike wait_for, no task of its own a request
                status, headers, body = await _exchange(reader, writer, requests[n])
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
            failures.append(type(exc).__name__)
            writer.close()
            opened -= 1
            return
        answers.append(Answer(due, status, time.monotonic() - due, sent - due, headers.get("retry-after"), body))
        if headers.get("connection", "").lower() == "close":  # a request sent on it would be lost, not refused
            writer.close()
            opened -= 1
        else:
            idle.append((reader, writer, time.monotonic()))

    tasks = []
    for n in range(len(requests)):
        due = start + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    for _, writer, _ in idle:
        writer.close()
    return answers, failures, time.monotonic() - start


def open_loop(port: int, rate: float, seconds: float, make=report_request, timeout: float = 10.0,
              max_connections: int = 2000) -> tuple[list[Answer], list[str], float]:
    """Offer rate requests/s for seconds; the answers, the failures (timeouts, resets) and the time it took.

    The generator shares the machine with the server, so it does little per request: the requests are made
    before the clock starts, uvloop runs the event loop, and the garbage collector is off while it runs —
    its full collections over the growing list of answers stopped the loop for 200 ms at a time, sending
    late and reading answers late (wrk, written in C, has no such pauses); a run is bounded, so is the
    garbage.
    """
    requests = [make(n) for n in range(int(rate * seconds))]
    gc.collect()
    gc.disable()
    try:
        return uvloop.run(_run(port, rate, requests, timeout, max_connections))
    finally:
        gc.enable()
