"""How the app is served: gunicorn's config, the shedding worker and its backlog, the refusal, the fast path."""
import sys

APP = "aggregator:create_app()"


def gunicorn_command(bind: str, workers: int, threads: int, app: str = APP) -> list[str]:
    """The command line `web` runs gunicorn with; the benchmarks serve their baselines with the same one."""
    return [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(workers),
            "--worker-class", "aggregator.serving.shedding.SheddingWorker", "--threads", str(threads),
            "--graceful-timeout", "10", "--config", "python:aggregator.serving.config", app]
