"""GET /metrics in Prometheus text format: this app's counters, summed over every gunicorn worker, and the
shared state read from Redis at scrape time."""
from __future__ import annotations

import os

from flask import Blueprint, Response, g, request
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from .radar import radar
from .store_metrics import StoreCollector

bp = Blueprint("metrics", __name__)

REPORT_ENDPOINT = "api.post_report"

# Kept out of the default registry: /metrics builds its own, from the workers' files under gunicorn.
LOCAL = CollectorRegistry()
REPORTS = Counter("radar_reports", "reports accepted, by service and whether they were counted or deduped",
                  ["service", "outcome"], registry=LOCAL)
REJECTED = Counter("radar_reports_rejected", "report requests refused, by error code", ["code"], registry=LOCAL)
WEB_WORKERS = Gauge("radar_web_workers", "web worker processes serving requests", registry=LOCAL,
                    multiprocess_mode="livesum")


def accepted(service: str, counted: bool, amount: int = 1) -> None:
    REPORTS.labels(service, "counted" if counted else "deduped").inc(amount)


def note_error(code: str) -> None:
    """Remember the error code of this request's answer, for the rejected-reports counter."""
    g.error_code = code


def rejected(code: str) -> None:
    REJECTED.labels(code).inc()


def _count_rejection(response):
    if request.endpoint == REPORT_ENDPOINT and response.status_code >= 400:
        rejected(g.get("error_code", str(response.status_code)))
    return response


def _multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


@bp.get("/metrics")
def metrics():
    registry = CollectorRegistry(auto_describe=False)
    if _multiprocess_dir():
        MultiProcessCollector(registry, _multiprocess_dir())
    else:
        registry.register(_Local())
    registry.register(StoreCollector(radar()))
    # The 0.0.4 text format: every Prometheus version reads it, and these names need nothing newer.
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)


class _Local:
    """This process's own counters, when it is the only process (no multiprocess directory)."""

    def collect(self):
        return LOCAL.collect()


def init_app(app) -> None:
    WEB_WORKERS.set(1)
    app.after_request(_count_rejection)
    app.register_blueprint(bp)
