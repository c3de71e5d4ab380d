"""Sources and articles from a URL or an uploaded file.

Two layers:

* ``submit_fetch`` / ``submit_upload`` / ``retry``: what the web UI calls. They
  check the input and the user's role now (so a bad URL or an unreadable file
  fails the form, not the job), then queue a job.
* ``ingest_url`` / ``ingest_upload``: the work itself, run by the job
  handlers below and directly by the CLI. Download or read, extract, then
  store with ``library.add_source`` or ``articles.ingest_article``, each one
  transaction: nothing is stored unless text extraction and passages worked.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePath
from typing import Callable
from urllib.parse import unquote, urlsplit

from sqlmodel import Session

from factcheck.config import Settings
from factcheck.domain.errors import Conflict, Forbidden, TooManyJobs, ValidationFailed
from factcheck.domain.permissions import has_permission
from factcheck.ingest import documents
from factcheck.ingest.fetch import FetchPolicy, check_url, fetch
from factcheck.models import Job, User
from factcheck.schemas import ArticleInput, SourceInput, parse
from factcheck.services import articles, index_jobs, jobs, library

SOURCE, ARTICLE = "source", "article"
TARGETS = (SOURCE, ARTICLE)
#: Fields a form may set; anything left blank is taken from the document.
FIELDS = {SOURCE: ("title", "publisher"), ARTICLE: ("title", "outlet", "author", "published_at", "language")}
PERMISSION = {SOURCE: "library.edit", ARTICLE: "articles.create"}

Report = Callable[[int, str], None]


def _no_progress(_percent: int, _message: str) -> None:
    pass


@dataclass(frozen=True)
class Original:
    """Bytes as they arrived, and where from: the basis of the archived copy."""

    data: bytes
    fetched_at: datetime
    url: str | None = None  # as asked for
    final_url: str | None = None  # after redirects
    filename: str | None = None


# ------------------------------------------------------------------ the UI side


def submit_fetch(session: Session, *, queue: jobs.Queue, settings: Settings, target: str, url: str,
                 fields: dict, user: User) -> Job:
    """Queue "fetch ``url`` as a source or an article"; refuses bad or forbidden URLs at once."""
    _check_role(user, target)
    check_job_share(session, settings, user)
    url = (url or "").strip()
    if not url:
        raise ValidationFailed("Enter the URL to fetch.", {"url": "is required"})
    check_url(url, allow_loopback=settings.fetch_allow_loopback)
    return jobs.submit(session, queue=queue, kind=f"fetch_{target}", actor_id=user.id,
                       payload={"url": url, "fields": _fields(target, fields, url=url)})


def submit_upload(session: Session, *, queue: jobs.Queue, settings: Settings, target: str, filename: str,
                  data: bytes, fields: dict, user: User) -> Job:
    """Queue "read this upload as a source or an article"; refuses big or unreadable files at once."""
    _check_role(user, target)
    check_job_share(session, settings, user)
    check_upload_size(settings, len(data))
    kind = documents.sniff(data, settings.read_limits())
    return jobs.submit(session, queue=queue, kind=f"upload_{target}", actor_id=user.id, data=data,
                       payload={"filename": safe_filename(filename), "detected": documents.LABELS[kind],
                                "fields": _fields(target, fields)})


ARTICLE_TEXT_JOB = "ingest_article"


def submit_article_text(session: Session, *, queue: jobs.Queue, settings: Settings, data: dict,
                        user: User, confirm_duplicate: bool = False) -> Job:
    """Queue "ingest this pasted article" (a long one): validated now, read in the background.

    The text travels in the job's stored input (like an upload), the other fields in its
    payload; a refused article (invalid, too long, too many jobs, already in the app and not
    ``confirm_duplicate``) leaves no job behind.
    """
    _check_role(user, ARTICLE)
    check_job_share(session, settings, user)
    payload = articles.check_article(settings, data)
    articles.refuse_duplicate(session, payload, confirmed=confirm_duplicate)
    fields = {name: value for name, value in payload.model_dump(mode="json").items()
              if name != "text" and value not in (None, "")}
    return jobs.submit(session, queue=queue, kind=ARTICLE_TEXT_JOB, actor_id=user.id,
                       data=payload.text.encode("utf-8"),
                       payload={"fields": fields, "chars": len(payload.text),
                                "confirm_duplicate": confirm_duplicate})


def retry(session: Session, *, queue: jobs.Queue, job_id: int, user: User) -> Job:
    job = jobs.get_job(session, job_id)
    if job.kind == jobs.EVIDENCE_ARCHIVE_JOB:
        raise Conflict("Fetch the evidence again from its claim's page (Re-fetch), where the new copy is shown.")
    if job.kind == jobs.EMAIL_JOB:
        if not may_retry(user, job):
            raise Forbidden("Only an admin can send failed notification emails again.")
    elif job.kind == jobs.REBUILD_INDEX_JOB:
        if not may_retry(user, job):
            raise Forbidden("Only an admin can rebuild the search indexes.")
        under_way = index_jobs.running_rebuild(session)
        if under_way is not None and under_way.id != job.id:
            raise Conflict(f"An index rebuild is already under way (job #{under_way.id}); wait for it to finish.")
    else:
        _check_role(user, target_of(job.kind))
    return jobs.retry(session, queue=queue, job_id=job_id)


def may_retry(user: User, job: Job) -> bool:
    if job.kind == jobs.EVIDENCE_ARCHIVE_JOB:
        return False  # re-fetched from the claim page, by whoever holds the claim
    if job.kind == jobs.EMAIL_JOB:
        return has_permission(user.role, "users.manage")
    if job.kind == jobs.REBUILD_INDEX_JOB:
        return index_jobs.may_rebuild(user)
    return may_submit(user, target_of(job.kind))


def check_upload_size(settings: Settings, size: int) -> None:
    if size > settings.max_upload_bytes:
        raise ValidationFailed(f"The file is too large: the upload limit is "
                               f"{settings.max_upload_bytes / 1_048_576:.1f} MB.", {"file": "too large"})


def may_submit(user: User, target: str) -> bool:
    return target in TARGETS and has_permission(user.role, PERMISSION[target])


def _check_role(user: User, target: str) -> None:
    if target not in TARGETS:
        raise ValidationFailed(f"Unknown target {target!r}.", {"target": "unknown"})
    if not may_submit(user, target):
        raise Forbidden("Your role does not allow adding this.")


def check_job_share(session: Session, settings: Settings, user: User) -> None:
    """Refuse (429) a user who already has ``max_jobs_per_user`` heavy jobs waiting or running.

    Every download opens connections from our server and every read takes a worker
    for up to ``read_timeout`` seconds, so one account cannot fill the queue.
    """
    active = jobs.active_count(session, created_by_id=user.id)
    if active >= settings.max_jobs_per_user:
        raise TooManyJobs(f"You already have {active} downloads, uploads or long articles waiting or being read "
                          f"(at most {settings.max_jobs_per_user} at once); wait for one to finish.")


def target_of(kind: str) -> str:
    """``fetch_source`` -> ``source``."""
    return kind.rsplit("_", 1)[-1]


def describe(job: Job) -> str:
    """A one-line description of what the job does, for lists and pages."""
    if job.kind == jobs.EVIDENCE_ARCHIVE_JOB:
        return f"Archive the evidence page {job.payload.get('url', '')}"
    if job.kind == jobs.EMAIL_JOB:
        return f"Send {len(job.payload.get('notification_ids', []))} notification email(s)"
    if job.kind == jobs.REBUILD_INDEX_JOB:
        return index_jobs.describe(job)
    target = "a source document" if target_of(job.kind) == SOURCE else "an article"
    if job.kind.startswith("fetch_"):
        return f"Fetch {job.payload.get('url', '')} as {target}"
    if job.kind == ARTICLE_TEXT_JOB:
        title = (job.payload.get("fields") or {}).get("title", "")
        return f"Read the article “{title}” ({job.payload.get('chars', 0):,} characters)"
    detected = job.payload.get("detected")
    return f"Read the upload {job.payload.get('filename', '')}{f' ({detected})' if detected else ''} as {target}"


def _fields(target: str, fields: dict, url: str | None = None) -> dict:
    """Keep the form fields that apply and check them (and the URL) now, so a typo fails the form, not the job."""
    kept = {name: str(fields[name]).strip() for name in FIELDS[target] if str(fields.get(name) or "").strip()}
    # Title and text come from the document later; stand-ins let the schema check the rest.
    stand_ins = {"title": kept.get("title", "untitled"), "text": "text", "url": url}
    parse(SourceInput if target == SOURCE else ArticleInput, kept | stand_ins)
    return kept


def safe_filename(name: str | None) -> str:
    """The last path component of an uploaded file's name, for display only."""
    name = PurePath((name or "").replace("\\", "/")).name
    return re.sub(r"[\x00-\x1f\x7f]", "", name)[:255] or "upload"


