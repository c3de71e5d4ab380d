"""What the permission rules need to know about a claim and a user, read from the database.

Shared by every service that changes a claim (claims, matching, ...), so each
asks ``permissions.authorize`` the same question about the same facts.
"""
from __future__ import annotations

from sqlmodel import Session, select

from factcheck.domain import permissions
from factcheck.domain.permissions import Actor, ClaimFacts
from factcheck.models import Claim, User, Verdict


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, role=user.role)


def latest_verdict(session: Session, claim_id: int) -> Verdict | None:
    return session.exec(
        select(Verdict).where(Verdict.claim_id == claim_id).order_by(Verdict.version.desc())
    ).first()


def facts_of(session: Session, claim: Claim) -> ClaimFacts:
    return facts_with(claim, latest_verdict(session, claim.id))


def facts_with(claim: Claim, latest: Verdict | None) -> ClaimFacts:
    """The facts, given the claim's latest verdict (``None``: none yet) when the caller has read it already."""
    return ClaimFacts(
        state=claim.state,
        assignee_id=claim.assignee_id,
        checker_id=claim.checker_id,
        has_verdict_draft=latest is not None,
        has_pending_correction=(claim.state == "published" and latest is not None
                                and latest.published_at is None),
    )


def authorize(session: Session, user: User, action: str, claim: Claim) -> None:
    """Raise ``Forbidden`` / ``InvalidTransition`` unless ``user`` may take ``action`` on ``claim`` now."""
    permissions.authorize(actor_of(user), action, facts_of(session, claim))


def can(session: Session, user: User, action: str, claim: Claim) -> bool:
    return permissions.can(actor_of(user), action, facts_of(session, claim))
