"""The JSON API (``/api/v1``): token authentication, thin views over the services.

Every view parses the JSON body, calls one service and serialises the result.
Domain errors (validation 422, not found 404, forbidden 403, workflow or data
conflicts 409) become ``{"error", "status", "errors"?}`` responses through
``factcheck.web.errors``. Authentication is ``Authorization: Bearer <token>``
only, never cookies, so the blueprint is exempt from CSRF protection.

Public (no token): ``GET /claim-reviews`` and ``GET /rating-scale``.

Fetching a URL or reading an upload runs as a background job: those views
answer 202 with the job and a ``Location`` to poll (``GET /jobs/<id>``). The
checks that can be made at once (role, URL form and literal addresses, file
size and type, metadata) are made before the job is stored, by the same
service the web forms use, so a refused request leaves no job behind.
"""
from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from werkzeug.routing import BuildError

from factcheck.config import Settings
from factcheck.web.context import db_session
from factcheck.domain.errors import Forbidden, NotFound, ValidationFailed
from factcheck.domain.permissions import has_permission
from factcheck.domain.ratings import parse_rating_scale
from factcheck.domain.workflow import State
from factcheck.extensions import csrf
from factcheck.jobs import queue_for
from factcheck.services import articles as article_service
from factcheck.services import claims as claim_service
from factcheck.services import jobs as job_service
from factcheck.services import library as library_service
from factcheck.services import matching as matching_service
from factcheck.services import publishing as publishing_service
from factcheck.services import sources as source_service
from factcheck.services import users as user_service
from factcheck.services import versions
from factcheck.schemas import MAX_ID
from factcheck.web import presenters, public
from factcheck.web.jobs import uploaded_file

if TYPE_CHECKING:
    from factcheck.models import Job, User

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token auth only: a browser's cookies never authenticate an API call, so a
# forged cross-site request has nothing to ride on.
csrf.exempt(bp)


NOT_JSON = "Send a JSON object body with Content-Type: application/json."
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


# --------------------------------------------------------------------------- helpers


def _settings() -> Settings:
    return current_app.config["SETTINGS"]


def _unauthorized(message: str, error: str | None = None):
    response = jsonify({"error": message, "status": 401})
    response.status_code = 401
    challenge = 'Bearer realm="factcheck api"'
    if error:
        challenge += f', error="{error}"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def token_required(permission: str | None = None):
    """Resolve ``Authorization: Bearer <token>`` to ``g.api_user`` (401 otherwise).

    With ``permission``, a user whose role lacks it gets 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                return _unauthorized("Send an API token in the header 'Authorization: Bearer <token>'.")
            user = user_service.user_for_token(db_session(), token)
            if user is None:
                return _unauthorized("The API token is invalid or has been revoked.", "invalid_token")
            if permission and not has_permission(user.role, permission):
                raise Forbidden("Your role does not allow this.")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _user() -> User:
    return g.api_user


def _body() -> dict:
    """The request's JSON object (400 otherwise)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description=NOT_JSON)
    return data


def _optional_id(data: dict, name: str) -> int | None:
    """A body field that must be a whole number id when present (not "3", 3.0 or true)."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValidationFailed(f"Invalid input: {name} must be a positive integer id.",
                               {name: "must be a positive integer id"})
    return value


def _optional_str(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(f"Invalid input: {name} must be a string.", {name: "must be a string"})
    return value


def _required_str(data: dict, name: str) -> str:
    value = _optional_str(data, name)
    if value is None or not value.strip():
        raise ValidationFailed(f"Invalid input: {name} is required.", {name: "is required"})
    return value


def _query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ValidationFailed(f"Invalid input: {name} must be a whole number from {low} to {high}.",
                               {name: f"must be between {low} and {high}"})
    return value


def _expected_version(data: dict | None = None, field: str = "version") -> int | None:
    """The version the client edited: ``If-Match`` (an ETag this API gave), else the body's ``field``."""
    header = request.headers.get("If-Match")
    if header is not None and header.strip():
        return versions.parse_version(header, field="If-Match")
    return versions.parse_version((data or {}).get(field), field=field)


def _with_etag(response, version: int):
    response = current_app.make_response(response)
    response.headers["ETag"] = versions.etag(version)
    return response


def public_url(claim_id: int) -> str:
    """The absolute URL of a published check's public page, as the page itself states it."""
    try:
        return public.review_url(claim_id)
    except BuildError:  # the public page is not routed as public.check
        base = _settings().public_base_url.strip().rstrip("/") or request.url_root.rstrip("/")
        return f"{base}/checks/{claim_id}"