# ------------------------------------------------------------------- the work


@dataclass(frozen=True)
class Ingested:
    """What was stored, a line saying so, and the facts of its archived copy."""

    target: str
    id: int
    message: str
    archive: dict


def ingest_url(session: Session, *, settings: Settings, target: str, url: str, fields: dict,
               actor_id: int | None, progress: Report = _no_progress) -> Ingested:
    """Download ``url`` and store it as a source or an article."""
    progress(5, f"Downloading {url}")
    resource = fetch(url, FetchPolicy.from_settings(settings))
    original = Original(resource.body, resource.fetched_at, url=url, final_url=resource.url)
    return _store(session, settings=settings, target=target, original=original, fields=fields,
                  actor_id=actor_id, progress=progress)


def ingest_upload(session: Session, *, settings: Settings, target: str, filename: str, data: bytes,
                  fields: dict, actor_id: int | None, progress: Report = _no_progress) -> Ingested:
    """Read an uploaded file and store it as a source or an article."""
    check_upload_size(settings, len(data))
    original = Original(data, datetime.now(timezone.utc), filename=safe_filename(filename))
    return _store(session, settings=settings, target=target, original=original, fields=fields,
                  actor_id=actor_id, progress=progress)


def _store(session: Session, *, settings: Settings, target: str, original: Original, fields: dict,
           actor_id: int | None, progress: Report) -> Ingested:
    progress(30, "Extracting the text")
    document = documents.extract(original.data, url=original.final_url, limits=settings.read_limits())
    archive = library.ArchivedCopy(fetched_at=original.fetched_at, content_type=document.content_type,
                                   content_sha256=hashlib.sha256(original.data).hexdigest(),
                                   fetched_url=original.final_url, filename=original.filename,
                                   canonical_url=document.canonical_url, text_warning=document.warning)
    facts = {"fetched_at": archive.fetched_at.isoformat(), "content_type": archive.content_type,
             "content_sha256": archive.content_sha256, "fetched_url": archive.fetched_url,
             "filename": archive.filename, "canonical_url": archive.canonical_url,
             "warning": archive.text_warning}
    # Said with the result, so a job that read only part of a page never reads as a plain success.
    warned = f" Warning: {document.warning}" if document.warning else ""
    title = fields.get("title") or document.title or _fallback_title(original)
    if target == SOURCE:
        progress(50, "Splitting into passages and embedding them")
        data = {"title": title, "text": document.text, "url": original.url,
                "publisher": fields.get("publisher") or document.outlet,
                "author": document.author, "published_at": document.published}
        source = library.add_source(session, settings=settings, data=_without_blanks(data), actor_id=actor_id,
                                    pages=document.pages, archive=archive)
        count = len(library.passages_of(session, source.id))
        return Ingested(SOURCE, source.id, f"Added “{source.title}” with {count} passage"
                                           f"{'s' if count != 1 else ''}.{warned}", facts)
    progress(50, "Finding the claims and matching them")
    # As for sources: ``url`` is the address asked for, the archived copy keeps the final one.
    fields = dict(fields)
    confirm_duplicate = str(fields.pop("confirm_duplicate", "")).lower() in ("1", "true", "yes", "on")
    data = {"title": title, "text": document.text, "url": original.url,
            "outlet": document.outlet, "author": document.author, "published_at": document.published,
            **fields}
    article, claims = articles.ingest_article(session, settings=settings, data=_without_blanks(data),
                                              actor_id=actor_id, archive=archive,
                                              confirm_duplicate=confirm_duplicate)
    return Ingested(ARTICLE, article.id, f"Added “{article.title}” with {len(claims)} checkable claim"
                                         f"{'s' if len(claims) != 1 else ''}.{warned}", facts)


