"""A real Statuspage-like HTTP server on 127.0.0.1 for the tests, and documents in the Statuspage v2 format."""
from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from workers.reach import Reach

LOCAL = Reach(allow_http=True, allow_private=True)
"""What polling the pages below needs: they are plain http on 127.0.0.1."""


def local(ts: float, hours: int = -5) -> str:
    """A time as a status page writes it: milliseconds and the page's own UTC offset."""
    moment = datetime.fromtimestamp(ts, timezone(timedelta(hours=hours)))
    return moment.isoformat(timespec="milliseconds")


def update(uid: str, status: str, created: float, display: float | None = None, body: str = "") -> dict:
    return {"id": uid, "status": status, "body": body or f"We are {status}.", "incident_id": "inc",
            "created_at": local(created), "updated_at": local(created),
            "display_at": local(created if display is None else display), "affected_components": [],
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None}


def incident(iid: str, updates: list[dict], impact: str = "major", name: str = "Elevated errors") -> dict:
    """An incident whose status, times and resolution follow its updates (given newest first, as pages do)."""
    newest, oldest = updates[0], updates[-1]
    resolved = newest["created_at"] if newest["status"] in ("resolved", "postmortem") else None
    return {"id": iid, "name": name, "status": newest["status"], "created_at": oldest["created_at"],
            "updated_at": newest["created_at"], "monitoring_at": None, "resolved_at": resolved, "impact": impact,
            "shortlink": f"https://stspg.io/{iid}", "started_at": oldest["created_at"], "page_id": "page",
            "incident_updates": updates, "components": []}


def incidents_doc(incidents: list[dict]) -> dict:
    return {"page": {"id": "page", "name": "Example", "url": "https://status.example.com",
                     "time_zone": "America/New_York", "updated_at": local(time.time())},
            "incidents": incidents}


def summary_doc(incidents: list[dict], components: dict[str, str]) -> dict:
    unresolved = [i for i in incidents if i["resolved_at"] is None]
    listed = [{"id": f"c{n}", "name": name, "status": status, "group": False, "group_id": None}
              for n, (name, status) in enumerate(components.items())]
    return {**incidents_doc(unresolved), "components": [{"id": "g", "name": "All", "status": "operational",
                                                         "group": True}, *listed],
            "scheduled_maintenances": [], "status": {"indicator": "major", "description": "Partial outage"}}


class StatusPage:
    """Serves /api/v2/incidents.json and /api/v2/summary.json from `documents`, which a test may change.

    Answers 304 to a matching If-None-Match, counts requests, and can hang, send garbage, redirect (`redirects`:
    path to Location), or trickle an answer a byte at a time (`trickle`: seconds between bytes, per path; `sent`:
    bytes each path's answer got out).
    """

    def __init__(self):
        self.documents: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.delay = 0.0
        self.trickle: dict[str, float] = {}
        self.sent: dict[str, int] = {}
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                page.requests.append((self.path, self.headers.get("If-None-Match")))
                if page.delay:
                    time.sleep(page.delay)
                if self.path in page.redirects:
                    self.send_response(302)
                    self.send_header("Location", page.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = page.documents.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                if self.path in page.trickle:
                    self._trickle(etag, body, page.trickle[self.path])
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _trickle(self, etag, body, pause):
                """The whole answer, status line and headers too, one byte per pause until the client goes away."""
                head = (f"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nETag: {etag}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n").encode()
                page.sent[self.path] = 0
                try:
                    for byte in head + body:
                        self.wfile.write(bytes([byte]))
                        page.sent[self.path] += 1
                        time.sleep(pause)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                """Quiet: a poller that gave up on a slow answer has hung up, as it should."""

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def publish(self, incidents: list[dict], components: dict[str, str] | None = None) -> None:
        """Serve these incidents (newest first) and component statuses from now on."""
        self.documents["/api/v2/incidents.json"] = json.dumps(incidents_doc(incidents)).encode()
        self.documents["/api/v2/summary.json"] = json.dumps(
            summary_doc(incidents, components or {"Website": "operational"})).encode()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
