"""Structured logs: one JSON object per line (plain text on a terminal), and a request id on every line logged
while serving a request."""
from __future__ import annotations

import ipaddress
import json
import logging
import logging.config
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"

# An incoming id is kept only if it is short and plain: anything else could forge or break log lines.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms")
"""Fields a line carries when it belongs to a request (request_id on every one, the rest on the access line)."""

access = logging.getLogger("aggregator.access")

SERVING: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being served outside Flask (see `fastpath`); inside Flask it is in `g`."""


def request_id(incoming: str | None) -> str:
    """The incoming X-Request-ID if it is a plain token, else a new random one."""
    if incoming and _VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each record logged while it is being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request_id"):
            return True
        if SERVING.get() is not None:
            record.request_id = SERVING.get()
        elif has_request_context() and "request_id" in g:
            record.request_id = g.request_id
        return True


_ADDRESS_LIKE = re.compile(r"[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*")
_QUERY = re.compile(r"(/[^\s?]*)\?\S*")


def _not_an_address(match: re.Match) -> str:
    text = match.group(0)
    if match.string[max(0, match.start() - 3):match.start()] == "://":  # a URL of ours ("Listening at")
        return text
    for end in range(len(text), max(len(text) - 2, 0), -1):  # "ip=1.2.3.4:" ends in punctuation
        try:
            ipaddress.ip_address(text[:end])
        except ValueError:
            continue
        return "[address]" + text[end:]
    return text


def scrub(message: str) -> str:
    """The message without IP addresses or query strings: gunicorn's own lines name the client."""
    return _QUERY.sub(r"\1?[query]", _ADDRESS_LIKE.sub(_not_an_address, message))


class NoAddressFilter(logging.Filter):
    """Rewrites every record so that no line carries a client's address (gunicorn logs `ip=…` on bad requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "server_addresses", False):  # a line that says so names servers only, never a client
            return True
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, the request fields present, and the traceback if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update({name: getattr(record, name) for name in REQUEST_FIELDS if hasattr(record, name)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """One readable line: time, level, logger, message, then the request id in brackets when there is one."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request = getattr(record, "request_id", None)
        return f"{line} [{request}]" if request else line


class RoutineToDebug(logging.Filter):
    """RQ cron's line for each job it enqueues becomes a debug line: at INFO it would come every few seconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and str(record.msg).startswith("Enqueued job"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            # The logger let it through as INFO; as DEBUG it is printed only where debug lines are wanted.
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def chosen_format(fmt: str, stream=None) -> str:
    """`json` or `text`: `auto` is text when the log stream (stderr) is a terminal, else JSON for collectors."""
    if fmt != "auto":
        return fmt
    stream = sys.stderr if stream is None else stream
    try:
        return "text" if stream.isatty() else "json"
    except (AttributeError, ValueError):  # no stream, or a closed one
        return "json"


def dict_config(fmt: str) -> dict:
    """logging.config.dictConfig for a process: everything to stderr in `fmt`, gunicorn's own lines too."""
    formatter = TextFormatter if chosen_format(fmt) == "text" else JsonFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"radar": {"()": f"{__name__}.{formatter.__name__}"}},
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"},
                    "no_address": {"()": f"{__name__}.NoAddressFilter"},
                    "routine": {"()": f"{__name__}.RoutineToDebug"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "radar", "filters": ["request_id", "no_address"]}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        # gunicorn's lines go through the same handler; its access log stays off: it would print addresses.
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
                    "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
                    "rq.cron": {"filters": ["routine"]}},
    }


def configure(fmt: str) -> None:
    logging.config.dictConfig(dict_config(fmt))


def _start():
    g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def access_line(method: str, path: str, status: int, started: float, **extra) -> None:
    """The one access line of a request; the path only: never the client's address, and no query string."""
    access.info("%s %s %s", method, path, status,
                extra={"method": method, "path": path, "status": status,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1), **extra})


def _finish(response):
    response.headers[REQUEST_ID_HEADER] = g.request_id
    access_line(request.method, request.path, response.status_code, g.request_started)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
