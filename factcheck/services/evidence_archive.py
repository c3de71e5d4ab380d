"""Copies of the web pages given as evidence: fetched in the background and kept with their SHA-256.

A page cited as evidence can change or vanish after the check is published. When a
checker links a URL, a job (the app's huey queue, like fetching an article) downloads it
with the same SSRF-safe client (``ingest.fetch``) and reads it with the same readers
(``ingest.documents``), then keeps the text, the SHA-256 of the body that came back, when,
the final URL and the HTTP status; or, when it failed, why, in words. Every attempt is a
row of its own (``EvidenceArchive``): a re-fetch adds one and never overwrites the copy a
reviewer may already have read.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import Conflict, DomainError, NotFound, Unavailable, ValidationFailed
from factcheck.ingest import FetchFailed, IngestError, documents
from factcheck.ingest.fetch import FetchPolicy, fetch
from factcheck.models import Claim, Evidence, EvidenceArchive, User, utcnow
from factcheck.services import events, jobs
from factcheck.services.claim_facts import authorize
from factcheck.services.jobs import STALE_AFTER

log = logging.getLogger(__name__)

JOB_KIND = jobs.EVIDENCE_ARCHIVE_JOB
PENDING, ARCHIVED, FAILED = "pending", "archived", "failed"
#: How much of a SHA-256 the claim page shows (the archived-text page has all of it).
SHORT_HASH = 12


@dataclass(frozen=True)
class ArchiveView:
    """What the evidence panel says about one piece of evidence's copy."""

    id: int
    status: str  # pending | archived | failed
    url: str
    created_at: datetime
    fetched_at: datetime | None
    sha256: str | None
    final_url: str | None
    http_status: int | None
    failure: str | None
    warning: str | None
    #: pending for longer than a job may take without a sign of life: no worker ran it
    stuck: bool
    #: the newest copy that did succeed, when this attempt is not it
    last_archived: "ArchiveView | None" = None

    @property
    def short_hash(self) -> str:
        return (self.sha256 or "")[:SHORT_HASH]


def request(session: Session, *, queue: jobs.Queue, evidence: Evidence, actor_id: int | None) -> EvidenceArchive:
    """Queue a fetch of the evidence's URL; the attempt shows as pending until the job has run.

    Commits (the job row must exist before its id is queued). With an inline queue the
    copy has been fetched when this returns.
    """
    if not evidence.url:
        raise ValidationFailed("Only evidence with a URL can be fetched.", {"url": "required"})
    archive = EvidenceArchive(evidence_id=evidence.id, claim_id=evidence.claim_id, url=evidence.url,
                              requested_by_id=actor_id)
    session.add(archive)
    session.flush()
    archive_id = archive.id
    try:
        job = jobs.submit(session, queue=queue, kind=JOB_KIND, actor_id=actor_id,
                          payload={"archive_id": archive_id, "url": evidence.url})
    except Exception:
        # The rows were committed before the broker refused the id: say so on the attempt at once,
        # rather than leave it pending until it looks lost.
        session.rollback()
        _write(session, archive_id, status=FAILED, fetched_at=utcnow(),
               failure="The job queue could not be reached, so the page was not fetched; re-fetch it later.")
        raise
    # A column update, not the ORM row: an inline job has already written the outcome to the row.
    session.execute(update(EvidenceArchive).where(EvidenceArchive.id == archive_id).values(job_id=job.id)
                    .execution_options(synchronize_session=False))
    session.commit()
    session.expire(archive)  # read back what the job wrote
    return session.get(EvidenceArchive, archive_id)


def refetch(session: Session, *, queue: jobs.Queue, claim_id: int, evidence_id: int, user: User) -> EvidenceArchive:
    """Fetch the evidence's URL again (the page changed, or the last attempt failed); earlier copies stay.

    :raises Forbidden: the user may not change this claim's evidence now.
    :raises Conflict: an attempt is already waiting for a worker.
    """
    evidence = session.get(Evidence, evidence_id)
    claim = session.get(Claim, claim_id)
    if claim is None or evidence is None or evidence.claim_id != claim_id:
        raise NotFound("No such evidence on this claim.")
    authorize(session, user, "refetch_evidence", claim)
    latest = _latest(session, evidence_id)
    if latest is not None and latest.status == PENDING and not _stuck(latest):
        raise Conflict("This page is already being fetched; wait for that attempt to finish.")
    try:
        archive = request(session, queue=queue, evidence=evidence, actor_id=user.id)
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broker that is down: say so, with the attempt left to time out
        session.rollback()
        log.exception("Could not queue a re-fetch of evidence %s", evidence_id)
        raise Unavailable("The job queue cannot be reached just now; try the re-fetch again later.") from exc
    events.record(session, action="evidence_refetched", claim_id=claim_id, actor_id=user.id,
                  evidence_id=evidence_id, archive_id=archive.id)
    session.commit()
    return archive


def _latest(session: Session, evidence_id: int) -> EvidenceArchive | None:
    return session.exec(select(EvidenceArchive).where(EvidenceArchive.evidence_id == evidence_id)
                        .order_by(EvidenceArchive.id.desc())).first()


def _stuck(archive: EvidenceArchive) -> bool:
    created = archive.created_at if archive.created_at.tzinfo else archive.created_at.replace(tzinfo=utcnow().tzinfo)
    return archive.status == PENDING and utcnow() - created > STALE_AFTER


def _view(archive: EvidenceArchive, last_archived: ArchiveView | None = None) -> ArchiveView:
    return ArchiveView(id=archive.id, status=archive.status, url=archive.url, created_at=archive.created_at,
                       fetched_at=archive.fetched_at, sha256=archive.content_sha256, final_url=archive.final_url,
                       http_status=archive.http_status, failure=archive.failure, warning=archive.text_warning,
                       stuck=_stuck(archive), last_archived=last_archived)


