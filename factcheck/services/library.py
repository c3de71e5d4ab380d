"""The library: earlier fact-checks and source documents (with passages)."""
from __future__ import annotations


import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from importlib import resources
from typing import Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import Conflict, NotFound, ValidationFailed
from factcheck.domain.passages import Page, split_passages
from factcheck.models import FactCheck, Passage, SourceDocument
from factcheck.schemas import FactCheckInput, SourceInput, parse
from factcheck.services import events
from factcheck.services.matching import KIND_FACT_CHECK, KIND_PASSAGE, embed_and_store


def fact_check_text(fact_check: FactCheck) -> str:
    """What is embedded for an earlier fact-check: the claim it reviewed."""
    return fact_check.claim_reviewed


def add_fact_check(session: Session, *, settings: Settings, data: dict, actor_id: int | None = None,
                   is_demo: bool = False) -> FactCheck:
    """Validate, store and embed one earlier fact-check. URLs are unique."""
    payload = parse(FactCheckInput, data)
    if session.exec(select(FactCheck.id).where(FactCheck.url == payload.url)).first() is not None:
        raise Conflict(f"A fact-check with the URL {payload.url} is already in the library.")
    fact_check = FactCheck.model_validate(payload, update={"is_demo": is_demo})
    session.add(fact_check)
    try:
        session.flush()
    except IntegrityError:
        # Another request stored the same URL between our check and this insert.
        session.rollback()
        raise Conflict(f"A fact-check with the URL {payload.url} is already in the library.") from None
    embed_and_store(session, settings=settings, kind=KIND_FACT_CHECK,
                    items=[(fact_check.id, fact_check_text(fact_check))])
    events.record(session, action="fact_check_added", actor_id=actor_id, fact_check_id=fact_check.id)
    session.commit()
    return fact_check


class _SourceDetails(BaseModel):
    """Source metadata beyond ``SourceInput``: usually extracted from a fetched or uploaded document."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    author: Optional[str] = Field(default=None, max_length=300)
    published_at: Optional[date] = None


@dataclass(frozen=True)
class ArchivedCopy:
    """Where and when a source's text was taken from; stored on the ``SourceDocument``."""

    fetched_at: datetime
    content_type: str
    content_sha256: str
    fetched_url: str | None = None
    filename: str | None = None
    canonical_url: str | None = None  # the address the page gives as its own
    text_warning: str | None = None  # why the text may be incomplete


def add_source(session: Session, *, settings: Settings, data: dict, actor_id: int | None = None,
               is_demo: bool = False, pages: Sequence[Page] = (), archive: ArchivedCopy | None = None
               ) -> SourceDocument:
    """Validate and store a source document, split into embedded passages.

    One transaction: the document row exists only once its passages and their
    vectors were made, so a failure never leaves a half-written document.
    ``pages`` (from a PDF) keep passages within a page and record its number.
    """
    payload = parse(SourceInput, data)
    details = parse(_SourceDetails, {k: v for k, v in data.items() if k in ("author", "published_at") and v})
    if len(payload.text) > settings.max_document_chars:
        raise ValidationFailed(f"The document is too long ({len(payload.text):,} characters; the limit is "
                               f"{settings.max_document_chars:,}).", {"text": "too long"})
    archived = asdict(archive) if archive is not None else {}
    source = SourceDocument.model_validate(payload, update={"is_demo": is_demo, **details.model_dump(), **archived})
    try:
        session.add(source)
        session.flush()
        passages = [
            Passage(source_id=source.id, position=i, text=p.text, span_start=p.start, span_end=p.end, page=p.page)
            for i, p in enumerate(split_passages(source.text, pages=pages))
        ]
        session.add_all(passages)
        session.flush()
        embed_and_store(session, settings=settings, kind=KIND_PASSAGE, items=[(p.id, p.text) for p in passages])
        events.record(session, action="source_added", actor_id=actor_id, source_id=source.id,
                      passages=len(passages))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return source


def passages_of(session: Session, source_id: int) -> list[Passage]:
    return list(session.exec(select(Passage).where(Passage.source_id == source_id).order_by(Passage.position)).all())


def get_fact_check(session: Session, fact_check_id: int) -> FactCheck:
    fact_check = session.get(FactCheck, fact_check_id)
    if fact_check is None:
        raise NotFound("No such fact-check.")
    return fact_check


def get_source(session: Session, source_id: int) -> SourceDocument:
    source = session.get(SourceDocument, source_id)
    if source is None:
        raise NotFound("No such source document.")
    return source


def list_fact_checks(session: Session, *, query: str = "", limit: int = 50, offset: int = 0) -> tuple[list[FactCheck], int]:
    statement = select(FactCheck)
    count = select(func.count(FactCheck.id))
    if query:
        like = f"%{query.strip()}%"
        condition = or_(FactCheck.claim_reviewed.ilike(like), FactCheck.summary.ilike(like),
                        FactCheck.publisher.ilike(like), FactCheck.claimant.ilike(like))
        statement, count = statement.where(condition), count.where(condition)
    rows = session.exec(statement.order_by(FactCheck.date_published.desc(), FactCheck.id.desc())
                        .offset(offset).limit(limit)).all()
    return list(rows), session.exec(count).one()


def list_sources(session: Session, *, query: str = "", limit: int = 50) -> list[SourceDocument]:
    statement = select(SourceDocument)
    if query:
        statement = statement.where(SourceDocument.title.ilike(f"%{query.strip()}%"))
    return list(session.exec(statement.order_by(SourceDocument.id.desc()).limit(limit)).all())


def add_fact_checks(session: Session, *, settings: Settings, items: list[dict], actor_id: int | None = None,
                    is_demo: bool = False) -> list[FactCheck]:
    """Validate all items first, then store and embed them in one batch and one transaction."""
    payloads = [parse(FactCheckInput, item) for item in items]
    urls = [p.url for p in payloads]
    if len(set(urls)) != len(urls):
        raise Conflict("The batch contains the same URL twice.")
    taken = set(session.exec(select(FactCheck.url).where(FactCheck.url.in_(urls))).all())
    if taken:
        raise Conflict(f"Already in the library: {', '.join(sorted(taken))}.")
    fact_checks = [FactCheck.model_validate(p, update={"is_demo": is_demo}) for p in payloads]
    session.add_all(fact_checks)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("Another request added some of these fact-checks at the same time; try again.") from None
    embed_and_store(session, settings=settings, kind=KIND_FACT_CHECK,
                    items=[(fc.id, fact_check_text(fc)) for fc in fact_checks])
    events.record(session, action="fact_checks_added", actor_id=actor_id, count=len(fact_checks))
    session.commit()
    return fact_checks


def load_demo_library(session: Session, *, settings: Settings) -> dict[str, int]:
    """Load the bundled demo library; items already present are skipped (idempotent)."""
    data = json.loads(resources.files("factcheck.data").joinpath("demo_library.json").read_text("utf-8"))
    known_urls = set(session.exec(select(FactCheck.url)).all())
    missing = [item for item in data["fact_checks"] if item["url"] not in known_urls]
    if missing:
        add_fact_checks(session, settings=settings, items=missing, is_demo=True)
    known_sources = set(session.exec(select(SourceDocument.url).where(SourceDocument.is_demo.is_(True))).all())
    sources_added = 0
    for item in data["sources"]:
        if item["url"] in known_sources:
            continue
        add_source(session, settings=settings, data=item, is_demo=True)
        sources_added += 1
    return {"fact_checks": len(missing), "sources": sources_added}
