"""POST /api/v1/reports's common case without the framework: a JSON report checked, stored and answered 202.

Flask's request and response machinery costs a report about as much as everything the report itself needs
(bench/README.md). This path takes a JSON body straight from WSGI through the view's own steps
(`intake.incoming`, `intake.store`, `intake.receipt`) and answers with the headers every response gets. Anything
else — a form, a body that is not a good report, a client over its limit — goes on to Flask as it came,
before anything is stored, so it gets the answer the view gives.
"""
from __future__ import annotations

import io
import logging
import time
from http import HTTPStatus

import redis
from flask import Flask

from .. import caching, catalog_sync, geo, intake, logs, metrics, origins, security
from ..base.exceptions import RateLimited
from ..embed import CORS_HEADERS
from ..errors import UNEXPECTED, retry_after, shape, store_error
from ..radar import MAX_BODY_BYTES

log = logging.getLogger(__name__)

PATH = "/api/v1/reports"


def _is_json(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() == "application/json"


class ReportFastPath:
    """WSGI middleware in front of a Flask app's own WSGI callable (see the module docstring)."""

    def __init__(self, app: Flask):
        self.app = app
        self.next = app.wsgi_app
        # The Cache-Control Flask's answers to a POST get (aggregator/caching.py).
        self.headers = [*CORS_HEADERS.items(), ("Cache-Control", caching.NO_STORE), *security.missing({}).items()]

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH") or ""
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST"
                or not _is_json(environ.get("CONTENT_TYPE", "")) or not length.isdigit()
                or int(length) > MAX_BODY_BYTES):
            return self.next(environ, start_response)
        started = time.perf_counter()
        raw = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(raw)  # Flask reads it again if the report goes on to it
        request_id = logs.request_id(environ.get("HTTP_X_REQUEST_ID"))
        token = logs.SERVING.set(request_id)
        try:
            return self._serve(environ, start_response, raw, started, request_id)
        finally:
            logs.SERVING.reset(token)

    def _serve(self, environ, start_response, raw: bytes, started: float, request_id: str):
        r = self.app.extensions["radar"]
        catalog_sync.follow(self.app)
        country = r.settings.RADAR_COUNTRY_HEADER
        try:
            address = geo.client_address(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"),
                                         r.settings.TRUSTED_PROXIES)
            item = intake.incoming(r, self.app.json.loads(raw), address, environ.get("HTTP_USER_AGENT", ""),
                                   environ.get("HTTP_" + country.upper().replace("-", "_")) if country else None,
                                   origins.of_request(environ, r.settings.RADAR_PUBLIC_URL))
        except Exception:  # noqa: BLE001 — nothing is stored yet: the view gives every refusal its answer
            return self.next(environ, start_response)
        try:
            accepted = intake.store(r, item)
        except RateLimited:  # refused before anything was written
            return self.next(environ, start_response)
        except redis.RedisError as exc:
            # Not handed on: a write that timed out may have happened, and must not be made twice.
            error = store_error(exc)
            metrics.rejected(error.code)
            return self._answer(start_response, started, request_id, 503, shape(error.code, error.message),
                                [("Retry-After", retry_after(error))])
        except Exception:
            log.exception("unhandled error")
            metrics.rejected("internal_error")
            return self._answer(start_response, started, request_id, 500, shape("internal_error", UNEXPECTED))
        return self._answer(start_response, started, request_id, 202, intake.receipt(item, accepted))

    def _answer(self, start_response, started: float, request_id: str, status: int, body: dict, extra=()):
        data = (self.app.json.dumps(body, separators=(",", ":")) + "\n").encode()
        start_response(f"{status} {HTTPStatus(status).phrase.upper()}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *extra,
                        (logs.REQUEST_ID_HEADER, request_id), *self.headers])
        logs.access_line("POST", PATH, status, started)
        return [data]
