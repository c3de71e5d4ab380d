"""Database tables (SQLModel). Fields and constraints only; behaviour lives in services.

The schema is created only by Alembic migrations (``migrations/``).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import (JSON, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, UniqueConstraint, event,
                        text)
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel

from factcheck.types import EmbeddingVector, JSONList, UTCDateTime


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _ts(nullable: bool = False, index: bool = False) -> Column:
    # Aware UTC datetimes on every backend (SQLite hands back naive ones otherwise).
    return Column(UTCDateTime(), nullable=nullable, index=index)


class User(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=512)
    # checker | editor | admin; see factcheck.domain.permissions
    role: str = Field(max_length=20)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ApiToken(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="", max_length=200)
    # Only a SHA-256 hash is stored; the token itself is shown once.
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_used_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))
    revoked_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))


class Article(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    url: Optional[str] = Field(default=None, max_length=2000, index=True)
    outlet: Optional[str] = Field(default=None, max_length=200)
    author: Optional[str] = Field(default=None, max_length=300)
    published_at: Optional[date] = Field(default=None)
    language: str = Field(default="en", max_length=16)
    # The full text exactly as ingested; claim spans index into it.
    text: str
    created_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    # The archived copy, as on ``SourceDocument``: ``text`` is what was extracted
    # from the fetched or uploaded original, ``url`` the address asked for and
    # ``fetched_url`` where it finally came from. Null for pasted text.
    fetched_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))
    fetched_url: Optional[str] = Field(default=None, max_length=2000)
    filename: Optional[str] = Field(default=None, max_length=255)
    content_type: Optional[str] = Field(default=None, max_length=100)
    content_sha256: Optional[str] = Field(default=None, max_length=64)
    # The address the page names as its own (link rel=canonical, og:url), and why the
    # extracted text may be incomplete ("only 151 characters of text found ..."), shown to users.
    canonical_url: Optional[str] = Field(default=None, max_length=2000)
    text_warning: Optional[str] = Field(default=None, max_length=500)
    # How a second copy is recognised on ingest (``services.articles.earlier_copy``): the SHA-256 of the
    # normalised text (and the addresses above).
    text_sha256: Optional[str] = Field(default=None, max_length=64, index=True)
    # Set when a user ingested an article the app already had: the earlier copy.
    duplicate_of_id: Optional[int] = Field(default=None, foreign_key="article.id")


#: Indexes whose shape differs by database (created per dialect by their migration): autogenerate and the
#: models-vs-migrations test leave them out, since one model cannot describe both shapes.
INDEXES_BY_DIALECT = frozenset({"ix_claim_pool_order"})


def include_in_autogenerate(object_, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object``: everything but the per-dialect indexes."""
    return not (type_ == "index" and name in INDEXES_BY_DIALECT)


