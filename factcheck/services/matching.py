"""Embed texts and match claims against earlier fact-checks and source passages."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, delete, select

from factcheck.config import Settings
from factcheck.domain.errors import NotFound, ValidationFailed
from factcheck.matching.embedder import Embedder, get_embedder
from factcheck.matching.index import index_for
from factcheck.models import Claim, Embedding, FactCheck, Match, Passage, SourceDocument, utcnow
from factcheck.services import events

METHOD_DENSE = "dense"
KIND_FACT_CHECK = "fact_check"
KIND_PASSAGE = "passage"
KIND_CLAIM = "claim"


def embedder_for(settings: Settings) -> Embedder:
    return get_embedder(settings.embedding_model, settings.embedding_batch_size)


def store_embeddings(session: Session, *, embedder: Embedder, kind: str, ids: list[int],
                     vectors: np.ndarray) -> None:
    """Add (or replace) vectors for objects; the caller commits."""
    if not ids:
        return
    session.exec(
        delete(Embedding).where(
            Embedding.kind == kind, Embedding.object_id.in_(ids),
            Embedding.model_id == embedder.model_id, Embedding.variant == embedder.variant,
        )
    )
    for object_id, vector in zip(ids, vectors):
        session.add(Embedding(kind=kind, object_id=object_id, model_id=embedder.model_id,
                              variant=embedder.variant, dim=int(vector.shape[0]), vector=vector))


def embed_and_store(session: Session, *, settings: Settings, kind: str,
                    items: list[tuple[int, str]], show_progress: bool = False) -> np.ndarray:
    embedder = embedder_for(settings)
    vectors = embedder.encode([text for _, text in items], show_progress=show_progress)
    store_embeddings(session, embedder=embedder, kind=kind, ids=[i for i, _ in items], vectors=vectors)
    return vectors


@dataclass(frozen=True)
class Suggestion:
    kind: str
    object_id: int
    score: float


def search(session: Session, *, settings: Settings, vector: np.ndarray, kind: str,
           k: int | None = None, threshold: float | None = None) -> list[Suggestion]:
    embedder = embedder_for(settings)
    if threshold is None:
        threshold = settings.fact_check_threshold if kind == KIND_FACT_CHECK else settings.passage_threshold
    hits = index_for(session).search(
        session, kind=kind, model_id=embedder.model_id, variant=embedder.variant,
        query=vector, k=k or settings.match_top_k, min_score=threshold,
    )
    return [Suggestion(kind, h.object_id, round(h.score, 4)) for h in hits]


def search_text(session: Session, *, settings: Settings, text: str, kind: str,
                k: int | None = None, threshold: float | None = None) -> list[Suggestion]:
    vector = embedder_for(settings).encode_one(text)
    return search(session, settings=settings, vector=vector, kind=kind, k=k, threshold=threshold)


def match_claims(session: Session, *, settings: Settings, claims: list[Claim],
                 vectors: np.ndarray) -> list[Match]:
    """Store the top suggestions above threshold for each claim; the caller commits.

    Earlier decisions are kept: a match a checker confirmed or rejected is never
    re-suggested or overwritten.
    """
    created: list[Match] = []
    for claim, vector in zip(claims, vectors):
        existing = {
            (m.kind, m.fact_check_id or m.passage_id): m
            for m in session.exec(select(Match).where(Match.claim_id == claim.id)).all()
        }
        current_hits: set[tuple[str, int]] = set()
        for kind in (KIND_FACT_CHECK, KIND_PASSAGE):
            for hit in search(session, settings=settings, vector=vector, kind=kind):
                current_hits.add((kind, hit.object_id))
                current = existing.get((kind, hit.object_id))
                if current is not None:
                    if current.status == "suggested":
                        current.score = hit.score
                        session.add(current)
                    continue
                match = Match(
                    claim_id=claim.id, kind=kind, score=hit.score, method=METHOD_DENSE,
                    fact_check_id=hit.object_id if kind == KIND_FACT_CHECK else None,
                    passage_id=hit.object_id if kind == KIND_PASSAGE else None,
                )
                session.add(match)
                created.append(match)
        # Undecided suggestions for an earlier wording no longer apply.
        for target, match in existing.items():
            if match.status == "suggested" and target not in current_hits:
                session.delete(match)
    return created


def rematch_claim(session: Session, *, settings: Settings, claim: Claim) -> list[Match]:
    """Re-embed a claim's standalone text and refresh its suggestions."""
    vectors = embed_and_store(session, settings=settings, kind=KIND_CLAIM,
                              items=[(claim.id, claim.standalone_text)])
    created = match_claims(session, settings=settings, claims=[claim], vectors=vectors)
    session.commit()
    return created


