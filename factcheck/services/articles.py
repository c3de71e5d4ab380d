"""Ingest an article: find its claims, score them, embed and match them."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import numpy as np
from sqlalchemy import func, or_
from sqlmodel import Session, select

from factcheck.checkworthiness.embedding import embedder_for_model
from factcheck.checkworthiness.model import Assessment, shipped_model
from factcheck.config import Settings
from factcheck.domain.errors import DuplicateArticle, NotFound, ValidationFailed
from factcheck.domain.extraction import ExtractedClaim, extract_claims
from factcheck.matching.lexical import words
from factcheck.models import Article, Claim
from factcheck.schemas import ArticleInput, parse
from factcheck.services import events
from factcheck.services.library import ArchivedCopy
from factcheck.services.matching import (
    KIND_CLAIM,
    embed_and_store,
    embedder_for,
    match_claims,
    store_embeddings,
)


@dataclass(frozen=True)
class ScoredClaim:
    candidate: ExtractedClaim
    assessment: Assessment
    vector: np.ndarray  # of the standalone text, by the check-worthiness model's embedder


def score_claims(candidates: list[ExtractedClaim], *, settings: Settings) -> list[ScoredClaim]:
    """Embed the candidates' standalone texts once, in one batch, and score them."""
    model = shipped_model()
    embedder = embedder_for_model(model, settings.embedding_model, settings.embedding_batch_size,
                                  settings.embedding_variant)
    texts = [candidate.standalone_text for candidate in candidates]
    vectors = embedder.encode(texts)
    assessments = model.assess([candidate.features for candidate in candidates], vectors, texts=texts)
    return [ScoredClaim(c, a, v) for c, a, v in zip(candidates, assessments, vectors)]


def _no_progress(_percent: int, _message: str) -> None:
    pass


def check_article(settings: Settings, data: dict) -> ArticleInput:
    """Validate an article before anything is stored or queued (the same checks for a job and a request)."""
    payload = parse(ArticleInput, data)
    if len(payload.text) > settings.max_article_chars:
        raise ValidationFailed(
            f"The article is too long ({len(payload.text):,} characters; the limit is "
            f"{settings.max_article_chars:,}).", {"text": "too long"})
    return payload


def runs_as_job(settings: Settings, data: dict) -> bool:
    """True when a pasted article is long enough to be ingested in the background (``article_job_chars``)."""
    text = data.get("text")
    return isinstance(text, str) and len(text) > settings.article_job_chars


def refuse_duplicate(session: Session, payload: ArticleInput, *, archive: ArchivedCopy | None = None,
                     confirmed: bool = False) -> tuple[Article, str] | None:
    """The earlier copy of this article, if any; raises ``DuplicateArticle`` unless the user ``confirmed``.

    Called before anything is written or queued, so a repeated article costs the user one question, never
    a second set of claims they did not ask for.
    """
    urls = [u for u in (payload.url, archive.fetched_url if archive else None,
                        archive.canonical_url if archive else None) if u]
    earlier = earlier_copy(session, urls=urls, text=payload.text)
    if earlier is not None and not confirmed:
        article, reason = earlier
        raise DuplicateArticle(
            f"This article is already in the app ({reason}): “{article.title}”, article {article.id}, added "
            f"{article.created_at:%Y-%m-%d}. Open it there, or confirm to add a second copy with its own claims.",
            earlier_id=article.id, earlier_title=article.title, reason=reason)
    return earlier


def ingest_article(session: Session, *, settings: Settings, data: dict, actor_id: int | None = None,
                   archive: ArchivedCopy | None = None, confirm_duplicate: bool = False,
                   progress=_no_progress) -> tuple[Article, list[Claim]]:
    """Store an article with its claims, their embeddings and match suggestions.

    Candidates scoring below the model's keep threshold are not stored. Everything
    happens in one transaction: a failure leaves no half-ingested article.
    ``archive`` (for a fetched or uploaded article) is stored on the article row.
    ``progress(percent, message)`` is told about each stage before the first write
    (on SQLite a progress update from another connection would wait for this
    transaction).

    An article already in the app (``earlier_copy``: same URL, canonical URL,
    or the same or nearly the same text) raises ``DuplicateArticle`` naming
    the earlier copy, before anything is written, unless ``confirm_duplicate``:
    then it is stored with ``duplicate_of_id`` pointing at the earlier copy.
    """
    payload = check_article(settings, data)
    earlier = refuse_duplicate(session, payload, archive=archive, confirmed=confirm_duplicate)
    keep_threshold = shipped_model().keep_threshold
    progress(10, "Finding the check-worthy sentences")
    candidates = extract_claims(payload.text, published=payload.published_at, outlet=payload.outlet)
    progress(40, f"Scoring {len(candidates):,} candidate claims")
    kept = [scored for scored in score_claims(candidates, settings=settings)
            if scored.assessment.score >= keep_threshold]
    progress(60, f"Storing {len(kept):,} claims and matching them against the library")
    article = Article.model_validate(payload, update={
        "created_by_id": actor_id, **archived_fields(archive), "text_sha256": text_fingerprint(payload.text),
        "duplicate_of_id": earlier[0].id if earlier is not None else None})
    session.add(article)
    session.flush()
    claims = [
        Claim(article_id=article.id, sentence=s.candidate.sentence, span_start=s.candidate.start,
              span_end=s.candidate.end, standalone_text=s.candidate.standalone_text,
              rewrites=[r.as_dict() for r in s.candidate.rewrites],
              wording_status="proposed" if s.candidate.rewrites else "as_written",
              claimant=s.candidate.claimant, checkworthiness=s.assessment.score,
              reasons=list(s.assessment.reasons), claim_type=s.candidate.claim_type,
              checkable=s.candidate.checkable)
        for s in kept
    ]
    session.add_all(claims)
    session.flush()
    try:
        vectors = _store_claim_vectors(session, settings=settings, claims=claims, scored=kept)
        match_claims(session, settings=settings, claims=claims, vectors=vectors,
                     readings={i: s.candidate.reported_text for i, s in enumerate(kept) if s.candidate.reported_text})
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


