"""The newsroom's own published checks as part of the fact-check library.

A published claim is a ``FactCheck`` row with ``own_claim_id`` set: its
standalone wording as ``claim_reviewed``, the published verdict's rating and
summary, the public page as ``url``, this newsroom as publisher and the date it
was first published. It is embedded and indexed like an imported fact-check, so
both kinds share one index and one ranking; pages label it "published by us".

``sync`` keeps the row in step with the claim, in the caller's transaction:
publishing adds it, a correction (or a new wording) updates it, unpublishing
removes it. A claim is never matched against its own published check.
"""
from __future__ import annotations

from sqlmodel import Session, delete, select

from factcheck.config import Settings
from factcheck.domain.library_kinds import KIND_FACT_CHECK
from factcheck.domain.workflow import State
from factcheck.models import Claim, Embedding, FactCheck, Match, Verdict
from factcheck.services import events

#: How the pages name this kind of library entry.
OWN_LABEL = "published by us"


def public_url(settings: Settings, claim_id: int) -> str:
    """The public page of a published check (``/checks/<id>``, absolute when FACTCHECK_PUBLIC_BASE_URL is set)."""
    return f"{settings.public_base_url.rstrip('/')}/checks/{claim_id}"


def own_check_of(session: Session, claim_id: int) -> FactCheck | None:
    return session.exec(select(FactCheck).where(FactCheck.own_claim_id == claim_id)).first()


def is_own(fact_check: FactCheck | None) -> bool:
    return fact_check is not None and fact_check.own_claim_id is not None


def _published_verdict(session: Session, claim_id: int) -> Verdict | None:
    return session.exec(select(Verdict).where(Verdict.claim_id == claim_id, Verdict.published_at.is_not(None))
                        .order_by(Verdict.version.desc())).first()


def sync(session: Session, *, settings: Settings, claim: Claim, actor_id: int | None = None) -> FactCheck | None:
    """Add, update or remove the claim's entry in the library to match its state; the caller commits.

    Returns the entry when the claim is published, else None.
    """
    from factcheck.services.matching import embed_and_store

    current = own_check_of(session, claim.id)
    verdict = _published_verdict(session, claim.id) if claim.state == State.PUBLISHED.value else None
    if verdict is None:
        if current is not None:
            _remove(session, current, claim=claim, actor_id=actor_id)
        return None
    fields = dict(
        claim_reviewed=claim.standalone_text, claimant=claim.claimant, rating=verdict.rating,
        summary=verdict.summary, url=public_url(settings, claim.id), publisher=settings.organization_name,
        date_published=(claim.published_at or verdict.published_at).date(), language="en",
    )
    if current is None:
        current = FactCheck(own_claim_id=claim.id, **fields)
        reembed, action = True, "own_check_added"
    else:
        reembed = current.claim_reviewed != fields["claim_reviewed"]
        for name, value in fields.items():
            setattr(current, name, value)
        action = "own_check_updated"
    session.add(current)
    session.flush()
    if reembed:
        embed_and_store(session, settings=settings, kind=KIND_FACT_CHECK,
                        items=[(current.id, current.claim_reviewed)])
    events.record(session, action=action, claim_id=claim.id, actor_id=actor_id, fact_check_id=current.id,
                  rating=verdict.rating, version=verdict.version)
    return current


def _remove(session: Session, fact_check: FactCheck, *, claim: Claim, actor_id: int | None) -> None:
    """Take an unpublished check out of the library.

    Claims marked as duplicates of it now point at the claim itself (the same
    check, no longer public); matches to it go, their decisions with them.
    """
    for duplicate in session.exec(select(Claim).where(Claim.duplicate_of_fact_check_id == fact_check.id)).all():
        duplicate.duplicate_of_fact_check_id = None
        duplicate.duplicate_of_claim_id = claim.id
        session.add(duplicate)
    session.exec(delete(Match).where(Match.fact_check_id == fact_check.id))
    session.exec(delete(Embedding).where(Embedding.kind == KIND_FACT_CHECK, Embedding.object_id == fact_check.id))
    events.record(session, action="own_check_removed", claim_id=claim.id, actor_id=actor_id,
                  fact_check_id=fact_check.id)
    session.delete(fact_check)
    session.flush()