def _without_blanks(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in (None, "")}


def _fallback_title(original: Original) -> str:
    if original.filename:
        return PurePath(original.filename).stem or original.filename
    parts = urlsplit(original.final_url or original.url or "")
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return f"{parts.hostname} – {last}" if last else (parts.hostname or "Untitled document")


# --------------------------------------------------------------- job handlers


def _run_fetch(session: Session, *, settings: Settings, job: jobs.JobInput, progress: Report) -> jobs.JobOutcome:
    done = ingest_url(session, settings=settings, target=target_of(job.kind), url=job.payload["url"],
                      fields=job.payload.get("fields", {}), actor_id=job.created_by_id, progress=progress)
    return jobs.JobOutcome(done.target, done.id, done.message, done.archive)


def _run_upload(session: Session, *, settings: Settings, job: jobs.JobInput, progress: Report) -> jobs.JobOutcome:
    if job.data is None:
        raise ValidationFailed("The uploaded file is no longer stored; upload it again.")
    done = ingest_upload(session, settings=settings, target=target_of(job.kind),
                         filename=job.payload.get("filename", ""), data=job.data,
                         fields=job.payload.get("fields", {}), actor_id=job.created_by_id, progress=progress)
    return jobs.JobOutcome(done.target, done.id, done.message, done.archive)


def _run_article_text(session: Session, *, settings: Settings, job: jobs.JobInput,
                      progress: Report) -> jobs.JobOutcome:
    if job.data is None:
        raise ValidationFailed("The article's text is no longer stored; paste it again.")
    data = {**job.payload.get("fields", {}), "text": job.data.decode("utf-8")}
    # Checked again when the job runs: the same article may have come in while this one waited.
    article, claims = articles.ingest_article(session, settings=settings, data=data, actor_id=job.created_by_id,
                                              confirm_duplicate=bool(job.payload.get("confirm_duplicate")),
                                              progress=progress)
    return jobs.JobOutcome(ARTICLE, article.id, f"Added “{article.title}” with {len(claims)} checkable claim"
                                                f"{'s' if len(claims) != 1 else ''}.", {})


JOB_HANDLERS: dict[str, jobs.Handler] = {
    "fetch_source": _run_fetch, "fetch_article": _run_fetch,
    "upload_source": _run_upload, "upload_article": _run_upload,
    ARTICLE_TEXT_JOB: _run_article_text,
}
