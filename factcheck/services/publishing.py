"""Read side of publication: public verdicts and their ClaimReview markup."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import NotFound
from factcheck.domain.ratings import parse_rating_scale
from factcheck.domain.workflow import State
from factcheck.models import Article, Claim, Evidence, Passage, SourceDocument, Verdict
from factcheck.publishing.claimreview import ReviewFacts, build_claim_review
from factcheck.services.claims import published_verdict, verdict_history


@dataclass
class PublishedCheck:
    claim: Claim
    verdict: Verdict
    article: Article | None
    evidence: list[tuple[Evidence, Passage | None, SourceDocument | None]]
    corrections: list[Verdict]
    first_published_verdict: Verdict


def get_published(session: Session, claim_id: int) -> PublishedCheck:
    claim = session.get(Claim, claim_id)
    if claim is None or claim.state != State.PUBLISHED.value:
        raise NotFound("No published fact-check with this number.")
    return _published(session, claim)


def _published(session: Session, claim: Claim) -> PublishedCheck:
    verdict = published_verdict(session, claim.id)
    versions = [v for v in verdict_history(session, claim.id) if v.published_at is not None]
    article = session.get(Article, claim.article_id) if claim.article_id else None
    evidence = []
    for item in session.exec(select(Evidence).where(Evidence.claim_id == claim.id).order_by(Evidence.id)).all():
        passage = session.get(Passage, item.passage_id) if item.passage_id else None
        source = session.get(SourceDocument, passage.source_id) if passage else None
        evidence.append((item, passage, source))
    return PublishedCheck(claim, verdict, article, evidence, [v for v in versions if v.version > versions[0].version],
                          versions[0])


def preview(session: Session, claim: Claim, *, now) -> PublishedCheck:
    """The public page as it will be once the claim's latest verdict is published ``now`` (nothing is written).

    The rows shown are detached copies: the claim and verdict in the session stay as they are.
    """
    from factcheck.services.claims import latest_verdict

    draft = latest_verdict(session, claim.id)
    if draft is None:
        raise NotFound("The claim has no verdict to publish.")
    shown_claim = Claim(**claim.model_dump())
    shown_claim.published_at = claim.published_at or now
    shown_verdict = Verdict(**draft.model_dump())
    shown_verdict.published_at = now
    published = [v for v in verdict_history(session, claim.id) if v.published_at is not None and v.id != draft.id]
    article = session.get(Article, claim.article_id) if claim.article_id else None
    evidence = []
    for item in session.exec(select(Evidence).where(Evidence.claim_id == claim.id).order_by(Evidence.id)).all():
        passage = session.get(Passage, item.passage_id) if item.passage_id else None
        source = session.get(SourceDocument, passage.source_id) if passage else None
        evidence.append((item, passage, source))
    first = published[0] if published else shown_verdict
    corrections = [v for v in published[1:]] + ([shown_verdict] if published else [])
    return PublishedCheck(shown_claim, shown_verdict, article, evidence, corrections, first)


def list_published(session: Session, *, limit: int = 50, offset: int = 0) -> list[PublishedCheck]:
    claims = session.exec(
        select(Claim).where(Claim.state == State.PUBLISHED.value)
        .order_by(Claim.published_at.desc(), Claim.id.desc()).offset(offset).limit(limit)
    ).all()
    return [_published(session, c) for c in claims]


def claim_review(check: PublishedCheck, *, settings: Settings, review_url: str) -> dict:
    scale = parse_rating_scale(settings.rating_scale)
    article = check.article
    return build_claim_review(ReviewFacts(
        claim_reviewed=check.claim.standalone_text,
        review_url=review_url,
        rating_name=check.verdict.rating,
        rating_value=check.verdict.rating_value,
        best_rating=scale.best,
        worst_rating=scale.worst,
        organization_name=settings.organization_name,
        organization_url=settings.organization_url,
        date_published=check.claim.published_at,
        date_modified=check.verdict.published_at,
        claimant=check.claim.claimant,
        claim_date=article.published_at if article else None,
        appearance_url=article.url if article else None,
        appearance_headline=article.title if article else None,
        appearance_publisher=article.outlet if article else None,
        language=article.language if article else "en",
        headline=check.verdict.summary,
    ))
