"""The web server's worker: gunicorn's threaded worker, answering 503 at once when requests queue too long."""
from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from concurrent import futures

from gunicorn.workers.gthread import _DEFER, ThreadWorker

from . import embed, metrics

OVERLOADED = json.dumps({"error": {
    "code": "overloaded", "field": None,
    "message": "the server is taking more reports than it can answer right now — send it again in a second"}
}).encode()
RETRY_AFTER_SECONDS = "1"
SWITCH_INTERVAL = 0.001
SHED_DATA_WAIT = 0.005
SHED_THREADS = 2
REPORTS_PATH = "/api/v1/reports"
NEVER_SHED = ("/healthz", "/readyz", "/metrics")
"""Probes must see a busy server as alive, not failing."""


class Shedding:
    """WSGI middleware: a request marked for shedding gets 503 + Retry-After instead of the app."""

    def __init__(self, app, shed):
        self.app, self.shed = app, shed

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        if self.shed() and path not in NEVER_SHED:
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(OVERLOADED))),
                       ("Retry-After", RETRY_AFTER_SECONDS), ("Cache-Control", "no-store")]
            if path == REPORTS_PATH:
                metrics.REJECTED.labels("overloaded").inc()
                # Widgets on other sites post here: without CORS they could not read that this was a 503.
                headers.extend(embed.CORS_HEADERS.items())
            start_response("503 Service Unavailable", headers)
            return [OVERLOADED]
        return self.app(environ, start_response)


class SheddingWorker(ThreadWorker):
    """Two lanes: requests queue for the worker threads while the oldest waiting one has waited less than the
    budget (RADAR_SHED_AFTER_MS); past it, new requests go to threads of their own that only answer 503.
    A FIFO queue alone would make every request under a burst wait the whole queue, even to be refused."""

    def init_process(self):
        # The accepting loop and the shedding thread wait for the GIL behind the busy request threads; a
        # shorter switch interval than the default 5 ms hands it to them more often.
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._lane = threading.local()
        self._waiting: deque[float] = deque()
        self._shed_pool = futures.ThreadPoolExecutor(max_workers=SHED_THREADS, thread_name_prefix="shed")
        super().init_process()

    def load_wsgi(self):
        super().load_wsgi()
        self.budget = self.wsgi.extensions["radar"].settings.RADAR_SHED_AFTER_MS / 1000
        self.wsgi = Shedding(self.wsgi, lambda: self._lane.shed)

    def enqueue_req(self, conn):
        now = time.monotonic()
        try:
            oldest = self._waiting[0]
        except IndexError:  # none waiting (a thread may take the last one between a check and a read)
            oldest = now
        if self.budget and now - oldest > self.budget:
            future = self._shed_pool.submit(self._handle_in_lane, conn, True)
        else:
            self._waiting.append(now)
            future = self.tpool.submit(self._handle_in_lane, conn, False)
        future.add_done_callback(lambda done: self.method_queue.defer(self.finish_request, conn, done))

    def _handle_in_lane(self, conn, shed: bool):
        if not shed:
            self._waiting.popleft()  # the pool is FIFO: this was the oldest entry
        elif not conn.initialized and not conn.data_ready and not conn.wait_for_data(SHED_DATA_WAIT):
            # A connection that has sent nothing yet (a browser's preconnect, a slow client) goes back to the
            # poller instead of holding the refusing lane, which gunicorn would let it do for seconds.
            return _DEFER
        self._lane.shed = shed
        return self.handle(conn)
