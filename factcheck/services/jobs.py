"""Job state: submit, run, report progress, fail with a reason, retry.

The task queue (``factcheck.jobs``) only delivers job ids; this module owns
what a job *is*. ``execute`` runs in a worker: it claims the job with a
conditional update (so a duplicate delivery or a double retry runs it once),
hands it to the handler for its kind, and records success or the failure's
reason. Handlers do their writes in one transaction of their own, so a failed
job leaves nothing half-written, and keep their input (uploaded bytes) on the
row until they succeed, so the job can be retried.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Protocol

from sqlalchemy import and_, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.db import session_scope
from factcheck.domain.errors import Conflict, DomainError, NotFound
from factcheck.models import Job, utcnow

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
FINISHED = (SUCCEEDED, FAILED)
#: The kind of the job that sends notification emails (factcheck.services.notifications); admins may retry it.
EMAIL_JOB = "send_emails"
#: The kind of the job that fetches and archives a URL given as evidence (factcheck.services.evidence_archive).
EVIDENCE_ARCHIVE_JOB = "archive_evidence"
#: The kind of the job that rebuilds a library's search indexes (factcheck.services.index_jobs); admins only.
REBUILD_INDEX_JOB = "rebuild_index"
#: A job queued or running without a sign of life for this long was lost (a
#: worker died, a broker was emptied) and may be retried.
STALE_AFTER = timedelta(minutes=15)


class Queue(Protocol):
    def enqueue(self, job_id: int) -> None: ...


@dataclass(frozen=True)
class JobInput:
    """What a handler gets: the job's input as plain values, detached from any session."""

    id: int
    kind: str
    payload: dict
    data: bytes | None
    created_by_id: int | None


@dataclass(frozen=True)
class JobOutcome:
    result_kind: str
    result_id: int
    message: str
    details: dict = field(default_factory=dict)


class Progress:
    """Records a job's progress (0-100) and a short message, each in its own short transaction.

    Report progress before the handler starts writing: on SQLite a writing
    transaction holds the database lock until it commits, so an update from
    another connection would wait for it.
    """

    def __init__(self, engine: Engine, job_id: int):
        self.engine = engine
        self.job_id = job_id

    def __call__(self, percent: int, message: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == self.job_id).values(
                progress=max(0, min(100, percent)), message=message[:500], updated_at=utcnow()))


Handler = Callable[..., JobOutcome]


def submit(session: Session, *, queue: Queue, kind: str, payload: dict, actor_id: int | None,
           data: bytes | None = None) -> Job:
    """Store a queued job and send it to the queue; returns the job as it is after sending.

    The row is committed before the id is queued, so a worker never looks for
    a job that is not there yet. With an inline queue the job has already run
    when this returns.
    """
    job = Job(kind=kind, payload=payload, input_data=data, created_by_id=actor_id, message="Waiting for a worker")
    session.add(job)
    session.commit()
    queue.enqueue(job.id)
    session.refresh(job)
    return job


def is_stale(job: Job) -> bool:
    updated = job.updated_at if job.updated_at.tzinfo else job.updated_at.replace(tzinfo=utcnow().tzinfo)
    return job.status in (QUEUED, RUNNING) and utcnow() - updated > STALE_AFTER


def can_retry(job: Job) -> bool:
    return job.status == FAILED or is_stale(job)


def retry(session: Session, *, queue: Queue, job_id: int) -> Job:
    """Queue a failed (or lost) job again with the same input."""
    job = get_job(session, job_id)
    if not can_retry(job):
        raise Conflict("Only a failed job, or one that has not moved for a long time, can be retried.")
    # Conditional, so two clicks on "Retry" queue the job once.
    retryable = or_(Job.status == FAILED,
                    and_(Job.status.in_((QUEUED, RUNNING)), Job.updated_at < utcnow() - STALE_AFTER))
    requeued = session.execute(
        update(Job).where(Job.id == job.id, retryable)
        .values(status=QUEUED, progress=0, error=None, message="Queued again", finished_at=None,
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if requeued != 1:
        raise Conflict("The job changed in the meantime; reload the page.")
    queue.enqueue(job.id)
    session.refresh(job)
    return job


def active_count(session: Session, *, created_by_id: int) -> int:
    """Jobs of one user that are waiting or running (and not lost)."""
    return session.exec(select(func.count(Job.id)).where(
        Job.created_by_id == created_by_id, Job.status.in_((QUEUED, RUNNING)),
        Job.updated_at >= utcnow() - STALE_AFTER)).one()


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("No such job.")
    return job


def list_jobs(session: Session, *, created_by_id: int | None = None, limit: int = 50) -> list[Job]:
    statement = select(Job)
    if created_by_id is not None:
        statement = statement.where(Job.created_by_id == created_by_id)
    return list(session.exec(statement.order_by(Job.id.desc()).limit(limit)).all())


def execute(engine: Engine, *, settings: Settings, job_id: int, handlers: dict[str, Handler]) -> None:
    """Run one job to success or failure; never raises (the outcome is on the job row)."""
    job = _claim(engine, job_id)
    if job is None:
        return  # already taken by another delivery, or no longer queued
    handler = handlers.get(job.kind)
    try:
        if handler is None:
            raise NotFound(f"No handler for jobs of kind {job.kind!r}.")
        with session_scope(engine) as session:
            outcome = handler(session, settings=settings, job=job, progress=Progress(engine, job_id))
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
        if isinstance(exc, DomainError):
            error = str(exc)
        else:
            log.exception("Job %s (%s) failed", job_id, job.kind)
            error = f"Unexpected error ({type(exc).__name__}); the details are in the worker's log."
        _finish(engine, job_id, status=FAILED, error=error, message="Failed")
        return
    _finish(engine, job_id, status=SUCCEEDED, progress=100, message=outcome.message[:500],
            result_kind=outcome.result_kind, result_id=outcome.result_id, result=outcome.details,
            input_data=None)


def _claim(engine: Engine, job_id: int) -> JobInput | None:
    with engine.begin() as connection:
        now = utcnow()
        claimed = connection.execute(
            update(Job).where(Job.id == job_id, Job.status == QUEUED)
            .values(status=RUNNING, attempts=Job.attempts + 1, progress=0, message="Started",
                    started_at=now, updated_at=now)
        ).rowcount
        if claimed != 1:
            return None
        row = connection.execute(
            select(Job.id, Job.kind, Job.payload, Job.input_data, Job.created_by_id).where(Job.id == job_id)
        ).one()
    return JobInput(id=row.id, kind=row.kind, payload=row.payload or {}, data=row.input_data,
                    created_by_id=row.created_by_id)


def _finish(engine: Engine, job_id: int, **values) -> None:
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(finished_at=now, updated_at=now, **values))

