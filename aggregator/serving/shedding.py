"""The web server's worker: gunicorn's threaded worker, answering 503 at once when its threads are behind."""
from __future__ import annotations

import errno
import selectors
import sys
import threading
import time
from concurrent import futures
from functools import partial

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn, ThreadWorker

from .. import metrics
from .backlog import Backlog
from .refusal import (
    CANNED,
    CANNED_CLOSING,
    HEADERS,
    NEVER_SHED,
    OVERLOADED,
    READ_BYTES,
    REPORTS_PATH,
    Request,
    whole_request,
)

SWITCH_INTERVAL = 0.001
"""Seconds a thread holds the interpreter lock while another waits. Each socket call of the accepting loop
gives the lock up and waits about this long to get it back behind the busy threads, so the default 5 ms makes
refusals slow; a shorter interval costs single reports throughput and refuses no faster on a quiet machine
(bench/README.md, figures behind the code's choices)."""
SHED_THREADS = 2
ACCEPT_BATCH = 64
"""Connections taken a wake-up of the accepting loop while shedding, at most (gunicorn takes one)."""
DRAIN_READS = 4
"""Reads of what a refused client sent, at most, before closing (a client sending nonstop gets a reset)."""


def count_refusal(path: str) -> None:
    if path == REPORTS_PATH:
        metrics.REJECTED.labels("overloaded").inc()


class Shedding:
    """WSGI middleware: a request marked for shedding gets 503 + Retry-After instead of the app."""

    def __init__(self, app, shed):
        self.app, self.shed = app, shed

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        if self.shed() and path not in NEVER_SHED:
            count_refusal(path)
            start_response("503 Service Unavailable", HEADERS)
            return [OVERLOADED]
        return self.app(environ, start_response)


class SheddingWorker(ThreadWorker):
    """Requests queue for the worker threads while the wait they can expect (`Backlog`) is within the budget
    (RADAR_SHED_AFTER_MS). Past it, the accepting loop itself answers a whole request with a canned 503,
    unparsed, so refusing takes little from the threads; a request it cannot frame (still arriving, chunked,
    larger than it reads) goes to threads of their own that parse it and answer 503. A FIFO queue alone
    would make every request under a burst wait the whole queue, even to be refused."""

    def init_process(self):
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._lane = threading.local()
        self._backlog = Backlog()
        self._shed_pool = futures.ThreadPoolExecutor(max_workers=SHED_THREADS, thread_name_prefix="shed")
        super().init_process()

    def load_wsgi(self):
        super().load_wsgi()
        self.budget = self.wsgi.extensions["radar"].settings.RADAR_SHED_AFTER_MS / 1000
        self.wsgi = Shedding(self.wsgi, lambda: self._lane.shed)

    def accept(self, listener):
        """Past the budget, take the connections waiting, not one a wake-up: each wake-up of this loop waits
        for the interpreter lock behind the busy threads, and the ones left wait in the kernel meanwhile.
        Otherwise one, as gunicorn does, so that the other workers get their share of new connections: a
        worker that takes a client's every connection at once serves them alone, at about half the rate of two."""
        for _ in range(ACCEPT_BATCH if self._behind(time.monotonic()) else 1):
            if self.nr_conns >= self.worker_connections:
                return
            try:
                client, address = listener.accept()
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.ECONNABORTED):
                    return
                raise
            self.nr_conns += 1
            self.enqueue_req(TConn(self.cfg, client, address, listener.getsockname()))

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection sent a request. Past the budget it is refused still registered with the
        poller: taking it out and putting it back would cost two more system calls a refusal."""
        if not self._behind(time.monotonic()):
            super().on_client_socket_readable(conn, client)
            return
        self.keepalived_conns.remove(conn)
        self._shed(conn, registered=True)

    def enqueue_req(self, conn):
        now = time.monotonic()
        if self._behind(now):
            self._shed(conn)
        else:
            self._backlog.arrived(now)
            self._submit(self.tpool, self._work, conn)

    def _behind(self, now: float) -> bool:
        return bool(self.budget) and self._backlog.wait(now) > self.budget

    def _submit(self, pool, lane, conn, registered=False):
        if registered:
            self.poller.unregister(conn.sock)
        future = pool.submit(lane, conn)
        future.add_done_callback(lambda done: self.method_queue.defer(self.finish_request, conn, done))

    def _shed(self, conn, registered=False):
        """Runs in the accepting loop: refuse what can be refused without a parser, hand on the rest.

        Every socket call here lets the busy threads take the interpreter lock, and getting it back takes
        a while under load: so the request is read once, not peeked at first, and handed back to the parser
        when it is not refused."""
        if (self.cfg.is_ssl or conn.is_http2 or negotiation.prior_knowledge_allowed(self.cfg, conn.client)
                or (conn.parser and conn.parser.unreader.buf.getvalue())):
            self._submit(self._shed_pool, self._parse_and_refuse, conn, registered)
            return
        try:
            data = conn.sock.recv(READ_BYTES)
        except BlockingIOError:  # connected, nothing sent yet (a browser's preconnect): no thread waits for it
            self._park(conn, registered)
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn, registered)
            return
        request = whole_request(data)
        if request is not None and request.path not in NEVER_SHED:
            count_refusal(request.path)
            self._refuse(conn, data, request, registered)
            return
        conn.init()
        conn.parser.unreader.unread(data)
        if request is None:  # still arriving, or framed in a way only the parser knows
            self._submit(self._shed_pool, self._parse_and_refuse, conn, registered)
        else:
            self._backlog.arrived(time.monotonic())
            self._submit(self.tpool, self._work, conn, registered)

    def _refuse(self, conn, data: bytes, request: Request, registered: bool):
        """Answer the canned 503. The connection stays open for the client's next request when exactly
        this request was read; otherwise it closes, having read what the client sent: closing on unread
        bytes would send a reset, which can destroy the answer before the client reads it."""
        keep = (len(data) == request.length and not request.closes and self.alive and self.cfg.keepalive
                and len(self.keepalived_conns) < self.max_keepalived)
        try:
            for _ in range(DRAIN_READS if len(data) == READ_BYTES else 0):
                if not conn.sock.recv(READ_BYTES):
                    break
        except OSError:  # all read (BlockingIOError), or the client is gone
            pass
        answer = CANNED if keep else CANNED_CLOSING
        try:
            # A few hundred bytes: room enough for them unless the client reads nothing.
            keep = conn.sock.send(answer) == len(answer) and keep
        except OSError:
            keep = False
        if not keep:
            self._close(conn, registered)
            return
        conn.set_timeout()
        self.keepalived_conns.append(conn)
        if not registered:
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))

    def _close(self, conn, registered=False):
        if registered:
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        conn.close()

    def _park(self, conn, registered=False):
        """Wait in the poller, as gunicorn does for a connection a thread gave back, until it sends something."""
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        callback = partial(self.on_pending_socket_readable, conn)
        if registered:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)

    def _work(self, conn):
        self._backlog.started()
        self._lane.shed = False
        try:
            return self.handle(conn)
        finally:
            self._backlog.finished(time.monotonic())

    def _parse_and_refuse(self, conn):
        self._lane.shed = True
        return self.handle(conn)