class Claim(SQLModel, table=True):
    __table_args__ = (
        Index("ix_claim_queue", "state", "assignee_id", "priority"),
        # The desk's queue (migration 0014): "assigned to me", overdue and due today, one article's claims.
        Index("ix_claim_assignee_state", "assignee_id", "state"),
        Index("ix_claim_state_due", "state", "due_date"),
        Index("ix_claim_article_state", "article_id", "state"),
        # Counting the pool for its tab from the index alone (migration 0019): "checkable" is in no other index.
        Index("ix_claim_pool_count", "state", "assignee_id", "checkable"),
        # The unassigned pool in its default order (migration 0018): the first page is an index walk that
        # stops after 50 rows instead of sorting every new claim (20-30 ms at 100k claims). The expressions
        # repeat desk_queue._order's ORDER BY literally, or the planner cannot use them. Each database gets
        # the shape its planner walks: SQLite the pool's two filters as the index's first columns, PostgreSQL a
        # partial index (it does not count "assignee_id IS NULL" as an equality that fixes the order).
        Index("ix_claim_pool_order", "state", "assignee_id", text("priority DESC"), text("(due_date IS NULL)"),
              "due_date", text("checkworthiness DESC"), "id").ddl_if(dialect="sqlite"),
        Index("ix_claim_pool_order", text("priority DESC"), text("(due_date IS NULL)"), "due_date",
              text("checkworthiness DESC"), "id",
              postgresql_where=text("state = 'new' AND assignee_id IS NULL")).ddl_if(dialect="postgresql"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    article_id: Optional[int] = Field(default=None, foreign_key="article.id", index=True)
    # The sentence exactly as it stands: article.text[span_start:span_end] == sentence.
    sentence: str
    span_start: int = Field(default=0)
    span_end: int = Field(default=0)
    standalone_text: str
    # What the standalone wording changed in `sentence` (see factcheck.coref.reading.Rewrite.as_dict),
    # and whether a checker has reviewed it: "proposed" until accepted or edited; "as_written" when
    # nothing was changed.
    rewrites: list = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))
    wording_status: str = Field(default="as_written", max_length=20)
    claimant: Optional[str] = Field(default=None, max_length=300)
    checkworthiness: float = Field(default=0.0)
    reasons: list = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))
    claim_type: str = Field(default="other", max_length=20)
    # Predictions and opinions cannot be rated: they stay out of the queue's pool by default.
    checkable: bool = Field(default=True)
    state: str = Field(default="new", max_length=20, index=True)
    assignee_id: Optional[int] = Field(default=None, foreign_key="user.id", index=True)
    # The checker who submitted the claim for review; an editor reviewing it must differ.
    checker_id: Optional[int] = Field(default=None, foreign_key="user.id")
    priority: int = Field(default=0)
    due_date: Optional[date] = Field(default=None)
    duplicate_of_claim_id: Optional[int] = Field(default=None, foreign_key="claim.id")
    duplicate_of_fact_check_id: Optional[int] = Field(default=None, foreign_key="factcheck.id")
    rejection_reason: Optional[str] = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    published_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True, index=True))
    # Raised by every edit of the wording, claimant, priority or due date: an edit naming an older one is refused.
    version: int = Field(default=1)


# Overdue / due-today filters and the "by due date" order, priority first within a day (migration 0018).
# Declared after the class so the column can carry its DESC the way the database reports it back.
Index("ix_claim_due_order", Claim.due_date, Claim.priority.desc(), Claim.id)


