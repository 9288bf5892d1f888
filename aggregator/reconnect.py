"""The worker and the scheduler through a Redis restart: they wait, with backoff, until Redis answers again and
go on, saying once that the connection was lost and once that it is back."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from contextlib import suppress

import redis
from rq import Worker as RQWorker
from rq.connections import parse_connection
from rq.cron import CronScheduler
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler

from .base.stores import SOCKET_TIMEOUT

LOST = (redis.ConnectionError, redis.TimeoutError)
"""What a Redis that stopped, restarted or hangs raises."""

FIRST_WAIT = 0.5
LONGEST_WAIT = 10.0
"""Seconds between tries while Redis is away: the first, doubling up to the longest."""

log = logging.getLogger(__name__)


def short_timeout(connection: redis.Redis) -> redis.Redis:
    """A client of the same Redis whose calls give up after SOCKET_TIMEOUT: an RQ worker raises its client's to
    minutes for its blocking reads, and a PING to a hung Redis must not wait that long."""
    client_class, connection_class, kwargs = parse_connection(connection)
    return client_class(connection_pool=redis.ConnectionPool(
        connection_class=connection_class, **{**kwargs, "socket_timeout": SOCKET_TIMEOUT}))


class Link:
    """One part's connection to Redis: whether it is lost, and the two lines that say so."""

    def __init__(self, part: str, connection: redis.Redis, speak: bool = True):
        self.part = part
        self.connection = short_timeout(connection)
        self.speak = speak
        self.lost_at: float | None = None
        # Only the thread that made the link keeps it: RQ's pubsub thread and a job's work horse (a fork) meet
        # the same lost connection in their own time.
        self.pid, self.thread = os.getpid(), threading.get_ident()

    def _mine(self) -> bool:
        return (os.getpid(), threading.get_ident()) == (self.pid, self.thread)

    def lost(self, error: BaseException) -> None:
        if self.lost_at is not None or not self._mine():
            return
        self.lost_at = time.monotonic()
        if self.speak:
            log.warning("%s lost its connection to Redis (%s); waiting for it to answer again", self.part, error)

    def back(self) -> None:
        if self.lost_at is None or not self._mine():
            return
        away, self.lost_at = time.monotonic() - self.lost_at, None
        if self.speak:
            log.info("%s reconnected to Redis after %.1f s", self.part, away)

    def wait(self, stopping=lambda: False) -> bool:
        """Until Redis answers PING (True) or `stopping()` is true (False), waiting longer after each try."""
        delay = FIRST_WAIT
        while not stopping():
            try:
                self.connection.ping()
            except LOST as exc:
                self.lost(exc)
            else:
                self.back()
                return True
            # In short steps, so that a stop asked for by a signal is seen at once.
            until = time.monotonic() + delay
            while time.monotonic() < until and not stopping():
                time.sleep(min(0.1, until - time.monotonic()))
            delay = min(delay * 2, LONGEST_WAIT)
        return False


