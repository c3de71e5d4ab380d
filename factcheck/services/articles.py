"""Ingest an article: split it into checkable claims, embed and match them."""
from __future__ import annotations

from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import NotFound, ValidationFailed
from factcheck.domain.extraction import extract_claims
from factcheck.models import Article, Claim
from factcheck.schemas import ArticleInput, parse
from factcheck.services import events
from factcheck.services.matching import KIND_CLAIM, embed_and_store, match_claims


def ingest_article(session: Session, *, settings: Settings, data: dict,
                   actor_id: int | None = None) -> tuple[Article, list[Claim]]:
    """Store an article with its claims, their embeddings and match suggestions.

    Everything happens in one transaction: a failure leaves no half-ingested article.
    """
    payload = parse(ArticleInput, data)
    if len(payload.text) > settings.max_article_chars:
        raise ValidationFailed(
            f"The article is too long ({len(payload.text):,} characters; the limit is "
            f"{settings.max_article_chars:,}).", {"text": "too long"})
    extracted = extract_claims(payload.text)
    article = Article.model_validate(payload, update={"created_by_id": actor_id})
    session.add(article)
    session.flush()
    claims = [
        Claim(article_id=article.id, sentence=c.sentence, span_start=c.start, span_end=c.end,
              standalone_text=c.standalone_text, claimant=c.claimant,
              checkworthiness=c.checkworthiness, reasons=list(c.reasons), claim_type=c.claim_type)
        for c in extracted
    ]
    session.add_all(claims)
    session.flush()
    try:
        vectors = embed_and_store(session, settings=settings, kind=KIND_CLAIM,
                                  items=[(c.id, c.standalone_text) for c in claims])
        match_claims(session, settings=settings, claims=claims, vectors=vectors)
        events.record(session, action="article_ingested", actor_id=actor_id, article_id=article.id,
                      claims=len(claims))
        for claim in claims:
            events.record(session, action="created", claim_id=claim.id, actor_id=actor_id, to_state=claim.state,
                          article_id=article.id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return article, claims


def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    return article


def claims_of(session: Session, article_id: int) -> list[Claim]:
    return list(session.exec(select(Claim).where(Claim.article_id == article_id).order_by(Claim.span_start)).all())


def list_articles(session: Session, *, limit: int = 50) -> list[Article]:
    return list(session.exec(select(Article).order_by(Article.created_at.desc(), Article.id.desc()).limit(limit)).all())


def highlighted_segments(text: str, claims: list[Claim]) -> list[tuple[str, Claim | None]]:
    """Cut the article into plain and claim segments, in order, for highlighting."""
    segments: list[tuple[str, Claim | None]] = []
    position = 0
    for claim in sorted(claims, key=lambda c: c.span_start):
        if claim.span_start < position:
            continue  # overlapping spans (split claims) highlight once
        if claim.span_start > position:
            segments.append((text[position:claim.span_start], None))
        segments.append((text[claim.span_start:claim.span_end], claim))
        position = claim.span_end
    if position < len(text):
        segments.append((text[position:], None))
    return segments
