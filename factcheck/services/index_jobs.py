"""Rebuilding a library's search indexes as a background job an admin starts from the web.

The work is ``matching.rebuild_index``, the same as ``factcheck embeddings
rebuild-index``; this module queues it (admins only, one rebuild at a time)
and turns its per-batch counts into the job's progress on the jobs page.
Searches, and the ingest that runs them, keep using the current indexes while
the new ones are built (``LexicalIndex.rebuild``, ``HnswIndex.rebuild``).
"""
from __future__ import annotations

from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import Conflict, Forbidden, ValidationFailed
from factcheck.domain.permissions import has_permission
from factcheck.models import Job, User
from factcheck.services import jobs
from factcheck.services.jobs import REBUILD_INDEX_JOB
from factcheck.services.matching import (
    LIBRARIES,
    STAGE_BM25,
    STAGE_VECTORS,
    library_size,
    rebuild_index,
)

PERMISSION = "indexes.rebuild"
ALL = "all"
#: What the form may ask for: every library, or one.
CHOICES = (ALL, *LIBRARIES)
#: Relative cost per row of each stage, so the percentage moves about evenly with time: inserting a
#: vector into the graph costs several times tokenising its text (measured at 100k rows on 2 cores).
STAGE_WEIGHT = {STAGE_BM25: 1, STAGE_VECTORS: 4}
STAGE_LABEL = {STAGE_BM25: "BM25 index", STAGE_VECTORS: "vector index"}


def may_rebuild(user: User) -> bool:
    return has_permission(user.role, PERMISSION)


def libraries_of(choice: str) -> tuple[str, ...]:
    """``all`` -> every library; a library's name -> that one; anything else is refused (422)."""
    choice = (choice or ALL).strip()
    if choice not in CHOICES:
        raise ValidationFailed(f"Unknown library {choice!r}; choose one of: {', '.join(CHOICES)}.",
                               {"library": "unknown"})
    return LIBRARIES if choice == ALL else (choice,)


def running_rebuild(session: Session) -> Job | None:
    """A rebuild waiting or running (and not lost), if any."""
    rows = session.exec(select(Job).where(Job.kind == REBUILD_INDEX_JOB,
                                          Job.status.in_((jobs.QUEUED, jobs.RUNNING)))
                        .order_by(Job.id.desc())).all()
    return next((job for job in rows if not jobs.is_stale(job)), None)


def submit_rebuild(session: Session, *, queue: jobs.Queue, user: User, library: str = ALL) -> Job:
    """Queue a rebuild of the chosen libraries' indexes; refused while another one is under way."""
    if not may_rebuild(user):
        raise Forbidden("Only an admin can rebuild the search indexes.")
    kinds = libraries_of(library)
    # Two builds of the same graph would only double the work (and the later one would win anyway).
    under_way = running_rebuild(session)
    if under_way is not None:
        raise Conflict(f"An index rebuild is already under way (job #{under_way.id}); wait for it to finish.")
    return jobs.submit(session, queue=queue, kind=REBUILD_INDEX_JOB, payload={"libraries": list(kinds)},
                       actor_id=user.id)


def describe(job: Job) -> str:
    names = ", ".join(kind.replace("_", "-") + "s" for kind in job.payload.get("libraries", []))
    return f"Rebuild the search indexes ({names or 'no library'})"


def run_rebuild(session: Session, *, settings: Settings, job: jobs.JobInput, progress) -> jobs.JobOutcome:
    """The job: each library's BM25 and vector index in turn, with progress by rows done."""
    kinds = [kind for kind in job.payload.get("libraries", []) if kind in LIBRARIES]
    if not kinds:
        raise ValidationFailed("The job names no library to rebuild.")
    sizes = {kind: library_size(session, settings=settings, kind=kind) for kind in kinds}
    # Short read transactions: the counts above must not pin the snapshot the build reads.
    session.rollback()
    total = sum(sizes[kind] * sum(STAGE_WEIGHT.values()) for kind in kinds) or 1
    done = {"weight": 0}
    results = {}
    for kind in kinds:
        counted = {STAGE_BM25: 0, STAGE_VECTORS: 0}
        progress(_percent(done["weight"], total), f"Rebuilding the {kind.replace('_', '-')} library's indexes")

        def step(stage: str, rows: int, kind=kind, counted=counted) -> None:
            counted[stage] += rows
            done["weight"] += rows * STAGE_WEIGHT[stage]
            so_far = min(counted[stage], sizes[kind])
            message = (f"{STAGE_LABEL[stage]} of the {kind.replace('_', '-')} library: "
                       f"{so_far:,} of {sizes[kind]:,} rows")
            progress(_percent(done["weight"], total), message)

        results[kind] = rebuild_index(session, settings=settings, kind=kind, step=step)
    message = "Rebuilt the search indexes: " + "; ".join(
        f"{kind.replace('_', '-')}s, {sizes[kind]:,} vectors" for kind in kinds) + "."
    return jobs.JobOutcome("indexes", 0, message, {"libraries": results})


def _percent(done: int, total: int) -> int:
    # 100 is for the finished job (set when it succeeds); a rebuild at its last batch is still catching up.
    return min(99, int(100 * done / total))


JOB_HANDLERS: dict[str, jobs.Handler] = {REBUILD_INDEX_JOB: run_rebuild}