class QuietWhileAway(logging.Filter):
    """Drops RQ's warnings and errors about a lost Redis connection (a line, or a traceback, at every try) and
    has the link say it once instead; in a job's work horse, the job's traceback becomes one line."""

    def __init__(self, link: Link):
        super().__init__()
        self.link = link

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        # RQ logs these inside the `except` that caught the error, often without attaching it to the record.
        error = record.exc_info[1] if record.exc_info else sys.exc_info()[1]
        if not isinstance(error, LOST):
            return True
        if os.getpid() != self.link.pid:
            # Still said: the job's Redis may be another one (REDIS_DATA_URL) than the one the worker watches.
            record.msg, record.args = "a job stopped: it lost its connection to Redis (%s)", (error,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            return True
        self.link.lost(error)
        return False


class Scheduler(RQScheduler):
    """RQ's scheduler of delayed jobs (the worker's child process), which waits for Redis instead of dying."""

    def work(self):
        # Quiet: the worker it belongs to says when Redis goes and comes back.
        link = Link("the worker's scheduler", self.connection, speak=False)
        while True:
            try:
                return super().work()
            except LOST:
                # Stopping with Redis away: releasing the locks failed; they expire by themselves.
                if self._stop_requested or not link.wait(lambda: self._stop_requested):
                    return None


class Worker(RQWorker):
    """An RQ worker that retries at most every LONGEST_WAIT seconds while Redis is away, says when it is back,
    and runs RQ's scheduler as a `Scheduler`."""

    max_connection_wait_time = LONGEST_WAIT

    def __init__(self, *args, link: Link | None = None, **kwargs):
        self.link = link
        self.stopping = False
        super().__init__(*args, **kwargs)

    def request_stop(self, signum, frame):
        self.stopping = True
        super().request_stop(signum, frame)

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        # RQ's own retry loop (while the worker waits for a job) starts each try with a heartbeat.
        if pipeline is None and self.link is not None:
            self.link.back()

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=DEFAULT_LOGGING_DATE_FORMAT,
                         log_format=DEFAULT_LOGGING_FORMAT):
        if burst:  # enqueues what is due in this process and returns: nothing to ride out
            return super()._start_scheduler(burst, logging_level, date_format, log_format)
        self.scheduler = Scheduler(self.queues, connection=self.connection, logging_level=logging_level,
                                   date_format=date_format, log_format=log_format, serializer=self.serializer)
        if self.scheduler.acquire_locks():
            self.scheduler.start()
        return None

    def retire(self) -> None:
        """What RQ's teardown could not do while Redis was away: leave the registry, stop listening, and let
        go of the scheduler's lock, which the next worker's scheduler would otherwise wait minutes for."""
        if self.pubsub_thread is not None:
            self.pubsub_thread.stop()
        with suppress(*LOST):
            self.register_death()
            if self.scheduler is not None:  # its process has ended: teardown joined it
                self.scheduler.release_locks()
                self.scheduler.register_death()


def keep_working(connection: redis.Redis, queues: list[str], burst: bool = False) -> int:
    """Run an RQ worker; after a lost connection, wait for Redis and run a new one. Returns an exit code."""
    link = Link("worker", connection)
    quiet = QuietWhileAway(link)
    for name in ("rq.worker", "rq.scheduler"):
        logging.getLogger(name).addFilter(quiet)

    def stop(signum, frame):
        raise StopRequested

    # Until a worker has started and put in its own handlers: Redis may be away from the start.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            worker = None
            try:
                worker = Worker(queues, connection=connection, link=link)
                # with_scheduler: retries with a delay (alert deliveries) wait in RQ's scheduled registry until
                # a worker's scheduler moves them back to the queue; RQ cron does not.
                worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
            except LOST as exc:
                if worker is not None and worker.stopping:
                    return 0
                link.lost(exc)
            if worker is not None and worker.stopping:
                return 0
            if link.lost_at is None:
                # It ended by itself: a burst that emptied the queue, or an error RQ has logged.
                return 0 if burst else 1
            link.wait()
            if worker is not None:
                worker.retire()
    except StopRequested:  # a signal while waiting for Redis
        return 0


class Cron(CronScheduler):
    """RQ cron, remembering that a stop was asked for (a lost connection may be what ends `start`)."""

    stopping = False

    def _request_stop(self, signum, frame):
        self.stopping = True
        super()._request_stop(signum, frame)


def keep_scheduling(cron: Cron) -> None:
    """Run RQ cron; after a lost connection, wait for Redis and start it again with the same jobs, so what
    fell due meanwhile is enqueued at once."""
    link = Link("scheduler", cron.connection)
    try:
        while True:
            try:
                cron.start()
                return
            except LOST as exc:
                if cron.stopping:
                    return
                link.lost(exc)
            link.wait()
    except StopRequested:
        return
