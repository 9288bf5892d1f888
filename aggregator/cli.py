"""`python -m aggregator`: run everything, or one part (web, worker, scheduler), or simulate reports."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from .base.exceptions import RadarError
from .base.settings import SECRET_MISSING, SETTINGS, Settings
from .supervise import Part, supervise


class SettingOption(click.Option):
    """An option that overrides one setting for this command: parsed and documented as the setting is."""

    def __init__(self, decls, setting: str, **kwargs):
        spec = next(s for s in SETTINGS if s.name == setting)
        self.setting = spec.name

        def parse(ctx, param, value):
            if value is None:
                return None
            try:
                return spec.parse(value)
            except ValueError as exc:
                raise click.BadParameter(str(exc)) from None

        super().__init__(decls, default=None, callback=parse, metavar=kwargs.pop("metavar", "TEXT"),
                         help=f"{spec.help[:1].upper()}{spec.help[1:]}  [default: ${spec.name}, else {spec.default}]",
                         **kwargs)


def _settings(**overrides) -> Settings:
    """The settings from the environment, with the options that were given."""
    try:
        return Settings.from_env(**{name: value for name, value in overrides.items() if value is not None})
    except RadarError as exc:
        raise click.UsageError(exc.message) from None


def _redis_urls(settings: Settings) -> Settings:
    """Settings whose Redis URLs point somewhere: the embedded server under RADAR_VAR_DIR if none is set."""
    if settings.REDIS_URL:
        return settings
    from .local_redis import attach
    existing = attach(settings.RADAR_VAR_DIR)
    if existing is None:
        raise click.UsageError("REDIS_URL is not set and no embedded Redis is running under "
                               f"{settings.RADAR_VAR_DIR}/ — use `python -m aggregator run`, or set REDIS_URL")
    return dataclasses.replace(settings, REDIS_URL=existing.url,
                               REDIS_DATA_URL=settings.REDIS_DATA_URL or existing.url)


def _web_secret(settings: Settings) -> str:
    """RADAR_SECRET; without it, the one `run` keeps beside its embedded Redis, if that is where the data goes."""
    if settings.RADAR_SECRET:
        return settings.RADAR_SECRET
    from .identity import read_local_secret
    from .local_redis import LocalRedis
    embedded = LocalRedis(Path(settings.RADAR_VAR_DIR).resolve(), None).url
    secret = read_local_secret(settings.RADAR_VAR_DIR) if settings.REDIS_DATA_URL == embedded else ""
    if not secret:
        raise click.ClickException(SECRET_MISSING)
    return secret


@click.group(help=__doc__)
def main():
    pass


@main.command()
@click.option("--host", cls=SettingOption, setting="HOST", metavar="ADDRESS")
@click.option("--port", cls=SettingOption, setting="PORT", metavar="PORT")
@click.option("--workers", "rq_workers", envvar="RADAR_RQ_WORKERS", default=1, show_default=True, type=int,
              help="RQ worker processes to start.")
@click.option("--demo-data/--no-demo-data", envvar="RADAR_DEMO_DATA", default=True, show_default=True,
              help="Write a few days of demo reports, with a replayed outage of claude, before starting.")
def run(host, port, rq_workers, demo_data):
    """All in one: Redis (embedded unless REDIS_URL is set), the web app, RQ workers and the scheduler."""
    settings = _settings(HOST=host, PORT=port)
    env = dict(os.environ, HOST=settings.HOST, PORT=str(settings.PORT))
    # The demo trusts X-Forwarded-For from this machine only, so `simulate` can spread reports over regions.
    env.setdefault("TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
    if not settings.RADAR_SECRET:
        from .identity import local_secret
        try:
            env["RADAR_SECRET"] = local_secret(settings.RADAR_VAR_DIR)
        except (OSError, RadarError) as exc:
            raise click.ClickException(f"no secret for the reporter hashes: {exc}") from None

    def stop(*_):
        raise KeyboardInterrupt

    # SIGINT too: a shell starting `run` in the background sets it to "ignore", which Python would keep.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server, parts = None, []
    try:
        if not settings.REDIS_URL:
            from .local_redis import start
            try:
                server = start(settings.RADAR_VAR_DIR, maxmemory=settings.RADAR_REDIS_MAXMEMORY)
            except RuntimeError as exc:
                raise click.ClickException(str(exc)) from None
            env["REDIS_URL"] = server.url
            click.echo(f"embedded Redis: {server.url}")
        if demo_data:
            from workers.demo import seed_catalog
            click.echo(seed_catalog(Settings.from_env(REDIS_URL=env["REDIS_URL"]), time.time()))
        command = [sys.executable, "-m", "aggregator"]
        for name in ["web", *["worker"] * rq_workers, "scheduler"]:
            parts.append(Part(name, [*command, name], env))
            parts[-1].start()
        url = f"http://{_url_host(settings.HOST)}:{settings.PORT}/"
        waiting = _wait_until_up(url, env["REDIS_URL"], [part.process for part in parts])
        if all(part.running for part in parts):
            if waiting:
                click.echo(f"not up after {UP_TIMEOUT:.0f} s: {', '.join(waiting)}", err=True)
            # Last, once the parts' start-up lines are out: the line a person at the terminal looks for.
            click.echo(f"Outage Radar is running at {url} — Ctrl-C stops it")
        click.echo(supervise(parts, lambda line: click.echo(line, err=True)), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("stopping…")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_all([part.process for part in parts if part.process is not None])
        if server is not None:
            server.stop()


UP_TIMEOUT = 60.0
"""Seconds `run` waits for its parts to answer before it prints the address anyway."""


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _probe_url(url: str) -> str:
    """`url` with a wildcard listening address replaced by this machine's loopback one."""
    return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")