class FactCheck(SQLModel, table=True):
    """An earlier fact-check in the library (ours or another publisher's)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    claim_reviewed: str
    claimant: Optional[str] = Field(default=None, max_length=300)
    rating: str = Field(max_length=100)
    summary: str = Field(default="")
    # Identity for idempotent imports.
    url: str = Field(max_length=2000, unique=True, index=True)
    publisher: Optional[str] = Field(default=None, max_length=200)
    date_published: Optional[date] = Field(default=None)
    language: str = Field(default="en", max_length=16)
    is_demo: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Set for a check this newsroom published (the claim it came from): shown as "published by us",
    # kept in step with the claim's published verdict by ``services.own_checks``.
    # use_alter: claim.duplicate_of_fact_check_id points the other way, and the cycle must be broken somewhere.
    own_claim_id: Optional[int] = Field(default=None, sa_column=Column(
        Integer, ForeignKey("claim.id", use_alter=True, name="fk_factcheck_own_claim_id_claim"),
        nullable=True, unique=True, index=True))


class SourceDocument(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    url: Optional[str] = Field(default=None, max_length=2000, index=True)
    publisher: Optional[str] = Field(default=None, max_length=200)
    text: str
    is_demo: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    author: Optional[str] = Field(default=None, max_length=300)
    published_at: Optional[date] = Field(default=None)
    # The archived copy: ``text`` as extracted from what was fetched or uploaded,
    # when, from where (after redirects), its sniffed type and the SHA-256 of the
    # original bytes. Null for pasted text.
    fetched_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))
    fetched_url: Optional[str] = Field(default=None, max_length=2000)
    filename: Optional[str] = Field(default=None, max_length=255)
    content_type: Optional[str] = Field(default=None, max_length=100)
    content_sha256: Optional[str] = Field(default=None, max_length=64)
    # The address the page names as its own (link rel=canonical, og:url), and why the
    # extracted text may be incomplete ("only 151 characters of text found ..."), shown to users.
    canonical_url: Optional[str] = Field(default=None, max_length=2000)
    text_warning: Optional[str] = Field(default=None, max_length=500)


class Passage(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sourcedocument.id", index=True)
    position: int = Field(default=0)
    # source.text[span_start:span_end] == text
    text: str
    span_start: int
    span_end: int
    # The PDF page the passage is on (1-based); null for documents without pages.
    page: Optional[int] = Field(default=None)


#: Embedding rows a library search scans exactly: no projection yet (the predicate of ix_embedding_unreduced).
UNREDUCED_PREDICATE = "reduced IS NULL AND kind <> 'claim'"


class Embedding(SQLModel, table=True):
    """One vector of one object under one model variant; variants never mix."""

    __table_args__ = (
        UniqueConstraint("kind", "object_id", "model_id", "variant", name="uq_embedding_object_model"),
        Index("ix_embedding_lookup", "kind", "model_id", "variant", "id"),
        # Library rows stored before their library had a projection: searched exactly until
        # rebuild-index fills them in (migration 0006).
        Index("ix_embedding_unreduced", "kind", "model_id", "variant",
              postgresql_where=text(UNREDUCED_PREDICATE), sqlite_where=text(UNREDUCED_PREDICATE)),
        # Never reuse ids on SQLite: the in-process index detects new vectors by
        # (count, max id), which a reused id would hide.
        {"sqlite_autoincrement": True},
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    # claim | fact_check | passage
    kind: str = Field(max_length=20)
    object_id: int
    model_id: str = Field(max_length=300)
    variant: str = Field(max_length=40)
    dim: int
    vector: bytes = Field(sa_column=Column(EmbeddingVector, nullable=False))
    # PostgreSQL only: the vector on its library's principal components (see VectorProjection), which
    # pgvector's HNSW index walks; null until the library has a projection.
    reduced: Optional[bytes] = Field(default=None, sa_column=Column(EmbeddingVector, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class VectorProjection(SQLModel, table=True):
    """The principal components one library's vectors are projected on (PostgreSQL's reduced HNSW).

    Fitted once per (kind, model, variant) by ``factcheck embeddings rebuild-index`` and never
    changed afterwards, so every process projects queries and new vectors the same way.
    ``components`` holds a float32 (dim, reduced_dim) matrix, ``mean`` a float32 (dim,) vector.
    """

    __table_args__ = (UniqueConstraint("kind", "model_id", "variant", name="uq_vectorprojection_library"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    model_id: str = Field(max_length=300)
    variant: str = Field(max_length=40)
    dim: int
    reduced_dim: int
    mean: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    components: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    fitted_on: int  # how many vectors the components were fitted on
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Match(SQLModel, table=True):
    """A suggested link from a claim to an earlier fact-check or a source passage."""

    id: Optional[int] = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    # fact_check | passage
    kind: str = Field(max_length=20)
    fact_check_id: Optional[int] = Field(default=None, foreign_key="factcheck.id", index=True)
    passage_id: Optional[int] = Field(default=None, foreign_key="passage.id", index=True)
    score: float
    method: str = Field(max_length=40)
    # suggested | confirmed | rejected
    status: str = Field(default="suggested", max_length=20)
    decided_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    decided_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Raised by every decision (human or automatic): a decision naming an older one is refused.
    version: int = Field(default=1)
    # A checker's decision as a training pair: the re-ranker's features of (claim, target) when it was
    # confirmed or rejected (``rerank.FEATURES`` order); null for suggestions and automatic links.
    decision_features: Optional[list] = Field(default=None, sa_column=Column(JSON, nullable=True))


class Evidence(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    passage_id: Optional[int] = Field(default=None, foreign_key="passage.id")
    url: Optional[str] = Field(default=None, max_length=2000)
    quote: str = Field(default="")
    # supports | refutes | context
    stance: str = Field(max_length=20)
    note: str = Field(default="")
    added_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Raised by every edit: an edit or removal naming an older one is refused.
    version: int = Field(default=1)


class EvidenceArchive(SQLModel, table=True):
    """One attempt to fetch and keep a copy of a URL given as evidence; the newest attempt is the one shown.

    Pages change or disappear after a check is published: the text kept here, with the
    SHA-256 of the bytes that came back and when, is what the checker actually read.
    Earlier attempts stay (a re-fetch adds a row), so a copy never changes under a reviewer.
    """

    __table_args__ = (Index("ix_evidencearchive_evidence", "evidence_id", "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    # Removing the evidence removes its copies (the removal event keeps what it pointed at).
    evidence_id: int = Field(sa_column=Column(Integer, ForeignKey("evidence.id", ondelete="CASCADE"),
                                              nullable=False))
    claim_id: int = Field(foreign_key="claim.id", index=True)
    url: str = Field(max_length=2000)  # as it was asked for
    # pending | archived | failed
    status: str = Field(default="pending", max_length=20)
    job_id: Optional[int] = Field(default=None, foreign_key="job.id")
    requested_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Set when the attempt finished, whichever way.
    fetched_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))
    final_url: Optional[str] = Field(default=None, max_length=2000)  # after redirects
    http_status: Optional[int] = Field(default=None)
    content_type: Optional[str] = Field(default=None, max_length=100)
    content_sha256: Optional[str] = Field(default=None, max_length=64)  # of the body as it came back
    text: Optional[str] = Field(default=None)
    text_warning: Optional[str] = Field(default=None, max_length=500)
    # Why nothing was kept, in words for the checker (refused address, timeout, HTTP 404, too large, ...).
    failure: Optional[str] = Field(default=None, max_length=1000)


class Verdict(SQLModel, table=True):
    """One version of a claim's verdict; corrections add versions, never overwrite published ones."""

    __table_args__ = (UniqueConstraint("claim_id", "version", name="uq_verdict_version"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    version: int = Field(default=1)
    rating: str = Field(max_length=100)
    rating_value: int
    summary: str
    explanation: str = Field(default="")
    author_id: Optional[int] = Field(default=None, foreign_key="user.id")
    correction_note: Optional[str] = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Null while a draft; set when this version became public.
    published_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))
    # The concurrency token of the claim's verdict: counted per claim over all its verdict rows, raised by every
    # save and by publication. (``version`` numbers what gets published, so it cannot serve.)
    revision: int = Field(default=1)


