"""JSON shapes of the app's records, shared by the API and every other JSON the web layer serves.

Presenters are pure: they take rows and the views the services assembled
(``ClaimDetails``, ``MatchView``, ...) and return plain dicts. They never query;
whatever they need is looked up by a service first and passed in.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask import url_for

from factcheck.publishing.atom import rfc3339
from factcheck.services import jobs as job_service
from factcheck.services import matching as matching_service
from factcheck.services import sources as source_service

if TYPE_CHECKING:
    from factcheck.models import Article, Claim, Comment, Evidence, Job, Match, Passage, SourceDocument, Verdict
    from factcheck.services.claims import ClaimDetails


def iso(value) -> str | None:
    """Dates as ``YYYY-MM-DD``; points in time as RFC 3339 in UTC (with the offset)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return rfc3339(value)
    return value.isoformat()


def match_json(view: matching_service.MatchView) -> dict:
    match = view.match
    item = {
        "match_id": match.id,
        "kind": match.kind,
        "id": match.fact_check_id if match.kind == matching_service.KIND_FACT_CHECK else match.passage_id,
        "score": match.score,
        "status": match.status,
        "version": match.version,
        "text": view.text,
    }
    if match.kind == matching_service.KIND_FACT_CHECK:
        item["rating"] = view.rating
        item["url"] = view.url
        item["publisher"] = view.title
        # "published by us" (this newsroom's own check) or "imported"; the score's plain-words label.
        item["library_kind"] = "own" if view.own else "imported"
        item["label"] = view.label
    return item


def bare_match_json(match: Match) -> dict:
    """A match whose fact-check or passage is gone: the decision is reported anyway."""
    return {"match_id": match.id, "kind": match.kind, "id": match.fact_check_id or match.passage_id,
            "score": match.score, "status": match.status, "version": match.version, "text": None}


def evidence_json(evidence: Evidence, archive=None) -> dict:
    """A piece of evidence; with ``archive`` (an ``evidence_archive.ArchiveView``), its latest archived copy."""
    data = {"id": evidence.id, "passage_id": evidence.passage_id, "url": evidence.url,
            "quote": evidence.quote, "stance": evidence.stance, "note": evidence.note, "version": evidence.version}
    if archive is not None:
        data["archive"] = {"status": archive.status, "fetched_at": iso(archive.fetched_at),
                           "sha256": archive.sha256, "final_url": archive.final_url,
                           "http_status": archive.http_status, "failure": archive.failure}
    return data


def verdict_json(verdict: Verdict | None) -> dict | None:
    if verdict is None:
        return None
    return {"version": verdict.version, "rating": verdict.rating, "rating_value": verdict.rating_value,
            "summary": verdict.summary, "explanation": verdict.explanation,
            "published": verdict.published_at is not None,
            # The concurrency token (ETag / If-Match) of the claim's verdict; ``version`` numbers publications.
            "revision": verdict.revision, "updated_at": iso(verdict.updated_at)}


def verdict_revision_json(revision, *, author: str | None) -> dict:
    """One save of a verdict, with its full text."""
    return {"revision": revision.revision, "version": revision.version, "rating": revision.rating,
            "rating_value": revision.rating_value, "summary": revision.summary,
            "explanation": revision.explanation, "author": author, "saved_at": iso(revision.created_at)}


def _duplicate_json(details: ClaimDetails) -> dict | None:
    claim = details.claim
    if claim.duplicate_of_claim_id:
        return {"kind": "claim", "id": claim.duplicate_of_claim_id}
    if claim.duplicate_of_fact_check_id:
        item = {"kind": "fact_check", "id": claim.duplicate_of_fact_check_id}
        fact_check = details.duplicate_fact_check
        if fact_check is not None:
            item.update(url=fact_check.url, claim_reviewed=fact_check.claim_reviewed, rating=fact_check.rating)
        return item
    return None