def _wait_until_up(url: str, redis_url: str, children: list[subprocess.Popen]) -> list[str]:
    """Wait until the web app answers and every worker and the scheduler has registered in Redis: the parts
    still not up after UP_TIMEOUT (none when all are); returns at once when one exits."""
    import http.client
    from urllib.parse import urlsplit

    import redis
    from rq import Worker
    from rq.cron import CronScheduler

    from .base.stores import queue_client
    _, *workers, scheduler = children
    connection = queue_client(Settings.from_env(REDIS_URL=redis_url))
    web_up, registered, waiting = False, set(), ["web"]
    deadline = time.monotonic() + UP_TIMEOUT
    while time.monotonic() < deadline and all(child.poll() is None for child in children):
        if not web_up:
            # http.client, not urllib: a proxy set in the environment must not answer for this machine.
            probe = http.client.HTTPConnection(urlsplit(_probe_url(url)).netloc, timeout=2)
            try:
                probe.request("GET", "/healthz")
                web_up = probe.getresponse().status == 200
            except (OSError, http.client.HTTPException):
                pass
            finally:
                probe.close()
        try:
            registered = ({w.pid for w in Worker.all(connection=connection)}
                          | {s.pid for s in CronScheduler.all(connection)})
        except redis.RedisError:
            pass
        waiting = ([] if web_up else ["web"]) + [
            name for name, child in [*[("worker", w) for w in workers], ("scheduler", scheduler)]
            if child.pid not in registered]
        if not waiting:
            return []
        time.sleep(0.2)
    return waiting


