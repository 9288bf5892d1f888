"""A whole-request time limit for urllib: when it passes, the request's socket is shut down, whatever it is doing.

A socket timeout bounds each wait for the next bytes, not the request: a server that sends a byte a second would
hold a status page poll for as long as it likes.
"""
from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.request

from .reach import Reach, SameHostRedirects


class Deadline:
    """Time left for one or more requests, and the sockets to shut when it has run out; use it in a `with`."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.passed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        return max(0.0, self.expires - time.monotonic())

    @property
    def over(self) -> bool:
        """Whether the time has run out (the sockets may not have been shut yet)."""
        return self.passed or not self.remaining()

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the time runs out (at once if it already has)."""
        with self._lock:
            self._sockets.append(sock)
            if self.passed:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            for sock in self._sockets:
                _shut(sock)

    def opener(self, reach: Reach) -> urllib.request.OpenerDirector:
        """A urllib opener for http(s) alone, within `reach`, whose connections are shut down when the time runs out.

        Built by hand rather than by build_opener: no proxy from the environment (the addresses checked would be
        the proxy's), and no file:, ftp: or data: handlers.
        """
        opener = urllib.request.OpenerDirector()
        for handler in (_Handler(self, reach), SameHostRedirects(), urllib.request.HTTPDefaultErrorHandler(),
                        urllib.request.HTTPErrorProcessor(), urllib.request.UnknownHandler()):
            opener.add_handler(handler)
        return opener


def _shut(sock: socket.socket) -> None:
    # shutdown, not close: it wakes a recv blocked in another thread, which then sees the end of the stream.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Watched:
    """A connection that connects only within its reach, and hands its socket, once connected, to its deadline."""

    def __init__(self, *args, deadline: Deadline, reach: Reach, **kwargs):
        super().__init__(*args, **kwargs)
        self._deadline = deadline
        # http.client opens every connection through this, https ones too before their TLS handshake.
        self._create_connection = reach.connect

    def connect(self):
        super().connect()
        self._deadline.watch(self.sock)


class _HTTP(_Watched, http.client.HTTPConnection):
    pass


class _HTTPS(_Watched, http.client.HTTPSConnection):
    pass


class _Handler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Opens http and https URLs on watched connections (and so replaces both of urllib's own handlers)."""

    def __init__(self, deadline: Deadline, reach: Reach):
        super().__init__()
        self._deadline = deadline
        self._reach = reach

    def http_open(self, req):
        self._reach.check_url(req.full_url)  # the poller checks too; this holds for any other use of the opener
        return self.do_open(_HTTP, req, deadline=self._deadline, reach=self._reach)

    def https_open(self, req):
        return self.do_open(_HTTPS, req, context=self._context, deadline=self._deadline, reach=self._reach)
