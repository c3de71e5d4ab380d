"""Background jobs on huey, with one task: "run job <id>".

Why huey: one small, well-kept library that covers each way we deploy with the
broker we already have —

* ``sqlite`` (the embedded default): a queue file in the instance folder, and
  worker threads inside the app process. Nothing else to install or start.
* ``postgres``: the queue lives in our PostgreSQL database (``SKIP LOCKED``
  dequeue, ``LISTEN/NOTIFY`` wake-ups; psycopg 3 is already a dependency), and
  separate ``factcheck worker`` processes, on any host, do the work.
* ``redis``: the same with Redis as the broker (``pip install redis``).
* ``immediate``: jobs run inline when submitted (tests, scripts).

Job state (status, progress, error, attempts) is kept in our own ``job``
table, not in the broker: the queue message carries only the job id, so the
UI reads state with ordinary queries and a failed job can be re-queued on any
broker. Dramatiq needs Redis or RabbitMQ even for one machine; procrastinate
needs PostgreSQL even in development; huey has both ends.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

import huey
from huey.consumer import Consumer

from factcheck.config import ConfigError, Settings

log = logging.getLogger(__name__)

BROKERS = ("sqlite", "postgres", "redis", "immediate")
TASK_NAME = "factcheck.run_job"
_EXTENSION = "factcheck.jobs"
# Idle workers of a polling broker (SQLite) look for work at least this often,
# so a job submitted after a quiet spell starts within a second.
MAX_POLL_DELAY = 1.0
_lock = threading.Lock()


def make_huey(settings: Settings):
    """The huey instance for ``settings.jobs_broker``; results are not stored (the job table has them)."""
    broker = settings.jobs_broker
    if broker == "immediate":
        return huey.MemoryHuey("factcheck", immediate=True, results=False)
    if broker == "sqlite":
        return huey.SqliteHuey("factcheck", filename=str(Path(settings.instance_path) / "jobs.sqlite3"),
                               results=False)
    if broker == "postgres":
        dsn = settings.jobs_broker_url or settings.database_url
        if not dsn.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            raise ConfigError("FACTCHECK_JOBS_BROKER=postgres needs a PostgreSQL database: set "
                              "FACTCHECK_JOBS_BROKER_URL or use PostgreSQL for FACTCHECK_DATABASE_URL.")
        return huey.PostgresHuey("factcheck", dsn=dsn.replace("postgresql+psycopg://", "postgresql://", 1),
                                 results=False)
    if broker == "redis":
        if not settings.jobs_broker_url:
            raise ConfigError("FACTCHECK_JOBS_BROKER=redis needs FACTCHECK_JOBS_BROKER_URL (redis://host:6379/0).")
        return huey.RedisHuey("factcheck", url=settings.jobs_broker_url, results=False)
    raise ConfigError(f"FACTCHECK_JOBS_BROKER={broker!r} is not one of: {', '.join(BROKERS)}.")


class JobQueue:
    """Sends job ids to the broker and runs the consumers that execute them."""

    def __init__(self, settings: Settings, run: Callable[[int], None]):
        self.settings = settings
        self.huey = make_huey(settings)
        self._task = self.huey.task(name=TASK_NAME)(run)
        self._consumer = None

    @property
    def inline(self) -> bool:
        return self.settings.jobs_broker == "immediate"

    def enqueue(self, job_id: int) -> None:
        """Queue the job (in ``immediate`` mode: run it now, in this thread)."""
        self._task(job_id)

    def start_in_process(self) -> bool:
        """Start worker threads inside this process, once; False when configured not to."""
        threads = self.settings.jobs_worker_threads
        if self.inline or threads <= 0:
            return False
        with _lock:
            if self._consumer is None:
                self._consumer = _InProcessConsumer(self.huey, workers=threads, periodic=False,
                                                    max_delay=MAX_POLL_DELAY)
                self._consumer.start()
                log.info("Started %d in-process job worker thread(s) on the %s broker.", threads,
                         self.settings.jobs_broker)
        return True

    def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None

    def run_worker(self, threads: int) -> None:
        """Run a consumer in the foreground until SIGINT/SIGTERM (``factcheck worker``)."""
        if self.inline:
            raise ConfigError("FACTCHECK_JOBS_BROKER=immediate runs jobs as they are submitted: "
                              "there is nothing for a worker to do.")
        self.huey.create_consumer(workers=threads, worker_type="thread", periodic=False,
                                  max_delay=MAX_POLL_DELAY).run()


class _InProcessConsumer(Consumer):
    """A consumer inside the web process: signal handling belongs to the web server."""

    def _set_signal_handlers(self):
        pass


def queue_for(app) -> JobQueue:
    """The app's job queue, built on first use (no broker connection before a job is needed)."""
    queue = app.extensions.get(_EXTENSION)
    if queue is None:
        with _lock:
            queue = app.extensions.get(_EXTENSION)
            if queue is None:
                settings, engine = app.config["SETTINGS"], app.extensions["factcheck.engine"]

                def run_job(job_id: int) -> None:
                    from factcheck.services import evidence_archive, index_jobs, jobs, notifications, sources

                    jobs.execute(engine, settings=settings, job_id=job_id,
                                 handlers=sources.JOB_HANDLERS | notifications.JOB_HANDLERS
                                 | evidence_archive.JOB_HANDLERS | index_jobs.JOB_HANDLERS)

                queue = app.extensions[_EXTENSION] = JobQueue(settings, run_job)
    return queue
