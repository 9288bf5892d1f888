"""The public service page: GET /claude requests/s under `python -m aggregator web`, with an outage's data, beside
a bare Flask page of the same size served by the same gunicorn command and config; and the page's weight as
Chromium loads it. Targets: ≥ 0.5 × the bare page's rate; ≤ 60 KB in all."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from aggregator.base.catalog import load_catalog
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client, queue_client
from aggregator.local_redis import start
from aggregator.serving import gunicorn_command
from workers.demo import OUTAGE_SERVICE, replay_detection, seed, seed_official

from . import stack
from .ingest import have_wrk

PATH = f"/{OUTAGE_SERVICE}"
SECONDS = 5
ROUNDS = 3
CONNECTIONS = 64
SCRIPT = Path(__file__).with_name("page.lua")
WEIGHT_TARGET = 60 * 1024
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def seed_outage(settings: Settings) -> None:
    """The demo's days of reports for the outage service with its replayed outage, incident and vendor posts."""
    services = [load_catalog(settings.RADAR_SERVICES_FILE).get(OUTAGE_SERVICE)]
    now = time.time()
    with data_client(settings) as data, queue_client(settings) as queue:
        seeded = seed(data, services, now)
        if seeded.outage is not None:
            replay_detection(data, queue, settings, services, seeded.outage, now)
        seed_official(data, services, now)


def wrk(port: int, path: str, seconds: int) -> dict:
    """wrk's summary of one closed-loop run of page.lua against `path`."""
    out = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency",
                          "-s", str(SCRIPT), f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True,
                         env={**os.environ, "RADAR_BENCH_PATH": path})
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    summary["rate"] = summary["answered"] / summary["seconds"]
    return summary


def alternate(sides: dict[str, tuple[int, str, int]], store_pid: int, rounds: int, seconds: int) -> dict[str, dict]:
    """Each side (port, path, server pid) loaded in turn, round after round, so the machine's busy spells fall on
    both; with the CPU its server and Redis spent a page answered, which depends far less on those spells."""
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    cpu = dict.fromkeys(sides, 0.0)
    for _ in range(rounds):
        for name, (port, path, pid) in sides.items():
            before = stack.cpu_seconds(pid) + stack.cpu_seconds(store_pid)
            runs[name].append(wrk(port, path, seconds))
            cpu[name] += stack.cpu_seconds(pid) + stack.cpu_seconds(store_pid) - before
    return {name: {"rate": sum(r["answered"] for r in rs) / sum(r["seconds"] for r in rs),
                   "cpu_us": cpu[name] / max(1, sum(r["answered"] for r in rs)) * 1e6,
                   **{count: sum(r[count] for r in rs) for count in ("requests", "answered", "limited", "shed")},
                   "p50_us": sorted(r["p50_us"] for r in rs)[len(rs) // 2], "p99_us": max(r["p99_us"] for r in rs),
                   "errors": sum(r["errors"] for r in rs)} for name, rs in runs.items()}


def weight(url: str) -> dict:
    """Bytes Chromium transfers loading `url` (headers and bodies of every request), by resource type."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page()
            loaded = []
            page.on("requestfinished", lambda request: loaded.append(request))
            page.goto(url, wait_until="networkidle")
            by_type: dict[str, int] = {}
            for request in loaded:
                sizes = request.sizes()
                size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
                by_type[request.resource_type] = by_type.get(request.resource_type, 0) + size
        finally:
            browser.close()
    return {"bytes": sum(by_type.values()), "requests": len(loaded), "by_type": by_type}


def _get(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    body = conn.getresponse().read()
    conn.close()
    return body


def _line(name: str, s: dict) -> str:
    return (f"  {name}: {s['rate']:,.0f} pages/s (200), p50 {s['p50_us'] / 1000:.1f} ms, "
            f"p99 {s['p99_us'] / 1000:.1f} ms; {s['shed']} shed (503), {s['limited']} limited (429), "
            f"{s['requests'] - s['answered'] - s['shed'] - s['limited']} other answers, {s['errors']} socket errors; "
            f"CPU {s['cpu_us']:,.0f} µs a page (web server + Redis)")


def main(seconds: int = SECONDS, rounds: int = ROUNDS) -> None:
    if not have_wrk("public"):
        return
    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory) / "redis", persist=False)
        try:
            env = {**os.environ, "REDIS_URL": server.url, "REDIS_DATA_URL": server.url, "RADAR_SECRET": stack.SECRET,
                   "TRUSTED_PROXIES": "127.0.0.1", "RADAR_VAR_DIR": directory,
                   "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(dir=directory),
                   "PYTHONPATH": str(Path(__file__).parent.parent)}
            seed_outage(Settings.from_env(REDIS_URL=server.url))
            radar, bare = stack.free_port(), stack.free_port()
            with stack.radar_web(radar, env) as r:
                page_bytes = len(_get(radar, PATH))
                bare_command = gunicorn_command(f"127.0.0.1:{bare}", stack.WEB_WORKERS, stack.THREADS, "bench.bare:app")
                with stack.process(bare_command, {**env, "BENCH_PAGE_BYTES": str(page_bytes)}, bare, "/") as b:
                    sides = {"bare": (bare, "/page", b.pid), "service": (radar, PATH, r.pid)}
                    load = os.getloadavg()[0]
                    alternate(sides, server.process.pid, 1, 1)  # warm-up: imports, templates, the first snapshot
                    result = alternate(sides, server.process.pid, rounds, seconds)
                weighed = weight(f"http://127.0.0.1:{radar}{PATH}")
        finally:
            server.stop()
    print(f"public, GET {PATH} ({page_bytes:,} bytes of HTML) beside a bare Flask page of the same size:")
    print(_line("bare Flask page, same gunicorn command and config", result["bare"]))
    print(_line(f"service page {PATH}", result["service"]))
    print(f"  ratio service ÷ bare: {result['service']['rate'] / result['bare']['rate']:.2f} (target ≥ 0.5); "
          f"CPU a page, bare ÷ service: {result['bare']['cpu_us'] / result['service']['cpu_us']:.2f}")
    kinds = ", ".join(f"{kind} {size:,}" for kind, size in sorted(weighed["by_type"].items()))
    scripts = weighed["by_type"].get("script", 0)
    print(f"  page weight in Chromium: {weighed['bytes']:,} bytes in {weighed['requests']} requests ({kinds}); "
          f"target ≤ {WEIGHT_TARGET:,}; scripts: {'yes' if scripts else 'none'}")
    print(f"public: gunicorn with the shedding worker, {stack.WEB_WORKERS} workers × {stack.THREADS} threads, "
          f"RADAR_PAGE_SNAPSHOT_SECONDS {Settings.from_env().RADAR_PAGE_SNAPSHOT_SECONDS}, wrk 1 thread "
          f"{CONNECTIONS} connections, {rounds} rounds of {seconds} s a side, {os.cpu_count()} cores, "
          f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
