"""How gunicorn serves the web app: a gunicorn config module (`--config python:aggregator.serving.config`) with the
logging setup and the hooks that keep /metrics right across worker processes."""
from __future__ import annotations

import gc
import shutil
import tempfile
from pathlib import Path

from gunicorn import glogging

from .. import logs
from ..base.settings import Settings

TEMP_PREFIX = "outage-radar-metrics-"


def metrics_dir(configured: str) -> str:
    """The workers' shared metrics directory for this run, emptied: files of an earlier run would be summed in."""
    if not configured:
        return tempfile.mkdtemp(prefix=TEMP_PREFIX)
    path = Path(configured)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return str(path)


logconfig_dict = logs.dict_config(Settings.from_env().RADAR_LOG_FORMAT)


class Logger(glogging.Logger):
    """gunicorn's logger without its access log: the app writes its own line, without the client's address.
    Given a logging config, gunicorn would otherwise build its line for every request for a logger with no handler."""

    access_log_enabled = False


logger_class = Logger

# gunicorn's runtime control socket (for `gunicornc`) defaults to one path in the user's home shared by every
# gunicorn they start, so a second `web` on the machine would contend for it; nothing here uses it.
control_socket_disable = True


def post_worker_init(worker):
    """The app is loaded: its objects (Flask, Plotly, the catalog) leave the garbage collector's generations,
    or every full collection a relay's batch sets off would walk them all (bench/README.md)."""
    gc.freeze()


def child_exit(server, worker):
    """A worker is gone: its live gauges (web workers) stop counting; its counters stay in the sums."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the directory `metrics_dir` made for this run; a configured one is left for the next start."""
    path = Path(Settings.from_env().PROMETHEUS_MULTIPROC_DIR or "")
    if path.name.startswith(TEMP_PREFIX) and path.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(path, ignore_errors=True)