class VerdictRevision(SQLModel, table=True):
    """The full text of one save of a verdict: saving a draft over another keeps the one before here."""

    __table_args__ = (UniqueConstraint("claim_id", "revision", name="uq_verdictrevision_revision"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    verdict_id: int = Field(foreign_key="verdict.id")
    version: int
    revision: int
    rating: str = Field(max_length=100)
    rating_value: int
    summary: str
    explanation: str = Field(default="")
    author_id: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Comment(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    author_id: Optional[int] = Field(default=None, foreign_key="user.id")
    body: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Event(SQLModel, table=True):
    """Append-only audit log: who did what, when, from which state to which."""

    id: Optional[int] = Field(default=None, primary_key=True)
    claim_id: Optional[int] = Field(default=None, foreign_key="claim.id", index=True)
    actor_id: Optional[int] = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=40)
    from_state: Optional[str] = Field(default=None, max_length=20)
    to_state: Optional[str] = Field(default=None, max_length=20)
    detail: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))


@event.listens_for(OrmSession, "before_flush")
def _keep_events_append_only(session, flush_context, instances):
    # The audit log must never be rewritten by application code.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("The event log is append-only.")


class Job(SQLModel, table=True):
    """A background job (fetch a URL, read an upload) and its state, shown in the UI.

    The task queue carries only the job id: everything the UI shows and a retry
    needs lives here, so any broker (or a lost queue message) can be recovered
    from this row.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    # fetch_source | fetch_article | upload_source | upload_article
    kind: str = Field(max_length=40)
    # queued | running | succeeded | failed
    status: str = Field(default="queued", max_length=20, index=True)
    progress: int = Field(default=0)  # 0-100
    message: str = Field(default="", max_length=500)
    error: Optional[str] = Field(default=None)
    attempts: int = Field(default=0)
    # The input: URL or upload name and the form's metadata fields.
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Uploaded bytes, kept until the job succeeds so a failed job can be retried.
    input_data: Optional[bytes] = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # What the job made: result_kind "source" or "article" and its id, plus
    # facts about the archived copy (final URL, fetch time, content hash).
    result_kind: Optional[str] = Field(default=None, max_length=20)
    result_id: Optional[int] = Field(default=None)
    result: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by_id: Optional[int] = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    started_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))
    finished_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))


class EmbeddingTombstone(SQLModel, table=True):
    """A deleted embedding row, written by a database trigger (migration 0003).

    In-process indexes learn about deletions from this log instead of counting
    the embedding table, which costs ~100 ms at a million rows; with it, "what
    changed since I last looked" is two index range scans.
    """

    __table_args__ = (
        Index("ix_embeddingtombstone_lookup", "kind", "model_id", "variant", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    embedding_id: int
    kind: str = Field(max_length=20)
    model_id: str = Field(max_length=300)
    variant: str = Field(max_length=40)


class MatchSetting(SQLModel, table=True):
    """Matching thresholds of one library (fact_check | passage), editable by admins.

    Scores are the re-ranker's probability that a candidate states the same
    claim. At or above ``suggest_threshold`` a match is suggested; at or above
    ``same_claim_threshold`` it is linked automatically (status confirmed,
    reversible) unless the claim is short or the fact-check is older than
    ``auto_link_max_age_days``.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    library: str = Field(max_length=20, unique=True)
    suggest_threshold: float
    same_claim_threshold: float
    auto_link_max_age_days: int
    # The score scale the thresholds were set on (``match_settings.SCALE``): a row saved on a scale its
    # library no longer uses is not applied. Rows older than this column got theirs from the audit log.
    scale: str = Field(max_length=40)
    updated_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Raised by every save: a save naming an older one is refused.
    version: int = Field(default=1)