# --------------------------------------------------------------------------- presenting


def _claim_json(session, claim) -> dict:
    url = public_url(claim.id) if claim.state == State.PUBLISHED.value else None
    return presenters.claim_json(claim_service.claim_details(session, claim), public_url=url)


def _job_json(job) -> dict:
    return presenters.job_json(job, may_submit=source_service.may_submit(_user(), source_service.target_of(job.kind)))


# --------------------------------------------------------------------------- library and articles


@bp.post("/articles")
@token_required("articles.create")
def create_article():
    """Ingest an article; returns its claims with their match suggestions.

    An article over ``article_job_chars`` characters is read in the background:
    202 with the job, ``Location`` to poll (as for fetch and upload).
    """
    data = _body()
    session = db_session()
    # An article already in the app is a 409 naming the earlier copy ("duplicate_of"), unless confirmed.
    confirm = data.pop("confirm_duplicate", False) if isinstance(data, dict) else False
    if not isinstance(confirm, bool):
        raise ValidationFailed("confirm_duplicate must be true or false.", {"confirm_duplicate": "not a boolean"})
    if article_service.runs_as_job(_settings(), data):
        return _accepted(source_service.submit_article_text(session, queue=queue_for(current_app),
                                                            settings=_settings(), data=data, user=_user(),
                                                            confirm_duplicate=confirm))
    article, claims = article_service.ingest_article(session, settings=_settings(), data=data,
                                                     actor_id=_user().id, confirm_duplicate=confirm)
    return jsonify({"id": article.id, "claims": [
        presenters.claim_summary_json(c, matching_service.match_views(session, c.id)) for c in claims]}), 201


@bp.post("/fact-checks")
@token_required("library.edit")
def create_fact_check():
    """Add an earlier fact-check to the library (409 when its URL is already there)."""
    data = _body()
    fact_check = library_service.add_fact_check(db_session(), settings=_settings(), data=data,
                                                actor_id=_user().id)
    return jsonify({"id": fact_check.id}), 201


@bp.post("/sources")
@token_required("library.edit")
def create_source():
    """Add a source document; returns the passages it was split into."""
    data = _body()
    session = db_session()
    source = library_service.add_source(session, settings=_settings(), data=data, actor_id=_user().id)
    passages = library_service.passages_of(session, source.id)
    return jsonify({"id": source.id, "passages": [presenters.passage_json(p, with_page=False) for p in passages]}), 201


@bp.get("/articles/<id:article_id>")
@token_required("claims.view")
def get_article(article_id: int):
    """An article with its text, its archived copy's facts (when fetched or uploaded) and its claims."""
    session = db_session()
    article = article_service.get_article(session, article_id)
    return jsonify(presenters.article_json(article, article_service.claims_of(session, article.id)))


@bp.get("/sources/<id:source_id>")
@token_required("claims.view")
def get_source(source_id: int):
    """A source document with its text, its archived copy's facts and its passages."""
    session = db_session()
    source = library_service.get_source(session, source_id)
    return jsonify(presenters.source_json(source, library_service.passages_of(session, source.id)))


# --------------------------------------------------------------------------- fetch, upload and jobs


