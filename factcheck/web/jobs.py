"""Background jobs: their progress (a self-replacing htmx component), failures and retries."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import (Blueprint, Response, current_app, flash, make_response, redirect, render_template, request,
                   url_for)

from factcheck.web.context import db_session
from factcheck.domain.errors import ValidationFailed
from factcheck.jobs import queue_for
from factcheck.services import jobs as job_service
from factcheck.services import sources as source_service
from factcheck.web.auth import current_db_user, require
from factcheck.web.htmx import is_htmx, render

if TYPE_CHECKING:
    from factcheck.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

_RESULT_PAGES = {source_service.SOURCE: ("library.source_detail", "source_id"),
                 source_service.ARTICLE: ("articles.detail", "article_id")}


@bp.before_app_request
def _start_workers() -> None:
    # The embedded setup runs jobs on threads of the app process, started with
    # its first request (so CLI commands and app factories in tests start none).
    app = current_app._get_current_object()
    if not app.config.get("TESTING"):
        queue_for(app).start_in_process()


def uploaded_file(settings) -> tuple[str, bytes]:
    """The form's ``file`` field: its name and at most one byte more than the upload limit.

    Reading one byte past the limit is enough for the service to refuse an
    oversized file without holding all of it in memory. Shared by the forms
    that create upload jobs.
    """
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed("Choose a file to upload.", {"file": "is required"})
    return upload.filename, upload.read(settings.max_upload_bytes + 1)


def upload_refused_status(exc: ValidationFailed) -> int:
    """413 for a file over the upload limit (like a body over the request limit), else 422."""
    return 413 if (exc.errors or {}).get("file") == "too large" else 422


def archived_text_response(text: str, name: str) -> Response:
    """Serve an archived copy's text as plain text, never as markup.

    The text came from someone else's page or file: ``text/plain`` with
    ``nosniff`` (set for every response) and a sandboxing CSP keep a browser
    from running anything in it, whatever it contains.
    """
    response = make_response(text)
    response.mimetype = "text/plain"
    response.charset = "utf-8"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'; sandbox"
    response.headers["Content-Disposition"] = f'inline; filename="{name}.txt"'
    return response


def result_url(job: Job) -> str | None:
    if job.status != job_service.SUCCEEDED or job.result_kind not in _RESULT_PAGES:
        return None
    endpoint, argument = _RESULT_PAGES[job.result_kind]
    return url_for(endpoint, **{argument: job.result_id})


def job_context(job: Job, follow: bool = False) -> dict:
    """What the status component needs; permission and retry rules are decided here, not in the template."""
    user = current_db_user()
    return {
        "job": job,
        "follow": follow,
        "active": job.status in (job_service.QUEUED, job_service.RUNNING) and not job_service.is_stale(job),
        "stale": job_service.is_stale(job),
        "can_retry": job_service.can_retry(job) and source_service.may_retry(user, job),
        "result_url": result_url(job),
        "description": source_service.describe(job),
    }


@bp.get("/")
@require("claims.view")
def index():
    """List recent jobs, newest first."""
    mine = request.args.get("mine") == "1"
    rows = job_service.list_jobs(db_session(), created_by_id=current_db_user().id if mine else None)
    return render_template("jobs/index.html", jobs=[job_context(job) for job in rows], mine=mine)


@bp.get("/<id:job_id>")
@require("claims.view")
def detail(job_id: int):
    """Show one job; while it runs, its status component polls for updates.

    With ``follow`` (set right after submitting), a job that has already
    finished opens its result at once.
    """
    job = job_service.get_job(db_session(), job_id)
    context = job_context(job, follow=request.args.get("follow") == "1")
    if context["follow"] and context["result_url"]:
        flash(job.message, "success")
        return redirect(context["result_url"], code=303)
    return render("jobs/detail.html", "jobs/_status.html", **context)


@bp.get("/<id:job_id>/status")
@require("claims.view")
def status(job_id: int):
    """The status component alone (polled by htmx). With ``follow``, a finished job opens its result."""
    job = job_service.get_job(db_session(), job_id)
    context = job_context(job, follow=request.args.get("follow") == "1")
    response = make_response(render_template("jobs/_status.html", **context))
    response.headers["Vary"] = "HX-Request"
    if context["follow"] and context["result_url"] and is_htmx():
        response.headers["HX-Location"] = context["result_url"]
    return response


@bp.post("/<id:job_id>/retry")
@require("claims.view")
def retry(job_id: int):
    """Queue a failed job again (the role check for its kind is in the service)."""
    session = db_session()
    job = source_service.retry(session, queue=queue_for(current_app), job_id=job_id, user=current_db_user())
    if not is_htmx():
        return redirect(url_for("jobs.detail", job_id=job.id, follow=1), code=303)
    return render_template("jobs/_status.html", **job_context(job, follow=True))