class Notification(SQLModel, table=True):
    """Something a user should know about (assigned to you, returned, published, mentioned, due soon).

    Shown in the app until read; also emailed when SMTP is configured and the user wants that kind
    by email (``email_status``: pending, queued, sent, failed; null when no email is due).
    """

    __table_args__ = (
        Index("ix_notification_inbox", "user_id", "read_at", "id"),
        # One notification per (user, key): "due soon" is made once per claim and due date.
        UniqueConstraint("user_id", "dedupe_key", name="uq_notification_dedupe"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=30)
    claim_id: Optional[int] = Field(default=None, foreign_key="claim.id")
    actor_id: Optional[int] = Field(default=None, foreign_key="user.id")
    message: str = Field(max_length=1000)
    dedupe_key: Optional[str] = Field(default=None, max_length=200)
    # False when the user wants this kind by email only: the row then carries the email and stays out of the inbox.
    in_app: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    read_at: Optional[datetime] = Field(default=None, sa_column=_ts(nullable=True))
    email_status: Optional[str] = Field(default=None, max_length=20, index=True)
    email_error: Optional[str] = Field(default=None, max_length=1000)


class NotificationPreference(SQLModel, table=True):
    """One user's choice for one kind of notification; no row means the default (in the app and by email)."""

    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notificationpreference_kind"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=30)
    in_app: bool = Field(default=True)
    email: bool = Field(default=True)
