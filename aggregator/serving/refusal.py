"""The server's own answers, written without the WSGI machinery: the overload refusal (503 + Retry-After), a
request too slow to arrive (408), and what gunicorn's parser refuses — each in the one error shape."""
from __future__ import annotations

import json
from http import HTTPStatus

from gunicorn.http import errors as parser

from .. import security
from ..embed import CORS_HEADERS
from ..errors import RETRY_AFTER_SECONDS, shape

OVERLOADED = json.dumps(shape(
    "overloaded", "the server is taking more reports than it can answer right now — send it again in a few seconds"
)).encode()
REPORTS_PATH = "/api/v1/reports"
NEVER_SHED = ("/healthz", "/readyz", "/metrics")
"""Probes must see a busy server as alive, not failing."""
# Widgets on other sites post reports: without CORS they could not read that this was a 503.
_EVERY = [("Cache-Control", "no-store"), *CORS_HEADERS.items(), *security.missing({}).items()]
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(OVERLOADED))),
           ("Retry-After", str(RETRY_AFTER_SECONDS)), *_EVERY]


def answer(status: int, headers: list[tuple[str, str]], body: bytes, closing: bool) -> bytes:
    """A whole HTTP/1.1 answer as bytes."""
    head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    return (head + ("Connection: close\r\n" if closing else "") + "\r\n").encode("latin-1") + body


def error(status: int, code: str, message: str) -> bytes:
    """An error answer in the one shape, with the headers every answer gets; the connection closes after it."""
    body = json.dumps(shape(code, message)).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *_EVERY]
    return answer(status, headers, body, closing=True)


CANNED = answer(503, HEADERS, OVERLOADED, closing=False)
"""The overload refusal; the connection stays open for the client's next request."""
CANNED_CLOSING = answer(503, HEADERS, OVERLOADED, closing=True)
TOO_SLOW = error(408, "request_timeout", "the request did not arrive in time")
MALFORMED_BODY = error(400, "malformed_body", "the chunked body is malformed")
BODY_TOO_LARGE = error(413, "request_entity_too_large", "the body is larger than this server takes (1 MiB)")

# What gunicorn's parser refuses, as (status, code); any other parser error is a 400 `bad_request`.
_PARSER_ERRORS = (
    (parser.LimitRequestLine, 414, "uri_too_long"),
    (parser.LimitRequestHeaders, 431, "headers_too_large"),
    (parser.UnsupportedTransferCoding, 501, "not_implemented"),
    (parser.ExpectationFailed, 417, "expectation_failed"),
    (parser.ForbiddenProxyRequest, 403, "forbidden"),
    ((parser.InvalidChunkSize, parser.ChunkMissingTerminator, parser.InvalidChunkExtension), 400, "malformed_body"),
)


def refused(exc: Exception) -> bytes:
    """The answer to a request gunicorn's parser could not take."""
    for kind, status, code in _PARSER_ERRORS:
        if isinstance(exc, kind):
            break
    else:
        status, code = 400, "bad_request"
    return error(status, code, f"the request could not be read: {HTTPStatus(status).phrase.lower()}")
