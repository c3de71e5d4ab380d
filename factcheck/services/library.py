"""The library: earlier fact-checks and source documents (with passages)."""
from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import func, or_
from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import Conflict, NotFound
from factcheck.domain.passages import split_passages
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
    session.flush()
    embed_and_store(session, settings=settings, kind=KIND_FACT_CHECK,
                    items=[(fact_check.id, fact_check_text(fact_check))])
    events.record(session, action="fact_check_added", actor_id=actor_id, fact_check_id=fact_check.id)
    session.commit()
    return fact_check


def add_source(session: Session, *, settings: Settings, data: dict, actor_id: int | None = None,
               is_demo: bool = False) -> SourceDocument:
    """Validate and store a source document, split into embedded passages."""
    payload = parse(SourceInput, data)
    source = SourceDocument.model_validate(payload, update={"is_demo": is_demo})
    session.add(source)
    session.flush()
    passages = [
        Passage(source_id=source.id, position=i, text=p.text, span_start=p.start, span_end=p.end)
        for i, p in enumerate(split_passages(source.text))
    ]
    session.add_all(passages)
    session.flush()
    embed_and_store(session, settings=settings, kind=KIND_PASSAGE, items=[(p.id, p.text) for p in passages])
    events.record(session, action="source_added", actor_id=actor_id, source_id=source.id,
                  passages=len(passages))
    session.commit()
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


def load_demo_library(session: Session, *, settings: Settings) -> dict[str, int]:
    """Load the bundled demo library; items already present are skipped (idempotent)."""
    data = json.loads(resources.files("factcheck.data").joinpath("demo_library.json").read_text("utf-8"))
    added = {"fact_checks": 0, "sources": 0}
    known_urls = set(session.exec(select(FactCheck.url)).all())
    for item in data["fact_checks"]:
        if item["url"] in known_urls:
            continue
        add_fact_check(session, settings=settings, data=item, is_demo=True)
        added["fact_checks"] += 1
    known_sources = set(session.exec(select(SourceDocument.url).where(SourceDocument.is_demo.is_(True))).all())
    for item in data["sources"]:
        if item["url"] in known_sources:
            continue
        add_source(session, settings=settings, data=item, is_demo=True)
        added["sources"] += 1
    return added
