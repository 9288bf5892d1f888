"""Status page polls against local servers: how long a page that trickles or hangs holds a poll, and what a
conditional (304) poll costs against a full one."""
from __future__ import annotations

import json
import socketserver
import statistics
import tempfile
import threading
import time
import urllib.request

from aggregator.base.catalog import Service
from aggregator.base.settings import Settings
from aggregator.base.stores import data_client
from aggregator.local_redis import start
from workers import keys
from workers.poller import poll_page, poll_pages
from workers.reach import Reach

TIMEOUT = 2
PAUSE = 0.01
"""Seconds between the bytes of a trickling answer."""
ROUNDS = 20
LOCAL = Reach(allow_http=True, allow_private=True)
"""The pages here are plain http on 127.0.0.1."""


def _update(n: int, status: str, at: str) -> dict:
    return {"id": f"u{n}{status}", "status": status, "created_at": at, "display_at": at, "body": "We are on it."}


def _page(incidents: int) -> dict[str, bytes]:
    """incidents.json and summary.json of a page with this many resolved incidents."""
    listed = [{"id": f"i{n}", "name": f"Incident {n}", "status": "resolved", "impact": "minor",
               "created_at": "2026-11-20T10:00:00Z", "started_at": "2026-11-20T10:00:00Z",
               "resolved_at": "2026-11-20T11:00:00Z", "shortlink": None,
               "incident_updates": [_update(n, "resolved", "2026-11-20T11:00:00Z"),
                                    _update(n, "investigating", "2026-11-20T10:00:00Z")]} for n in range(incidents)]
    summary = {"incidents": [], "components": [{"id": "c", "name": "API", "status": "operational"}]}
    return {"/api/v2/incidents.json": json.dumps({"incidents": listed}).encode(),
            "/api/v2/summary.json": json.dumps(summary).encode()}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(documents: dict[str, bytes], pause: float = 0.0, hang: bool = False) -> tuple[_Server, str]:
    """An HTTP/1.0 server on 127.0.0.1 with an ETag per document; it may trickle its answers or never answer."""
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            request = [self.rfile.readline()]
            while request[-1] not in (b"\r\n", b"\n", b""):
                request.append(self.rfile.readline())
            if hang:
                self.rfile.read()  # until the client goes away
                return
            path = request[0].split()[1].decode()
            body = documents[path]
            etag = f'"{hash(body)}"'
            if any(line.lower().startswith(b"if-none-match: " + etag.encode()) for line in request):
                self.wfile.write(b"HTTP/1.0 304 Not Modified\r\n\r\n")
                return
            answer = (f"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nETag: {etag}\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            try:
                for n in range(0, len(answer), 1 if pause else len(answer)):
                    self.wfile.write(answer[n:n + (1 if pause else len(answer))])
                    time.sleep(pause)
            except OSError:
                pass

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _timed(call) -> tuple[float, object]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        redis_server = start(directory, persist=False)
        try:
            redis = data_client(Settings.from_env(REDIS_URL=redis_server.url))
            small = _page(3)
            trickling, url = serve(small, pause=PAUSE)
            length = len(small["/api/v2/incidents.json"])
            seconds, outcome = _timed(lambda: poll_page(redis, ["t"], url, 120, TIMEOUT, time.time(), LOCAL))
            plain, _ = _timed(lambda: urllib.request.urlopen(url + "/api/v2/incidents.json", timeout=TIMEOUT).read())
            trickling.shutdown()
            print(f"trickle, a byte every {PAUSE * 1000:g} ms ({length:,}-byte incidents.json), timeout {TIMEOUT} s: "
                  f"poll {outcome} after {seconds:.2f} s; a plain urlopen with the same timeout read it "
                  f"for {plain:.2f} s")

            servers = [serve(_page(50)) for _ in range(7)] + [serve({}, hang=True)]
            services = [Service(f"s{n}", f"S{n}", statuspage_api=u) for n, (_, u) in enumerate(servers)]
            seconds, outcomes = _timed(lambda: poll_pages(redis, services, 120, TIMEOUT, time.time(), LOCAL))
            print(f"8 pages, one never answering, timeout {TIMEOUT} s: all polled in {seconds:.2f} s "
                  f"({sorted(outcomes.values())})")

            base = servers[0][1]
            full, conditional = [], []
            for _ in range(ROUNDS):
                redis.delete(keys.official_poll("b"))
                full.append(_timed(lambda: poll_page(redis, ["b"], base, 120, TIMEOUT, time.time(), LOCAL))[0])
                conditional.append(_timed(lambda: poll_page(redis, ["b"], base, 120, TIMEOUT, time.time(), LOCAL))[0])
            print(f"a 50-incident page: full poll median {statistics.median(full) * 1000:.1f} ms, "
                  f"conditional (304) {statistics.median(conditional) * 1000:.1f} ms over {ROUNDS} rounds")
            for server, _ in servers:
                server.shutdown()
        finally:
            redis_server.stop()


if __name__ == "__main__":
    main()