def verdict_history_json(claim_id: int, verdict: Verdict | None, revisions: list, *, names: dict[int, str]) -> dict:
    """A claim's verdict, its revision (0 before the first save) and the full text of every save, oldest first."""
    return {"claim_id": claim_id, "revision": verdict.revision if verdict is not None else 0,
            "verdict": verdict_json(verdict),
            "revisions": [verdict_revision_json(r, author=names.get(r.author_id)) for r in revisions]}


def claim_summary_json(claim: Claim, matches: list[matching_service.MatchView]) -> dict:
    """A claim as returned right after ingesting its article."""
    return {"id": claim.id, "text": claim.sentence, "standalone_text": claim.standalone_text,
            "wording_status": claim.wording_status, "rewrites": list(claim.rewrites or []),
            "start": claim.span_start, "end": claim.span_end, "checkworthiness": claim.checkworthiness,
            "reasons": list(claim.reasons or []), "claim_type": claim.claim_type, "checkable": claim.checkable,
            "claimant": claim.claimant, "matches": [match_json(v) for v in matches]}


def claim_json(details: ClaimDetails, *, public_url: str | None) -> dict:
    """A claim with its workflow, matches, evidence and verdict; ``public_url`` once it is published."""
    claim, inherited = details.claim, details.inherited
    return {
        "id": claim.id,
        "article_id": claim.article_id,
        "text": claim.sentence,
        "standalone_text": claim.standalone_text,
        # "proposed" until a checker accepts or edits the rewrites listed in "rewrites".
        "wording_status": claim.wording_status,
        "rewrites": list(claim.rewrites or []),
        "start": claim.span_start,
        "end": claim.span_end,
        "claimant": claim.claimant,
        "checkworthiness": claim.checkworthiness,
        "reasons": list(claim.reasons or []),
        "claim_type": claim.claim_type,
        "checkable": claim.checkable,
        "state": claim.state,
        "version": claim.version,
        "assignee": details.assignee_email,
        "checker": details.checker_email,
        "priority": claim.priority,
        "due_date": iso(claim.due_date),
        "matches": [match_json(v) for v in details.matches],
        "evidence": [evidence_json(e, details.archives.get(e.id)) for e in details.evidence],
        "verdict": verdict_json(details.verdict),
        "duplicate_of": _duplicate_json(details),
        "inherited_verdict": None if inherited is None else {
            "rating": inherited.rating, "summary": inherited.summary, "url": inherited.url,
            "source": inherited.source},
        "public_url": public_url,
    }


def archive_json(row: Article | SourceDocument) -> dict | None:
    """Where and when the stored text was taken from (null for pasted text)."""
    if row.fetched_at is None:
        return None
    return {"original_url": row.url, "final_url": row.fetched_url, "filename": row.filename,
            "fetched_at": iso(row.fetched_at), "content_type": row.content_type,
            "content_sha256": row.content_sha256, "canonical_url": row.canonical_url}


def article_json(article: Article, claims: list[Claim]) -> dict:
    return {
        "id": article.id, "title": article.title, "url": article.url, "outlet": article.outlet,
        "author": article.author, "published_at": iso(article.published_at), "language": article.language,
        "created_at": iso(article.created_at), "text": article.text, "archive": archive_json(article),
        "canonical_url": article.canonical_url, "warning": article.text_warning,
        "claims": [{"id": c.id, "text": c.sentence, "standalone_text": c.standalone_text, "state": c.state,
                    "checkworthiness": c.checkworthiness, "checkable": c.checkable}
                   for c in claims],
    }


def passage_json(passage: Passage, *, with_page: bool = True) -> dict:
    item = {"id": passage.id, "text": passage.text, "start": passage.span_start, "end": passage.span_end}
    if with_page:
        item["page"] = passage.page
    return item


def source_json(source: SourceDocument, passages: list[Passage]) -> dict:
    return {
        "id": source.id, "title": source.title, "url": source.url, "publisher": source.publisher,
        "author": source.author, "published_at": iso(source.published_at), "created_at": iso(source.created_at),
        "text": source.text, "archive": archive_json(source),
        "canonical_url": source.canonical_url, "warning": source.text_warning,
        "passages": [passage_json(p) for p in passages],
    }


