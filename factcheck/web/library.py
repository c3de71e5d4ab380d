"""The library: earlier fact-checks and source documents."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from factcheck.web.context import db_session
from factcheck.domain.errors import Conflict, NotFound, ValidationFailed
from factcheck.ingest import documents
from factcheck.jobs import queue_for
from factcheck.services import claims as claim_service
from factcheck.services import evidence_search as evidence_service
from factcheck.services import library as library_service
from factcheck.services import matching as matching_service
from factcheck.services import sources as source_service
from factcheck.web.auth import current_db_user, require
from factcheck.web.htmx import render
from factcheck.web.jobs import archived_text_response, upload_refused_status, uploaded_file

bp = Blueprint("library", __name__, url_prefix="/library")

FACT_CHECK_FIELDS = ("claim_reviewed", "claimant", "rating", "summary", "url", "publisher", "date_published", "language")
SOURCE_FIELDS = ("title", "url", "publisher", "text")


def _form(fields) -> dict:
    return {name: request.form.get(name, "") for name in fields}


@bp.get("/fact-checks")
@require("claims.view")
def fact_checks():
    """List and search earlier fact-checks (live search updates only the rows)."""
    query = request.args.get("q", "").strip()
    page = min(max(request.args.get("page", 1, type=int), 1), 10_000)
    rows, total = library_service.list_fact_checks(db_session(), query=query, limit=50, offset=(page - 1) * 50)
    return render("library/fact_checks.html", "library/_fact_check_rows.html", fact_checks=rows, total=total,
                  query=query, page=page, form={"language": "en"}, errors={})


@bp.post("/fact-checks")
@require("library.edit")
def fact_checks_create():
    """Add an earlier fact-check to the library."""
    form = _form(FACT_CHECK_FIELDS)
    try:
        fact_check = library_service.add_fact_check(
            db_session(), settings=current_app.config["SETTINGS"],
            data={k: v for k, v in form.items() if v != ""}, actor_id=current_db_user().id)
    except (ValidationFailed, Conflict) as exc:
        rows, total = library_service.list_fact_checks(db_session())
        return render_template("library/fact_checks.html", fact_checks=rows, total=total, query="", page=1,
                               form=form, errors=getattr(exc, "errors", {}), message=str(exc)), \
            422 if isinstance(exc, ValidationFailed) else 409
    flash("Fact-check added to the library.", "success")
    return redirect(url_for("library.fact_check_detail", fact_check_id=fact_check.id), code=303)


@bp.get("/fact-checks/<id:fact_check_id>")
@require("claims.view")
def fact_check_detail(fact_check_id: int):
    """Show one earlier fact-check."""
    return render_template("library/fact_check.html",
                           fact_check=library_service.get_fact_check(db_session(), fact_check_id))


@bp.get("/search")
@require("claims.view")
def search():
    """Has this been checked before? Semantic search over fact-checks and passages."""
    query = request.args.get("q", "").strip()
    results = {"fact_checks": [], "passages": []}
    if query:
        session, settings = db_session(), current_app.config["SETTINGS"]
        for kind, key in (("fact_check", "fact_checks"), ("passage", "passages")):
            hits = matching_service.search_text(session, settings=settings, text=query, kind=kind, k=10,
                                                threshold=matching_service.LIBRARY_SEARCH_THRESHOLD[kind])
            results[key] = matching_service.describe_hits(session, hits)
    return render("library/search.html", "library/_search_results.html", query=query, results=results)


def _sources_page(status: int = 200, *, mode: str = "", query: str = "", form: dict | None = None,
                  errors: dict | None = None, message: str = ""):
    """The sources page; ``mode`` (paste, url, upload) opens the form that failed, with its errors."""
    return render_template("library/sources.html", sources=library_service.list_sources(db_session(), query=query),
                           query=query, mode=mode, form=form or {}, errors=errors or {}, message=message,
                           kinds={documents.CONTENT_TYPES[k]: label for k, label in documents.LABELS.items()},
                           max_upload_mb=current_app.config["SETTINGS"].max_upload_bytes / 1_048_576), status


@bp.get("/sources")
@require("claims.view")
def sources():
    """List source documents."""
    return _sources_page(query=request.args.get("q", "").strip())


@bp.post("/sources")
@require("library.edit")
def sources_create():
    """Add a source document from pasted text; it is split into passages."""
    form = _form(SOURCE_FIELDS)
    try:
        source = library_service.add_source(
            db_session(), settings=current_app.config["SETTINGS"],
            data={k: v for k, v in form.items() if v != ""} | {"text": form["text"]}, actor_id=current_db_user().id)
    except ValidationFailed as exc:
        return _sources_page(422, mode="paste", form=form, errors=exc.errors, message=str(exc))
    flash("Source document added.", "success")
    return redirect(url_for("library.source_detail", source_id=source.id), code=303)


@bp.post("/sources/fetch")
@require("library.edit")
def sources_fetch():
    """Fetch a web page or document as a source, in the background; show the job."""
    form = _form(("url", "title", "publisher"))
    try:
        job = source_service.submit_fetch(db_session(), queue=queue_for(current_app),
                                          settings=current_app.config["SETTINGS"], target=source_service.SOURCE,
                                          url=form["url"], fields=form, user=current_db_user())
    except ValidationFailed as exc:
        return _sources_page(422, mode="url", form=form, errors=exc.errors, message=str(exc))
    return redirect(url_for("jobs.detail", job_id=job.id, follow=1), code=303)


@bp.post("/sources/upload")
@require("library.edit")
def sources_upload():
    """Read an uploaded HTML, PDF, DOCX or text file as a source, in the background; show the job."""
    form = _form(("title", "publisher"))
    settings = current_app.config["SETTINGS"]
    try:
        filename, data = uploaded_file(settings)
        job = source_service.submit_upload(db_session(), queue=queue_for(current_app), settings=settings,
                                           target=source_service.SOURCE, filename=filename, data=data,
                                           fields=form, user=current_db_user())
    except ValidationFailed as exc:
        return _sources_page(upload_refused_status(exc), mode="upload", form=form, errors=exc.errors,
                             message=str(exc))
    return redirect(url_for("jobs.detail", job_id=job.id, follow=1), code=303)


@bp.get("/sources/<id:source_id>")
@require("claims.view")
def source_detail(source_id: int):
    """Show a source document, where its archived copy came from, and its passages."""
    session = db_session()
    source = library_service.get_source(session, source_id)
    return render_template("library/source.html", source=source,
                           passages=library_service.passages_of(session, source_id))


@bp.get("/sources/<id:source_id>/archived")
@require("claims.view")
def source_archived_text(source_id: int):
    """The archived copy's extracted text, as plain text."""
    source = library_service.get_source(db_session(), source_id)
    if source.fetched_at is None:
        raise NotFound("This source was pasted in; it has no archived copy.")
    return archived_text_response(source.text, f"source-{source.id}")


@bp.get("/evidence/claims/<id:claim_id>")
@require("claims.view")
def evidence_suggestions(claim_id: int):
    """Suggest source passages as evidence for a claim (loaded into the claim page by htmx)."""
    session = db_session()
    claim = claim_service.get_claim(session, claim_id)
    suggestions = evidence_service.suggestions_for(session, settings=current_app.config["SETTINGS"], claim=claim)
    # The permission table decides, as on the claim page's evidence panel.
    may_link = claim_service.can(session, current_db_user(), "add_evidence", claim)
    return render("library/evidence.html", "library/_evidence_suggestions.html", claim=claim,
                  suggestions=suggestions, may_link=may_link)
