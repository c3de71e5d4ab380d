"""Articles: paste one in, fetch it from a URL or upload it; see its claims highlighted."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from factcheck.web.context import db_session
from factcheck.domain.errors import DuplicateArticle, NotFound, ValidationFailed
from factcheck.jobs import queue_for
from factcheck.services import articles as article_service
from factcheck.services import sources as source_service
from factcheck.web.auth import current_db_user, require
from factcheck.web.jobs import archived_text_response, upload_refused_status, uploaded_file

bp = Blueprint("articles", __name__, url_prefix="/articles")

ARTICLE_FIELDS = ("title", "outlet", "url", "author", "published_at", "language", "text")


@bp.get("/")
@require("claims.view")
def index():
    """List ingested articles, newest first."""
    return render_template("articles/index.html", articles=article_service.list_articles(db_session()))


def _new_page(status: int = 200, *, mode: str = "paste", form: dict | None = None, errors: dict | None = None,
              message: str = "", duplicate: DuplicateArticle | None = None):
    """The new-article page; ``mode`` (paste, url, upload) opens the form that failed, with its errors."""
    form = form or {"language": "en"}
    return render_template("articles/new.html", form=form, errors=errors or {}, message=message, mode=mode,
                           duplicate=duplicate,
                           max_upload_mb=current_app.config["SETTINGS"].max_upload_bytes / 1_048_576), status


@bp.route("/new", methods=("GET", "POST"))
@require("articles.create")
def new():
    """Show the new-article form, or ingest the submitted article."""
    form = {name: request.form.get(name, "") for name in ARTICLE_FIELDS}
    if request.method == "GET":
        return _new_page()
    settings = current_app.config["SETTINGS"]
    data = {k: v for k, v in form.items() if v != ""} | {"text": form["text"]}
    if article_service.runs_as_job(settings, data):
        # A long article is read in the background: the job page shows its progress, then the article.
        try:
            job = source_service.submit_article_text(
                db_session(), queue=queue_for(current_app), settings=settings, data=data, user=current_db_user(),
                confirm_duplicate=request.form.get("confirm_duplicate") == "1")
        except DuplicateArticle as exc:
            return _new_page(409, form=form, message=str(exc), duplicate=exc)
        except ValidationFailed as exc:
            return _new_page(422, form=form, errors=exc.errors, message=str(exc))
        return redirect(url_for("jobs.detail", job_id=job.id), code=303)
    try:
        article, claims = article_service.ingest_article(
            db_session(), settings=current_app.config["SETTINGS"],
            data={k: v for k, v in form.items() if v != ""} | {"text": form["text"]},
            actor_id=current_db_user().id, confirm_duplicate=request.form.get("confirm_duplicate") == "1")
    except DuplicateArticle as exc:
        # Nothing was stored: offer the earlier copy, or the same form again with the duplicate confirmed.
        return _new_page(409, form=form, message=str(exc), duplicate=exc)
    except ValidationFailed as exc:
        return _new_page(422, form=form, errors=exc.errors, message=str(exc))
    flash(f"Found {len(claims)} checkable claim{'s' if len(claims) != 1 else ''}.", "success")
    return redirect(url_for("articles.detail", article_id=article.id), code=303)


@bp.post("/fetch")
@require("articles.create")
def fetch():
    """Fetch an article from its URL in the background; show the job, then the article."""
    form = {name: request.form.get(name, "") for name in ("url", *source_service.FIELDS[source_service.ARTICLE])}
    try:
        job = source_service.submit_fetch(db_session(), queue=queue_for(current_app),
                                          settings=current_app.config["SETTINGS"], target=source_service.ARTICLE,
                                          url=form["url"], fields=form, user=current_db_user())
    except ValidationFailed as exc:
        return _new_page(422, mode="url", form=form, errors=exc.errors, message=str(exc))
    return redirect(url_for("jobs.detail", job_id=job.id, follow=1), code=303)


@bp.post("/upload")
@require("articles.create")
def upload():
    """Read an article from an uploaded file in the background; show the job, then the article."""
    form = {name: request.form.get(name, "") for name in source_service.FIELDS[source_service.ARTICLE]}
    settings = current_app.config["SETTINGS"]
    try:
        filename, data = uploaded_file(settings)
        job = source_service.submit_upload(db_session(), queue=queue_for(current_app), settings=settings,
                                           target=source_service.ARTICLE, filename=filename, data=data,
                                           fields=form, user=current_db_user())
    except ValidationFailed as exc:
        return _new_page(upload_refused_status(exc), mode="upload", form=form, errors=exc.errors,
                         message=str(exc))
    return redirect(url_for("jobs.detail", job_id=job.id, follow=1), code=303)


@bp.get("/<id:article_id>")
@require("claims.view")
def detail(article_id: int):
    """Show the article text with its claims highlighted."""
    session = db_session()
    article = article_service.get_article(session, article_id)
    claims = article_service.claims_of(session, article_id)
    segments = article_service.highlighted_segments(article.text, claims)
    return render_template("articles/detail.html", article=article, claims=claims, segments=segments,
                           ranked=article_service.in_priority_order(claims))


@bp.get("/<id:article_id>/archived")
@require("claims.view")
def archived_text(article_id: int):
    """The archived copy's text (as fetched or uploaded, then extracted), as plain text."""
    article = article_service.get_article(db_session(), article_id)
    if not article_service.has_archived_copy(article):
        raise NotFound("This article was pasted in; it has no archived copy.")
    return archived_text_response(article.text, f"article-{article.id}")