def _attempts(session: Session, *conditions) -> list[EvidenceArchive]:
    # Without the kept text (it can run to megabytes): the panel shows facts about the copy, and the
    # text is read only when someone opens it (``archived_copy``).
    return list(session.exec(select(EvidenceArchive).where(*conditions).options(defer(EvidenceArchive.text))
                             .order_by(EvidenceArchive.id)).all())


def views_of_claim(session: Session, claim_id: int, evidence_id: int | None = None) -> dict[int, ArchiveView]:
    """evidence id -> its newest attempt (with the newest successful copy, when that is an older one)."""
    conditions = [EvidenceArchive.claim_id == claim_id]
    if evidence_id is not None:
        conditions.append(EvidenceArchive.evidence_id == evidence_id)
    rows = _attempts(session, *conditions)
    latest: dict[int, EvidenceArchive] = {}
    archived: dict[int, EvidenceArchive] = {}
    for row in rows:  # oldest first, so the last one seen wins
        latest[row.evidence_id] = row
        if row.status == ARCHIVED:
            archived[row.evidence_id] = row
    views = {}
    for evidence_id, row in latest.items():
        older = archived.get(evidence_id)
        views[evidence_id] = _view(row, _view(older) if older is not None and older.id != row.id else None)
    return views


def view_of(session: Session, claim_id: int, evidence_id: int) -> ArchiveView | None:
    """The newest attempt for one piece of evidence (None when its URL was never fetched)."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.claim_id != claim_id:
        raise NotFound("No such evidence on this claim.")
    return views_of_claim(session, claim_id, evidence_id).get(evidence_id)


def archived_copy(session: Session, *, claim_id: int, evidence_id: int, archive_id: int) -> EvidenceArchive:
    """One kept copy, to read its text.

    :raises NotFound: no such copy of this evidence, or the attempt kept no text.
    """
    archive = session.get(EvidenceArchive, archive_id)
    if archive is None or archive.evidence_id != evidence_id or archive.claim_id != claim_id:
        raise NotFound("No such archived copy of this evidence.")
    if archive.status != ARCHIVED or archive.text is None:
        raise NotFound("This attempt kept no copy: " + (archive.failure or "it has not run yet."))
    return archive


# ------------------------------------------------------------------- the job


@dataclass(frozen=True)
class _Copy:
    fetched_at: datetime
    final_url: str
    content_type: str
    sha256: str
    text: str
    warning: str | None


def read(url: str, settings: Settings) -> _Copy:
    """Download and read ``url`` as article fetching does; raises ``IngestError`` with the reason."""
    resource = fetch(url, FetchPolicy.from_settings(settings))
    document = documents.extract(resource.body, url=resource.url, limits=settings.read_limits())
    return _Copy(fetched_at=resource.fetched_at, final_url=resource.url, content_type=document.content_type,
                 sha256=hashlib.sha256(resource.body).hexdigest(), text=document.text, warning=document.warning)


def _write(session: Session, archive_id: int, **values) -> bool:
    # A conditional update: the evidence (and with it this row) may have been removed while we fetched.
    found = session.execute(update(EvidenceArchive).where(EvidenceArchive.id == archive_id).values(**values)
                            .execution_options(synchronize_session=False)).rowcount
    session.commit()
    session.expire_all()  # request sessions keep loaded rows after a commit; this row is not what they hold
    return found == 1


def run_archive_job(session: Session, *, settings: Settings, job: jobs.JobInput, progress) -> jobs.JobOutcome:
    """The job: fetch, read, keep. A failed fetch is recorded on the copy, then fails the job with the same reason."""
    archive_id = int(job.payload["archive_id"])
    archive = session.get(EvidenceArchive, archive_id)
    if archive is None:
        return jobs.JobOutcome("evidence_archive", archive_id, "The evidence was removed before its page was fetched.")
    url = archive.url
    session.rollback()  # no transaction left open on SQLite while the download runs
    progress(10, f"Downloading {url}")
    try:
        copy = read(url, settings)
    except IngestError as exc:
        _write(session, archive_id, status=FAILED, fetched_at=utcnow(), failure=str(exc)[:1000],
               http_status=exc.http_status if isinstance(exc, FetchFailed) else None,
               final_url=exc.url if isinstance(exc, FetchFailed) else None)
        raise
    except Exception as exc:  # noqa: BLE001 - the copy must not stay "pending" forever; the job logs the details
        _write(session, archive_id, status=FAILED, fetched_at=utcnow(),
               failure=f"Unexpected error ({type(exc).__name__}); the details are in the worker's log.")
        raise
    kept = _write(session, archive_id, status=ARCHIVED, fetched_at=copy.fetched_at, final_url=copy.final_url,
                  http_status=200, content_type=copy.content_type[:100], content_sha256=copy.sha256,
                  text=copy.text, text_warning=(copy.warning or None) and copy.warning[:500], failure=None)
    if not kept:
        return jobs.JobOutcome("evidence_archive", archive_id, "The evidence was removed while its page was fetched.")
    return jobs.JobOutcome("evidence_archive", archive_id,
                           f"Archived {url}: {len(copy.text):,} characters, sha256 {copy.sha256[:SHORT_HASH]}.",
                           {"sha256": copy.sha256, "final_url": copy.final_url,
                            "fetched_at": copy.fetched_at.isoformat()})


JOB_HANDLERS: dict[str, jobs.Handler] = {JOB_KIND: run_archive_job}
