"""The overloaded server's answer (503 + Retry-After), and which waiting requests can get it unparsed."""
from __future__ import annotations

import json
import re
from typing import NamedTuple

from .. import security
from ..embed import CORS_HEADERS
from ..errors import RETRY_AFTER_SECONDS, shape

OVERLOADED = json.dumps(shape(
    "overloaded", "the server is taking more reports than it can answer right now — send it again in a few seconds"
)).encode()
REPORTS_PATH = "/api/v1/reports"
NEVER_SHED = ("/healthz", "/readyz", "/metrics")
"""Probes must see a busy server as alive, not failing."""
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(OVERLOADED))),
           ("Retry-After", str(RETRY_AFTER_SECONDS)), ("Cache-Control", "no-store"),
           # Widgets on other sites post reports: without CORS they could not read that this was a 503.
           *CORS_HEADERS.items(), *security.missing({}).items()]
_STATUS_AND_HEADERS = ("HTTP/1.1 503 Service Unavailable\r\n"
                       + "".join(f"{name}: {value}\r\n" for name, value in HEADERS)).encode("latin-1")
CANNED = _STATUS_AND_HEADERS + b"\r\n" + OVERLOADED
"""The whole answer as bytes, written to the socket without the WSGI machinery; the connection stays open."""
CANNED_CLOSING = _STATUS_AND_HEADERS + b"Connection: close\r\n\r\n" + OVERLOADED
READ_BYTES = 16384
"""A report with its headers fits many times over; a request larger than this takes the parsing lane."""

_REQUEST_LINE = re.compile(rb"[A-Z]+ (/[^ ?]*)[^ ]* HTTP/1\.([01])\r\n")
_FRAMING = re.compile(rb"\r\n(content-length|transfer-encoding|expect)[ \t]*:[ \t]*([^\r]*)", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection[ \t]*:[^\r]*close", re.IGNORECASE)


class Request(NamedTuple):
    path: str
    length: int
    closes: bool
    """The client asked for the connection to close after the answer (HTTP/1.0 always does here)."""


def whole_request(buffered: bytes) -> Request | None:
    """The one HTTP/1.x request at the start of `buffered` if all of it is there, else None.

    None also for anything this cannot frame safely without a parser — chunked bodies, `Expect`, a
    malformed or repeated Content-Length — so that request goes to gunicorn's own parser instead.
    """
    end = buffered.find(b"\r\n\r\n")
    line = _REQUEST_LINE.match(buffered)
    if end < 0 or not line:
        return None
    framing = _FRAMING.findall(buffered, 0, end + 2)
    lengths = [value.strip() for name, value in framing if name.lower() == b"content-length"]
    if len(framing) != len(lengths) or len(lengths) > 1 or not all(v.isdigit() for v in lengths):
        return None
    size = end + 4 + (int(lengths[0]) if lengths else 0)
    if size > len(buffered):
        return None
    closes = line[2] == b"0" or _CLOSE.search(buffered, 0, end + 2) is not None
    return Request(line[1].decode("latin-1"), size, closes)
