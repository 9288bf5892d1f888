"""One JSON error shape for every failure: {"error": {"code", "message", "field"}}."""
from __future__ import annotations

import logging

import redis
from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from . import metrics, pages
from .base.exceptions import DataUnavailable, RadarError, StoreFull
from .radar import MAX_BODY_BYTES

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

STORE_DOWN = "data temporarily unavailable — try again in a few seconds"
STORE_FULL = "the data store is full, so nothing was stored — try again later"
UNEXPECTED = "something went wrong on our side; it has been logged"


def shape(code: str, message: str, field: str | None = None) -> dict:
    """The body of every error answer."""
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(status: int, code: str, message: str, field: str | None = None):
    metrics.note_error(code)
    response = jsonify(shape(code, message, field))
    response.status_code = status
    if status in (429, 503):
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _radar_error(exc: RadarError):
    template = _page_template() if request.method in ("GET", "HEAD") else None
    if template:  # a page's visitor over the read limit gets a page that says so
        metrics.note_error(exc.code)
        return render_template(template, message=exc.message), exc.status, exc.headers
    response = error_response(exc.status, exc.code, exc.message, exc.field)
    response.headers.update(exc.headers)
    return response


def _http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    messages = {
        404: "no such page or endpoint",
        405: "method not allowed here",
        413: f"the body is larger than {request.max_content_length or MAX_BODY_BYTES} bytes",
    }
    response = error_response(exc.code or 500, code, messages.get(exc.code, (exc.description or code).lower()))
    # Keep what the exception says beyond its page, such as the Allow header a 405 must carry.
    response.headers.extend((k, v) for k, v in exc.get_headers() if k.lower() != "content-type")
    return response


def shown_as_page(template: str):
    """Mark a view whose failures are pages rendered with `template` (its own links and look), not JSON."""
    def mark(view):
        view.error_template = template
        return view
    return mark


def _page_template() -> str | None:
    """The template the current request's failure is shown with; None for a JSON answer."""
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and hasattr(view, "error_template"):
        return view.error_template
    return "error.html" if request.blueprint == "pages" or pages.wants_page() else None


def is_full(exc: redis.RedisError) -> bool:
    """Redis at its maxmemory: an OOM answer, which a Lua script's write passes on inside its own error."""
    return isinstance(exc, redis.exceptions.OutOfMemoryError) or (
        isinstance(exc, redis.ResponseError) and "OOM command not allowed" in str(exc))


def store_error(exc: redis.RedisError) -> DataUnavailable:
    """What a Redis failure means to the client, logged: the store is full, or away for a moment."""
    if is_full(exc):
        # An operator must act (raise maxmemory, add masters): until then every write is refused.
        log.error("data store is full (maxmemory reached) and refuses writes: %s", exc)
        return StoreFull(STORE_FULL)
    log.warning("data store unavailable: %s", exc)
    return DataUnavailable(STORE_DOWN)


def retry_after(error: RadarError) -> str:
    return error.headers.get("Retry-After", str(RETRY_AFTER_SECONDS))


def _redis_down(exc: redis.RedisError):
    error = store_error(exc)
    template = _page_template()
    if template:
        metrics.note_error(error.code)
        return render_template(template, message=error.message), error.status, {"Retry-After": retry_after(error)}
    return _radar_error(error)


def _unexpected(exc: Exception):
    log.exception("unhandled error")
    return error_response(500, "internal_error", UNEXPECTED)


def init_app(app: Flask) -> None:
    app.register_error_handler(RadarError, _radar_error)
    app.register_error_handler(HTTPException, _http_error)
    # Every Redis failure is the store's state, not the request's fault: out of memory, MISCONF (disk full),
    # READONLY after a failover, as well as connection loss; the client should come back later.
    app.register_error_handler(redis.RedisError, _redis_down)
    app.register_error_handler(Exception, _unexpected)
