"""Ingest: POST /api/v1/reports requests/s and latency under the production server, loaded by wrk, beside a
bare Flask app that parses the same JSON and does one XADD under the same gunicorn settings. Target ≥ 0.8."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from aggregator.local_redis import start

from . import stack

SECONDS = 60
ROUNDS = 10
"""Short rounds, many of them: this kind of machine (a shared VM) has quiet and busy spells of seconds, and
rounds that alternate sides spread them over both; the median of the rounds' ratios is printed too."""
CONNECTIONS = 4 * stack.WEB_WORKERS * stack.THREADS
"""Four a thread, as many clients would: with one a thread (8), the kernel often gave all of a round's
connections to one of the two worker processes, which then served them alone at about half the rate —
baseline and project alike, at random, and the rounds' ratios swung 0.3–1.9."""
SCRIPT = Path(__file__).with_name("ingest.lua")


def wrk(port: int, seconds: int = SECONDS, connections: int = CONNECTIONS, env: dict | None = None) -> dict:
    """wrk's summary of one closed-loop run of ingest.lua (single reports; batches when env says so)."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
                          "-s", str(SCRIPT), f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True,
                          env=env)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    summary["rate"] = summary["accepted"] / summary["seconds"]
    return summary


def _line(name: str, s: dict) -> str:
    return (f"{name}: {s['rate']:,.0f} reports/s accepted (202), p50 {s['p50_us'] / 1000:.1f} ms, "
            f"p99 {s['p99_us'] / 1000:.1f} ms, {s['requests'] - s['accepted']} answered otherwise, "
            f"{s['errors']} socket errors or non-2xx")


def alternate(sides: dict[str, tuple[int, int]], store_pid: int, rounds: int = ROUNDS,
              seconds: int = SECONDS // ROUNDS, env=None) -> dict:
    """Load each server (port, pid) in turn, round after round, so a machine that gets busier or quieter
    mid-run moves every side alike; per side: its rates, the total accepted rate, its latencies and the CPU
    its server and Redis spent a report — which, unlike rates, hardly depends on what else the machine runs."""
    for port, _ in sides.values():
        wrk(port, 2, env=env)
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    cpu = dict.fromkeys(sides, 0.0)
    for _ in range(rounds):
        for name, (port, pid) in sides.items():
            before = stack.cpu_seconds(pid) + stack.cpu_seconds(store_pid)
            runs[name].append(wrk(port, seconds, env=env))
            cpu[name] += stack.cpu_seconds(pid) + stack.cpu_seconds(store_pid) - before
    return {name: {"rates": [r["rate"] for r in rs],
                   "rate": sum(r["accepted"] for r in rs) / sum(r["seconds"] for r in rs),
                   "p50_us": sorted(r["p50_us"] for r in rs)[len(rs) // 2],
                   "p99_us": max(r["p99_us"] for r in rs), "requests": sum(r["requests"] for r in rs),
                   "accepted": sum(r["accepted"] for r in rs), "errors": sum(r["errors"] for r in rs),
                   "cpu_us": cpu[name] / max(1, sum(r["accepted"] for r in rs)) * 1e6}
            for name, rs in runs.items()}


def have_wrk(name: str) -> bool:
    """True if wrk is installed; otherwise says that benchmark `name` is skipped, so the others still run."""
    if shutil.which("wrk"):
        return True
    print(f"{name}: skipped — it needs wrk (Debian: apt-get install wrk)")
    return False


MODES = {"a new connection a report": {"RADAR_BENCH_CLOSE": "1"}, "kept-alive connections": {}}
"""How wrk sends: each report on a connection of its own, as a crowd of distinct reporters does (the headline),
and reports one after another on kept-alive connections, as a proxy in front would."""


def _report(mode: str, result: dict) -> None:
    baseline = result["baseline"]
    print(f"ingest, {mode}:")
    print(_line("  baseline (bare Flask, one XADD)", baseline))
    for name, label in (("project", "project (per-client rate limit on, the default)"),
                        ("unlimited", "project with RADAR_REPORT_RATE_LIMIT empty")):
        side = result[name]
        print(_line(f"  {label}", side))
        rounds = [p / b for p, b in zip(side["rates"], baseline["rates"])]
        print(f"  ratio {name} ÷ baseline: {side['rate'] / baseline['rate']:.2f} (target ≥ 0.8), median round "
              f"{statistics.median(rounds):.2f}; per round " + ", ".join(f"{r:.2f}" for r in rounds))
        print(f"  CPU a report, web server + Redis: {name} {side['cpu_us']:.0f} µs, baseline "
              f"{baseline['cpu_us']:.0f} µs; ratio baseline ÷ {name} {baseline['cpu_us'] / side['cpu_us']:.2f}")


def main() -> None:
    if not have_wrk("ingest"):
        return
    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory), persist=False)
        try:
            env = {**os.environ, "REDIS_URL": server.url, "REDIS_DATA_URL": server.url,
                   "TRUSTED_PROXIES": "127.0.0.1", "PYTHONPATH": str(Path(__file__).parent.parent)}
            bare, radar, unlimited = stack.free_port(), stack.free_port(), stack.free_port()
            with stack.gunicorn("bench.bare:app", bare, env) as b, stack.radar_web(radar, env) as r, \
                    stack.radar_web(unlimited, {**env, "RADAR_REPORT_RATE_LIMIT": ""}) as u:
                load = os.getloadavg()[0]
                sides = {"baseline": (bare, b.pid), "project": (radar, r.pid), "unlimited": (unlimited, u.pid)}
                results = {mode: alternate(sides, server.process.pid, env={**os.environ, **extra})
                           for mode, extra in MODES.items()}
        finally:
            server.stop()
    for mode, result in results.items():
        _report(mode, result)
    print(f"ingest: gunicorn gthread, {stack.WEB_WORKERS} workers × {stack.THREADS} threads, wrk 1 thread "
          f"{CONNECTIONS} connections, {ROUNDS} rounds of {SECONDS // ROUNDS} s each a mode, {os.cpu_count()} "
          f"cores, load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