_RESULTS = {source_service.ARTICLE: ("api.get_article", "articles.detail", "article_id"),
            source_service.SOURCE: ("api.get_source", "library.source_detail", "source_id")}


def job_json(job: Job, *, may_submit: bool) -> dict:
    """A job; ``may_submit`` says whether the caller's role may submit (and so retry) this kind of job."""
    payload = job.payload or {}
    target = source_service.target_of(job.kind)
    result = None
    if job.status == job_service.SUCCEEDED and job.result_kind in _RESULTS:
        api_endpoint, page_endpoint, argument = _RESULTS[job.result_kind]
        result = {"kind": job.result_kind, "id": job.result_id,
                  "url": url_for(api_endpoint, **{argument: job.result_id}, _external=True),
                  "page_url": url_for(page_endpoint, **{argument: job.result_id}, _external=True),
                  "archive": job.result or {}}
    return {
        "id": job.id, "kind": job.kind, "target": target,
        "description": source_service.describe(job),
        "state": job.status, "progress": job.progress, "message": job.message, "error": job.error,
        # A job that succeeded but read implausibly little text says so here, not only in its message.
        "warning": (job.result or {}).get("warning") if job.status == job_service.SUCCEEDED else None,
        "attempts": job.attempts, "stale": job_service.is_stale(job),
        "can_retry": job_service.can_retry(job) and may_submit,
        "input": {key: payload[key] for key in ("url", "filename", "detected", "fields") if key in payload},
        "result": result,
        "created_at": iso(job.created_at), "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
    }


def comment_json(comment: Comment, *, author_email: str | None) -> dict:
    return {"id": comment.id, "claim_id": comment.claim_id, "author": author_email,
            "body": comment.body, "created_at": iso(comment.created_at)}


def json_feed_item(check, review: dict) -> dict:
    """One published check as a JSON Feed 1.1 item carrying its ClaimReview."""
    return {
        "id": review["url"],
        "url": review["url"],
        "title": f"{check.verdict.rating}: {check.claim.standalone_text}",
        "content_text": check.verdict.summary,
        "date_published": rfc3339(check.claim.published_at),
        "date_modified": rfc3339(check.verdict.published_at),
        "_claim_review": review,
    }


def claim_wording_json(claim: Claim) -> dict:
    """The editable fields of a claim, with their version."""
    return {"id": claim.id, "standalone_text": claim.standalone_text, "claimant": claim.claimant,
            "priority": claim.priority, "due_date": iso(claim.due_date), "version": claim.version}


def match_decision_json(match: Match) -> dict:
    return {"match_id": match.id, "status": match.status, "decided_at": iso(match.decided_at),
            "version": match.version}


def match_settings_json(row, *, version: int) -> dict:
    return {"library": row.library, "suggest_threshold": row.suggest_threshold,
            "same_claim_threshold": row.same_claim_threshold,
            "auto_link_max_age_days": row.auto_link_max_age_days, "version": version}


def stale_write_json(error) -> dict:
    """The extra fields of a 409 for a stale write: who changed the record, when, and what it holds now."""
    current = error.current
    shapes = {
        "verdict": lambda: verdict_json(current),
        "claim": lambda: claim_wording_json(current),
        "evidence": lambda: evidence_json(current),
        "match": lambda: match_decision_json(current),
        "match_settings": lambda: match_settings_json(current, version=error.current_version),
    }
    return {"kind": error.kind, "current_version": error.current_version,
            # Users by email, as everywhere in the API; the matcher's automatic links by a description.
            "your_version": error.expected_version, "changed_by": error.changed_by_email or error.changed_by,
            "changed_at": iso(error.changed_at),
            "current": shapes[error.kind]() if current is not None and error.kind in shapes else None}