def decide_match(session: Session, *, claim_id: int, match_id: int, actor_id: int, decision: str) -> Match:
    """Confirm or reject a suggestion (a human decision, recorded in the log)."""
    if decision not in ("confirmed", "rejected", "suggested"):
        raise ValidationFailed("Decision must be confirmed, rejected or suggested.", {"decision": "invalid"})
    match = session.get(Match, match_id)
    if match is None or match.claim_id != claim_id:
        raise NotFound("No such match for this claim.")
    previous = match.status
    match.status = decision
    match.decided_by_id = actor_id if decision != "suggested" else None
    match.decided_at = utcnow() if decision != "suggested" else None
    session.add(match)
    events.record(session, action=f"match_{decision}", claim_id=claim_id, actor_id=actor_id,
                  match_id=match.id, kind=match.kind, target_id=match.fact_check_id or match.passage_id,
                  previous=previous)
    session.commit()
    return match


@dataclass
class MatchView:
    """A match with the text it points at, for pages and the API."""

    match: Match
    text: str
    title: str
    url: str | None
    rating: str | None = None
    fact_check: FactCheck | None = None
    passage: Passage | None = None
    source: SourceDocument | None = None


def match_views(session: Session, claim_id: int) -> list[MatchView]:
    matches = session.exec(
        select(Match).where(Match.claim_id == claim_id).order_by(Match.kind, Match.score.desc())
    ).all()
    views: list[MatchView] = []
    for match in matches:
        if match.kind == KIND_FACT_CHECK:
            fc = session.get(FactCheck, match.fact_check_id)
            if fc is None:
                continue
            views.append(MatchView(match, fc.claim_reviewed, fc.publisher or "", fc.url, fc.rating, fact_check=fc))
        else:
            passage = session.get(Passage, match.passage_id)
            if passage is None:
                continue
            source = session.get(SourceDocument, passage.source_id)
            views.append(MatchView(match, passage.text, source.title if source else "",
                                   source.url if source else None, passage=passage, source=source))
    return views


def describe_hits(session: Session, hits: list[Suggestion]) -> list[dict]:
    """Attach the text, title and link of each hit, for search results."""
    described = []
    for hit in hits:
        if hit.kind == KIND_FACT_CHECK:
            fc = session.get(FactCheck, hit.object_id)
            if fc:
                described.append({"kind": hit.kind, "id": fc.id, "score": hit.score, "text": fc.claim_reviewed,
                                  "rating": fc.rating, "title": fc.publisher or "", "url": fc.url, "object": fc})
        else:
            passage = session.get(Passage, hit.object_id)
            source = session.get(SourceDocument, passage.source_id) if passage else None
            if passage and source:
                described.append({"kind": hit.kind, "id": passage.id, "score": hit.score, "text": passage.text,
                                  "rating": None, "title": source.title, "url": source.url, "object": passage,
                                  "source": source})
    return described


def reindex(session: Session, *, settings: Settings, kind: str, show_progress: bool = False,
            batch: int = 512) -> int:
    """(Re-)embed every object of ``kind`` with the configured model, in batches."""
    from tqdm import tqdm

    from factcheck.models import Claim

    if kind == KIND_FACT_CHECK:
        rows = session.exec(select(FactCheck.id, FactCheck.claim_reviewed).order_by(FactCheck.id)).all()
    elif kind == KIND_PASSAGE:
        rows = session.exec(select(Passage.id, Passage.text).order_by(Passage.id)).all()
    elif kind == KIND_CLAIM:
        rows = session.exec(select(Claim.id, Claim.standalone_text).order_by(Claim.id)).all()
    else:
        raise ValidationFailed(f"Unknown kind {kind!r}.", {"kind": "unknown"})
    with tqdm(total=len(rows), desc=f"embedding {kind}", unit="text", disable=not show_progress) as bar:
        for start in range(0, len(rows), batch):
            chunk = [(row[0], row[1]) for row in rows[start:start + batch]]
            embed_and_store(session, settings=settings, kind=kind, items=chunk)
            session.commit()
            bar.update(len(chunk))
    return len(rows)