def _accepted(job: Job):
    """202 with the job; ``Location`` is where to poll it."""
    response = jsonify(_job_json(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_job", job_id=job.id)
    return response


def _metadata(fields, target: str) -> dict:
    """The optional metadata fields of ``target`` (title, publisher, ...), each a string when present."""
    return {name: value for name in source_service.FIELDS[target]
            if (value := _optional_str(fields, name)) is not None}


def _submit_fetch(target: str):
    data = _body()
    url = _required_str(data, "url")
    job = source_service.submit_fetch(db_session(), queue=queue_for(current_app), settings=_settings(),
                                      target=target, url=url, fields=_metadata(data, target), user=_user())
    return _accepted(job)


def _submit_upload(target: str):
    settings = _settings()
    if request.files.get("file") is None:
        raise ValidationFailed("Send the document as multipart/form-data, in a field named 'file'.",
                               {"file": "is required"})
    filename, data = uploaded_file(settings)
    try:
        source_service.check_upload_size(settings, len(data))
    except ValidationFailed as exc:
        # Over the upload limit: the same "too large" status as a body over the request limit.
        response = jsonify({"error": str(exc), "status": 413, "errors": exc.errors})
        response.status_code = 413
        return response
    job = source_service.submit_upload(db_session(), queue=queue_for(current_app), settings=settings,
                                       target=target, filename=filename, data=data,
                                       fields=_metadata(request.form, target), user=_user())
    return _accepted(job)


@bp.post("/articles/fetch")
@token_required(source_service.PERMISSION[source_service.ARTICLE])
def fetch_article():
    """Fetch an article from ``url`` in the background (202 with the job)."""
    return _submit_fetch(source_service.ARTICLE)


@bp.post("/articles/upload")
@token_required(source_service.PERMISSION[source_service.ARTICLE])
def upload_article():
    """Read an article from an uploaded HTML, PDF, DOCX or text file in the background (202 with the job)."""
    return _submit_upload(source_service.ARTICLE)


@bp.post("/sources/fetch")
@token_required(source_service.PERMISSION[source_service.SOURCE])
def fetch_source():
    """Fetch a source document from ``url`` in the background (202 with the job)."""
    return _submit_fetch(source_service.SOURCE)


@bp.post("/sources/upload")
@token_required(source_service.PERMISSION[source_service.SOURCE])
def upload_source():
    """Read a source document from an uploaded file in the background (202 with the job)."""
    return _submit_upload(source_service.SOURCE)


@bp.get("/jobs/<id:job_id>")
@token_required("claims.view")
def get_job(job_id: int):
    """A job's state, progress, message, failure reason and, once it succeeded, what it made."""
    return jsonify(_job_json(job_service.get_job(db_session(), job_id)))


@bp.post("/jobs/<id:job_id>/retry")
@token_required("claims.view")
def retry_job(job_id: int):
    """Queue a failed (or lost) job again; 409 for any other job. The role check for its kind is in the service."""
    job = source_service.retry(db_session(), queue=queue_for(current_app), job_id=job_id, user=_user())
    return _accepted(job)


@bp.get("/rating-scale")
def rating_scale():
    """The ratings a verdict may use, worst first (public)."""
    scale = parse_rating_scale(_settings().rating_scale)
    return jsonify([{"name": r.name, "value": r.value} for r in scale.ratings])


# --------------------------------------------------------------------------- claims


@bp.post("/queue/take")
@token_required("claims.work")
def take_from_queue():
    """Assign the next claim in the queue to the caller."""
    session = db_session()
    claim = claim_service.take_next(session, user=_user())
    if claim is None:
        raise NotFound("The queue is empty.")
    return jsonify(_claim_json(session, claim))


@bp.get("/claims/<id:claim_id>")
@token_required("claims.view")
def get_claim(claim_id: int):
    """A claim; its ``ETag`` is the version of its editable fields (wording, claimant, priority, due date)."""
    session = db_session()
    claim = claim_service.get_claim(session, claim_id)
    return _with_etag(jsonify(_claim_json(session, claim)), claim.version)


@bp.patch("/claims/<id:claim_id>")
@token_required("claims.work")
def edit_claim(claim_id: int):
    """Change the standalone wording, claimant, priority or due date; 409 if the claim was edited since If-Match."""
    data = _body()
    expected = _expected_version(data)
    fields = {k: v for k, v in data.items() if k in ("standalone_text", "claimant", "priority", "due_date")}
    session = db_session()
    claim = claim_service.edit_claim(session, settings=_settings(), claim_id=claim_id, user=_user(), data=fields,
                                     expected_version=expected)
    return _with_etag(jsonify(_claim_json(session, claim)), claim.version)


@bp.post("/claims/<id:claim_id>/evidence")
@token_required("claims.work")
def add_evidence(claim_id: int):
    data = _body()
    _optional_id(data, "passage_id")
    # A URL is archived in the background, as from the claim page.
    evidence = claim_service.add_evidence(db_session(), claim_id=claim_id, user=_user(), data=data,
                                          queue=queue_for(current_app))
    return _with_etag((jsonify(presenters.evidence_json(evidence)), 201), evidence.version)


@bp.put("/claims/<id:claim_id>/evidence/<id:evidence_id>")
@token_required("claims.work")
def edit_evidence(claim_id: int, evidence_id: int):
    """Change a piece of evidence's ``quote``, ``stance`` or ``note``; 409 if it changed since If-Match."""
    data = _body()
    expected = _expected_version(data)
    evidence = claim_service.edit_evidence(db_session(), claim_id=claim_id, evidence_id=evidence_id, user=_user(),
                                           data={k: v for k, v in data.items() if k != "version"},
                                           expected_version=expected)
    return _with_etag(jsonify(presenters.evidence_json(evidence)), evidence.version)


@bp.delete("/claims/<id:claim_id>/evidence/<id:evidence_id>")
@token_required("claims.work")
def remove_evidence(claim_id: int, evidence_id: int):
    """Unlink a piece of evidence (204); 409 if it was edited since If-Match."""
    claim_service.remove_evidence(db_session(), claim_id=claim_id, evidence_id=evidence_id, user=_user(),
                                  expected_version=_expected_version())
    return "", 204


@bp.put("/claims/<id:claim_id>/verdict")
@token_required("claims.work")
def save_verdict(claim_id: int):
    """Save the draft verdict; ``If-Match`` (or ``revision``) names the revision edited, "0" for the first."""
    data = _body()
    expected = _expected_version(data, field="revision")
    verdict = claim_service.save_verdict(db_session(), settings=_settings(), claim_id=claim_id,
                                         user=_user(), data=data, expected_revision=expected)
    return _with_etag(jsonify(presenters.verdict_json(verdict)), verdict.revision)


@bp.get("/claims/<id:claim_id>/verdict")
@token_required("claims.view")
def get_verdict(claim_id: int):
    """The claim's verdict (null before the first save), its revision (the ``ETag``) and every save's full text."""
    session = db_session()
    claim = claim_service.get_claim(session, claim_id)
    verdict = claim_service.latest_verdict(session, claim.id)
    revision = verdict.revision if verdict is not None else 0
    body = presenters.verdict_history_json(claim.id, verdict, claim_service.verdict_revisions(session, claim.id),
                                           names=user_service.emails_by_id(session))
    return _with_etag(jsonify(body), revision)


@bp.post("/claims/<id:claim_id>/transitions")
@token_required("claims.work")
def transition(claim_id: int):
    """Apply a workflow action: 409 when the claim's state forbids it, 403 when the role does."""
    data = _body()
    action = _required_str(data, "action")
    comment = _optional_str(data, "comment") or ""
    duplicate_of_claim_id = _optional_id(data, "duplicate_of_claim_id")
    duplicate_of_fact_check_id = _optional_id(data, "duplicate_of_fact_check_id")
    session = db_session()
    claim = claim_service.transition(session, claim_id=claim_id, action=action.strip(), user=_user(),
                                     comment=comment, duplicate_of_claim_id=duplicate_of_claim_id,
                                     duplicate_of_fact_check_id=duplicate_of_fact_check_id,
                                     no_evidence_reason=_optional_str(data, "no_evidence_reason") or "",
                                     settings=current_app.config["SETTINGS"])
    return jsonify(_claim_json(session, claim))


@bp.post("/claims/<id:claim_id>/matches/<id:match_id>")
@token_required("claims.work")
def decide_match(claim_id: int, match_id: int):
    """Confirm or reject a match suggestion."""
    data = _body()
    status = _required_str(data, "status").strip()
    if status not in ("confirmed", "rejected"):
        raise ValidationFailed("Invalid input: status must be confirmed or rejected.",
                               {"status": "must be confirmed or rejected"})
    expected = _expected_version(data)
    session = db_session()
    match = matching_service.decide_match(session, claim_id=claim_id, match_id=match_id,
                                          user=_user(), decision=status, expected_version=expected,
                                          settings=_settings())
    view = matching_service.match_view(session, claim_id, match.id)
    return _with_etag(jsonify(presenters.match_json(view) if view is not None else presenters.bare_match_json(match)),
                      match.version)


@bp.post("/claims/<id:claim_id>/comments")
@token_required("claims.work")
def add_comment(claim_id: int):
    data = _body()
    comment = claim_service.add_comment(db_session(), claim_id=claim_id, user=_user(), data=data)
    return jsonify(presenters.comment_json(comment, author_email=_user().email)), 201


# --------------------------------------------------------------------------- publication


@bp.get("/claim-reviews")
def claim_reviews():
    """schema.org ClaimReview objects for published checks, newest first (public)."""
    limit = _query_int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _query_int("offset", 0, 0, MAX_ID)
    settings = _settings()
    checks = publishing_service.list_published(db_session(), limit=limit, offset=offset)
    reviews = [
        publishing_service.claim_review(check, settings=settings, review_url=public_url(check.claim.id))
        for check in checks
    ]
    return jsonify({"claim_reviews": reviews})