#: Near-same texts: at least this share of word 5-grams in common (Jaccard), among recent articles of similar length.
NEAR_SAME_JACCARD = 0.9
NEAR_SAME_LENGTH_RATIO = 0.15
NEAR_SAME_CANDIDATES = 200


def text_fingerprint(text: str) -> str:
    """SHA-256 of the text's words (lower-cased, accents folded, punctuation and spacing dropped)."""
    return hashlib.sha256(" ".join(words(text)).encode("utf-8")).hexdigest()


def _shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i:i + size]) for i in range(max(len(tokens) - size + 1, 1))}


def earlier_copy(session: Session, *, urls: list[str], text: str) -> tuple[Article, str] | None:
    """An article already in the app that this one repeats, with the reason, or None.

    Same address (the URL asked for, where it was fetched from, or the page's
    canonical URL, against any of those of earlier articles), the same words
    (``text_fingerprint``), or nearly the same text: at least
    ``NEAR_SAME_JACCARD`` of word 5-grams shared with one of the
    ``NEAR_SAME_CANDIDATES`` latest articles of about the same length (an
    edited copy, a different footer).
    """
    if urls:
        found = session.exec(select(Article).where(or_(Article.url.in_(urls), Article.fetched_url.in_(urls),
                                                       Article.canonical_url.in_(urls)))
                             .order_by(Article.id)).first()
        if found is not None:
            return found, "same address"
    found = session.exec(select(Article).where(Article.text_sha256 == text_fingerprint(text))
                         .order_by(Article.id)).first()
    if found is not None:
        return found, "same text"
    length = len(text)
    nearby = session.exec(select(Article).where(
        func.length(Article.text).between(int(length * (1 - NEAR_SAME_LENGTH_RATIO)),
                                          int(length * (1 + NEAR_SAME_LENGTH_RATIO)) + 1))
        .order_by(Article.id.desc()).limit(NEAR_SAME_CANDIDATES)).all()
    mine = _shingles(text)
    for other in sorted(nearby, key=lambda a: a.id):
        theirs = _shingles(other.text)
        if len(mine & theirs) / max(len(mine | theirs), 1) >= NEAR_SAME_JACCARD:
            return other, "nearly the same text"
    return None


def _store_claim_vectors(session: Session, *, settings: Settings, claims: list[Claim],
                         scored: list[ScoredClaim]) -> np.ndarray:
    """Store the claims' vectors for matching, reusing the scoring vectors when
    the configured embedder is the one the model scores with (the default)."""
    embedder = embedder_for(settings)
    scored_with = embedder_for_model(shipped_model(), settings.embedding_model, settings.embedding_batch_size,
                                     settings.embedding_variant)
    if scored_with is embedder:  # the same model and variant: the scoring vectors are the matching vectors
        vectors = np.stack([s.vector for s in scored]) if scored else np.zeros((0, 0), np.float32)
        store_embeddings(session, embedder=embedder, kind=KIND_CLAIM, ids=[c.id for c in claims], vectors=vectors)
        return vectors
    return embed_and_store(session, settings=settings, kind=KIND_CLAIM,
                           items=[(c.id, c.standalone_text) for c in claims])


def archived_fields(archive: ArchivedCopy | None) -> dict:
    """The archived copy's columns (the same names on ``Article`` and ``SourceDocument``)."""
    return asdict(archive) if archive is not None else {}


def has_archived_copy(article: Article) -> bool:
    return article.fetched_at is not None


def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    return article


def claims_of(session: Session, article_id: int) -> list[Claim]:
    return list(session.exec(select(Claim).where(Claim.article_id == article_id).order_by(Claim.span_start)).all())


def list_articles(session: Session, *, limit: int = 50) -> list[Article]:
    return list(session.exec(select(Article).order_by(Article.created_at.desc(), Article.id.desc()).limit(limit)).all())


#: Claim types that carry a figure a checker can look up (a number, a sum, a target with a date).
FIGURE_TYPES = frozenset({"statistic", "pledge"})


def in_priority_order(claims):
    """Claims in the order a checker should read them: checkable claims with a figure
    (statistics, pledges), then the other checkable claims, then predictions and opinions
    (which cannot be rated); by score within each. So a confident opinion or a reported
    remark never pushes a checkable figure out of an article's first lines. Works on
    stored claims and on scored candidates alike."""
    def key(item):
        candidate = getattr(item, "candidate", item)
        score = item.assessment.score if hasattr(item, "assessment") else item.checkworthiness
        tier = 2 if not candidate.checkable else (0 if candidate.claim_type in FIGURE_TYPES else 1)
        return (tier, -score, getattr(candidate, "start", getattr(candidate, "span_start", 0)))

    return sorted(claims, key=key)


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