def _stop_all(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@main.command()
@click.option("--host", cls=SettingOption, setting="HOST", metavar="ADDRESS")
@click.option("--port", cls=SettingOption, setting="PORT", metavar="PORT")
@click.option("--workers", cls=SettingOption, setting="RADAR_WEB_WORKERS", metavar="N")
@click.option("--threads", cls=SettingOption, setting="RADAR_WEB_THREADS", metavar="N")
def web(host, port, workers, threads):
    """The web app under gunicorn."""
    settings = _redis_urls(_settings(HOST=host, PORT=port, RADAR_WEB_WORKERS=workers, RADAR_WEB_THREADS=threads))
    host, port, workers, threads = (settings.HOST, settings.PORT, settings.RADAR_WEB_WORKERS,
                                    settings.RADAR_WEB_THREADS)
    from .serving import gunicorn_command
    from .serving.config import metrics_dir
    secret = _web_secret(settings)
    # Set before gunicorn starts: prometheus_client picks its multiprocess mode when first imported.
    os.environ.update(REDIS_URL=settings.REDIS_URL, REDIS_DATA_URL=settings.REDIS_DATA_URL, RADAR_SECRET=secret,
                      PROMETHEUS_MULTIPROC_DIR=metrics_dir(settings.PROMETHEUS_MULTIPROC_DIR))
    os.execvp(sys.executable, gunicorn_command(f"{_url_host(host)}:{port}", workers, threads))


@main.command()
@click.option("--burst", is_flag=True, envvar="RADAR_WORKER_BURST", help="Stop when the queue is empty.")
def worker(burst):
    """An RQ worker that runs drain jobs."""
    # Imported here, once: every job runs in a fork of this process, which would otherwise import the jobs'
    # modules anew — about 0.25 s of CPU a drain, most of the worker's CPU under a burst (bench/README.md).
    import workers.jobs  # noqa: F401
    from workers import keys

    from . import logs
    from .base.stores import queue_client
    from .reconnect import keep_working
    settings = _redis_urls(_settings())
    logs.configure(settings.RADAR_LOG_FORMAT)
    os.environ.update(REDIS_URL=settings.REDIS_URL, REDIS_DATA_URL=settings.REDIS_DATA_URL)
    sys.exit(keep_working(queue_client(settings), [keys.QUEUE], burst=burst))


@main.command()
def scheduler():
    """The periodic side (RQ cron): safety-net drains, detection over every service, official status pages."""
    from workers import jobs, keys

    from . import logs
    from .base.stores import queue_client
    from .reconnect import Cron, keep_scheduling
    settings = _redis_urls(_settings())
    logs.configure(settings.RADAR_LOG_FORMAT)
    cron = Cron(connection=queue_client(settings), logging_level="WARNING")
    # ttl: while no worker runs, a queued job older than its interval is dropped instead of piling up;
    # the next one does the same work (evaluation catches up on the minutes it missed).
    cron.register(jobs.drain_all, queue_name=keys.QUEUE, interval=settings.RADAR_DRAIN_INTERVAL,
                  job_timeout=120, result_ttl=60, ttl=settings.RADAR_DRAIN_INTERVAL)
    cron.register(jobs.evaluate_all, queue_name=keys.QUEUE, interval=settings.RADAR_EVALUATE_INTERVAL,
                  job_timeout=120, result_ttl=600, ttl=settings.RADAR_EVALUATE_INTERVAL)
    cron.register(jobs.poll_status_pages, queue_name=keys.QUEUE, interval=settings.RADAR_STATUSPAGE_INTERVAL,
                  job_timeout=8 * settings.RADAR_STATUSPAGE_TIMEOUT + 60, result_ttl=600,
                  ttl=settings.RADAR_STATUSPAGE_INTERVAL)
    keep_scheduling(cron)


@main.command()
@click.option("--url", envvar="RADAR_URL", default="http://127.0.0.1:8000", show_default=True,
              help="Base URL of a running Outage Radar.")
@click.option("--service", envvar="RADAR_SIMULATE_SERVICE", default="claude", show_default=True, help="Service slug to report.")
@click.option("--count", envvar="RADAR_SIMULATE_COUNT", default=1000, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Reports to send.")
@click.option("--rate", envvar="RADAR_SIMULATE_RATE", default=200.0, show_default=True, type=click.FloatRange(0.1, 100_000),
              help="Reports per second to offer.")
@click.option("--surfaces", envvar="RADAR_SIMULATE_SURFACES", default="website=62,desktop=15,mobile=13,api=10", show_default=True,
              help="Surface mix as name=weight pairs.")
@click.option("--regions", envvar="RADAR_SIMULATE_REGIONS", default="US=40,GB=20,DE=15,IN=10,BR=8,JP=7", show_default=True,
              help="Country mix as CODE=weight pairs (takes effect when the server trusts this machine's "
                   "X-Forwarded-For, as `run` does).")
@click.option("--concurrency", envvar="RADAR_SIMULATE_CONCURRENCY", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Parallel connections.")
def simulate(url, service, count, rate, surfaces, regions, concurrency):
    """Post synthetic reports to a running server, then wait until its counts since the start show them."""
    from .simulate import Mix, run_simulation
    try:
        result = run_simulation(url, service, count, rate, Mix.parse(surfaces, "surfaces"),
                                Mix.parse(regions, "regions"), concurrency, echo=click.echo)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if result.failed:
        raise click.ClickException(f"{result.failed} reports were not accepted")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "output", envvar="RADAR_BACKTEST_FORMAT", type=click.Choice(["incidents", "scorer"]),
              default="incidents", show_default=True,
              help="incidents: the incidents as JSON (a list for one file, else an object keyed by file); "
                   "scorer: {series: [incident starts]} as score_detections.py reads it.")
@click.option("--progress/--no-progress", envvar="RADAR_BACKTEST_PROGRESS", default=None,
              help="Progress bar on stderr (default: only when stderr is a terminal).")
def backtest(paths, output, progress):
    """Replay CSVs of timestamp,value (files or directories of them) through detection; print the incidents."""
    import json

    from workers.backtest import CsvError, collect, read_csv, scorer_starts
    from workers.backtest import backtest as replay
    files = collect(paths)
    if not files:
        click.echo("error: no .csv files in " + ", ".join(paths), err=True)
        sys.exit(2)
    show = sys.stderr.isatty() if progress is None else progress
    results = {}
    for name, path in files:
        try:
            points = read_csv(path)
        except CsvError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        if show:
            with click.progressbar(length=len(points), label=name, file=sys.stderr) as bar:
                results[name] = replay(points, progress=bar.update)
        else:
            results[name] = replay(points)
    if output == "scorer":
        printed = {name: scorer_starts(incidents) for name, incidents in results.items()}
    elif len(paths) == 1 and len(files) == 1 and files[0][1] == paths[0]:
        printed = results[files[0][0]]
    else:
        printed = results
    click.echo(json.dumps(printed, indent=1))
