"""The web server's worker: gunicorn's threaded worker, which gathers each request before a thread sees it and
answers 503 at once when its threads are behind."""
from __future__ import annotations

import errno
import selectors
import socket
import sys
import threading
import time
from collections import deque
from concurrent import futures
from functools import partial

from gunicorn import util
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn, ThreadWorker

from .. import metrics
from .backlog import Backlog
from .framing import CONTINUE, MALFORMED, MORE, PARSER, TOO_LARGE, Request, frame
from .refusal import (
    BODY_TOO_LARGE,
    CANNED,
    CANNED_CLOSING,
    HEADERS,
    MALFORMED_BODY,
    NEVER_SHED,
    OVERLOADED,
    REPORTS_PATH,
    TOO_SLOW,
    refused,
)

SWITCH_INTERVAL = 0.001
"""Seconds a thread holds the interpreter lock while another waits. Each socket call of the accepting loop
gives the lock up and waits about this long to get it back behind the busy threads, so the default 5 ms makes
refusals slow; a shorter interval costs single reports throughput and refuses no faster on a quiet machine
(bench/README.md, figures behind the code's choices)."""
SHED_THREADS = 2
ACCEPT_BATCH = 64
"""Connections taken a wake-up of the accepting loop while shedding, at most (gunicorn takes one)."""
READ_BYTES = 16384
"""Bytes read from a client at a time; a report with its headers fits many times over."""
MOST_BODY = 1024 * 1024
"""Bodies up to this size are gathered before a thread sees the request (the batch endpoint takes 512 KiB);
a larger one goes to the parser unread, and the application refuses it by its length."""
CONTINUE_LINE = b"HTTP/1.1 100 Continue\r\n\r\n"


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
    """Slow clients hold no thread: the accepting loop reads each request (`framing.frame`) until all of it is in,
    within RADAR_REQUEST_READ_SECONDS, and only then hands it on. Requests queue for the worker threads while
    the wait they can expect (`Backlog`) is within the budget (RADAR_SHED_AFTER_MS); past it, the loop answers a
    whole request with a canned 503, unparsed, so refusing takes little from the threads, and a request only
    the parser can read goes to threads of their own that parse it and answer 503. A FIFO queue alone would
    make every request under a burst wait the whole queue, even to be refused."""

    def init_process(self):
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._lane = threading.local()
        self._backlog = Backlog()
        self._gathering: deque[TConn] = deque()
        self._shed_pool = futures.ThreadPoolExecutor(max_workers=SHED_THREADS, thread_name_prefix="shed")
        super().init_process()

    def load_wsgi(self):
        super().load_wsgi()
        settings = self.wsgi.extensions["radar"].settings
        self.budget = settings.RADAR_SHED_AFTER_MS / 1000
        self.read_seconds = settings.RADAR_REQUEST_READ_SECONDS
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
            self._arrived(TConn(self.cfg, client, address, listener.getsockname()))

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection sent a request: gathered like a new one, still registered with the poller
        (taking it out and putting it back would cost two more system calls)."""
        self.keepalived_conns.remove(conn)
        self._arrived(conn, registered=True)

    def enqueue_req(self, conn):
        """gunicorn's way back in for a connection whose parser already holds the start of the next request."""
        conn.sock.setblocking(False)  # the thread left it blocking; the accepting loop must never wait on it
        self._arrived(conn, pending=conn.parser.unreader.take_buffered() if conn.parser else b"")

    def murder_pending(self):
        """Besides gunicorn's own, close the connections whose request did not arrive in time, with a 408 if
        any of it came."""
        super().murder_pending()
        now = time.monotonic()
        while self._gathering and self._gathering[0].deadline <= now:
            conn = self._gathering[0]
            if conn.gathered:
                try:
                    conn.sock.send(TOO_SLOW)
                except OSError:
                    pass
            self._close(conn, registered=True)

    def handle_error(self, req, client, addr, exc):
        """gunicorn's parser refused the request: say why in the one error shape, with the usual headers."""
        self.log.warning("refused a request the parser could not read: %s", exc)
        try:
            util.write_nonblock(client, refused(exc))
        except OSError:
            pass

    def _behind(self, now: float) -> bool:
        return bool(self.budget) and self._backlog.wait(now) > self.budget

    def _arrived(self, conn, registered=False, pending=b""):
        """A request is coming on `conn`: start gathering it, with its deadline."""
        conn.gathered = bytearray(pending)
        conn.deadline = time.monotonic() + self.read_seconds
        conn.continued = conn.waiting = conn.ended = False
        if self.cfg.is_ssl or conn.is_http2 or negotiation.prior_knowledge_allowed(self.cfg, conn.client):
            self._hand_over(conn, PARSER, registered)  # only a parser reads TLS and HTTP/2
        else:
            self._gather(conn, registered)

    def _gather(self, conn, registered):
        """Read what the client sent and act on it; runs in the accepting loop, so it never blocks."""
        if not self._read(conn):
            self._close(conn, registered)
            return
        outcome = frame(bytes(conn.gathered), MOST_BODY) if conn.gathered else MORE
        if outcome in (MORE, CONTINUE) and len(conn.gathered) > MOST_BODY:
            outcome = TOO_LARGE  # many small chunks past the most gathered
        if outcome in (MORE, CONTINUE) and conn.ended:
            self._close(conn, registered)  # closed before the request was whole: nobody to answer
            return
        if outcome == CONTINUE and not conn.continued:
            conn.continued = True
            try:
                conn.sock.send(CONTINUE_LINE)
            except OSError:
                self._close(conn, registered)
                return
        if outcome in (MORE, CONTINUE):
            self._wait(conn, registered)
        elif outcome in (MALFORMED, TOO_LARGE):
            self._refuse_and_close(conn, MALFORMED_BODY if outcome == MALFORMED else BODY_TOO_LARGE, registered)
        else:
            self._hand_over(conn, outcome, registered)

    def _read(self, conn) -> bool:
        """Take what the client has sent so far; False once it has failed, or closed with nothing sent.

        A client may send its request and then close its side (`shutdown`): the request is still answered."""
        try:
            while len(conn.gathered) <= MOST_BODY:
                data = conn.sock.recv(READ_BYTES)
                if not data:
                    conn.ended = True
                    return bool(conn.gathered)
                conn.gathered += data
                if len(data) < READ_BYTES:
                    break
        except BlockingIOError:
            pass
        except OSError:
            return False
        return True

    def _refuse_and_close(self, conn, answer: bytes, registered: bool):
        """Answer, then read and drop what the client still sends until it stops or its deadline: closing on
        unread bytes would send a reset, which can destroy the answer before the client reads it."""
        try:
            conn.sock.send(answer)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn, registered)
            return
        conn.gathered = bytearray()  # answered: nothing more to say when its deadline comes
        self._wait(conn, registered, partial(self._drop, conn))

    def _drop(self, conn, client):
        try:
            while conn.sock.recv(READ_BYTES):
                pass
        except BlockingIOError:
            return
        except OSError:
            pass
        self._close(conn, registered=True)

    def _wait(self, conn, registered, callback=None):
        """Wait in the poller for more of the request, until its deadline."""
        callback = callback or partial(self._on_readable, conn)
        if registered:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)
        if not conn.waiting:
            conn.waiting = True
            self._gathering.append(conn)

    def _on_readable(self, conn, client):
        self._gather(conn, registered=True)

    def _done_waiting(self, conn):
        if conn.waiting:
            conn.waiting = False
            self._gathering.remove(conn)

    def _hand_over(self, conn, outcome: Request | str, registered: bool):
        """All of the request is in (or only the parser can read it): refuse it here, or give it to a thread."""
        self._done_waiting(conn)
        now = time.monotonic()
        request = outcome if isinstance(outcome, Request) else None
        shed = self._behind(now) and not (request and request.path in NEVER_SHED)
        if shed and request is not None:
            count_refusal(request.path)
            self._refuse(conn, request, registered)
            return
        if registered:
            self.poller.unregister(conn.sock)
        conn.init()
        conn.sock.setblocking(True)  # a kept-alive connection is already initialised, and was left non-blocking
        if conn.gathered:
            conn.parser.unreader.unread(bytes(conn.gathered))
        if shed:
            self._submit(self._shed_pool, self._parse_and_refuse, conn)
        else:
            self._backlog.arrived(now)
            self._submit(self.tpool, self._work, conn)

    def _submit(self, pool, lane, conn):
        future = pool.submit(lane, conn)
        future.add_done_callback(lambda done: self.method_queue.defer(self.finish_request, conn, done))

    def _refuse(self, conn, request: Request, registered: bool):
        """Answer the canned 503. The connection stays open for the client's next request when exactly this
        request was read; otherwise it closes, as what else came would be unanswered."""
        keep = (len(conn.gathered) == request.length and not request.closes and self.alive and self.cfg.keepalive
                and len(self.keepalived_conns) < self.max_keepalived)
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
        callback = partial(self.on_client_socket_readable, conn)
        if registered:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)

    def _close(self, conn, registered=False):
        self._done_waiting(conn)
        if registered:
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        conn.close()

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
