"""The claim page's context: what its templates show, built per name, so a panel's htmx refresh builds only
what that panel shows (``PANEL_NEEDS``) and the page builds everything once."""
from __future__ import annotations

from sqlmodel import Session

from factcheck.models import Claim, User
from factcheck.services import claims as claim_service
from factcheck.services import desk as desk_service
from factcheck.services import evidence_archive as archive_service
from factcheck.services import matching as matching_service
from factcheck.services import review as review_service
from factcheck.services import users as user_service

__all__ = ["PANEL_NEEDS", "page_context"]

# How the claim page's context is built, one entry per name its templates use: ``get`` reads another entry
# (each is built at most once per request). A panel's refresh builds only what its template shows (``PANEL_NEEDS``):
# one change on the page refreshes three or four panels, and each used to rebuild all of it (~20 queries).
_BUILDERS = {
    "article": lambda session, claim, user, get: claim_service.article_of(session, claim),
    "matches": lambda session, claim, user, get: matching_service.match_views(session, claim.id),
    "evidence": lambda session, claim, user, get: claim_service.evidence_of(session, claim.id),
    "archives": lambda session, claim, user, get: archive_service.views_of_claim(session, claim.id),
    # Every verdict of the claim in one query, oldest first: the latest, the published one and the permission
    # facts are read from it instead of a query each.
    "verdicts": lambda session, claim, user, get: claim_service.verdict_history(session, claim.id),
    "verdict": lambda session, claim, user, get: get("verdicts")[-1] if get("verdicts") else None,
    "published_verdict": lambda session, claim, user, get: next(
        (v for v in reversed(get("verdicts")) if v.published_at is not None), None),
    # The verdict token is the latest verdict's revision (0 before the first save): no second query for it.
    "verdict_revision": lambda session, claim, user, get: get("verdict").revision if get("verdict") else 0,
    "verdict_texts": lambda session, claim, user, get: claim_service.verdict_text_of_events(session, claim.id),
    "comments": lambda session, claim, user, get: claim_service.comments_of(session, claim.id),
    "history": lambda session, claim, user, get: claim_service.history_of(session, claim.id),
    "undoable": lambda session, claim, user, get: matching_service.undoable_decisions(session, claim.id),
    # actions, may_write_verdict and allowed come from one reading of the claim's facts.
    "permissions": lambda session, claim, user, get: claim_service.page_permissions(session, claim, user,
                                                                                    get("verdicts")),
    "actions": lambda session, claim, user, get: get("permissions")["actions"],
    "may_write_verdict": lambda session, claim, user, get: get("permissions")["may_write_verdict"],
    "allowed": lambda session, claim, user, get: get("permissions")["allowed"],
    "inherited": lambda session, claim, user, get: claim_service.inherited_verdict(session, claim),
    "wording_segments": lambda session, claim, user, get: claim_service.wording_segments(claim),
    # One query for the people the page names and the ones it offers to assign.
    "people": lambda session, claim, user, get: user_service.people(session),
    "users": lambda session, claim, user, get: user_service.display_names(session, get("people")),
    "assignment": lambda session, claim, user, get: desk_service.assignment_view(session, claim, user,
                                                                                 get("people")),
    "may_assign": lambda session, claim, user, get: get("assignment")["may_assign"],
    "assignable": lambda session, claim, user, get: get("assignment")["assignable"],
    "assigned_by": lambda session, claim, user, get: get("assignment")["assigned_by"],
    "submission": lambda session, claim, user, get: (review_service.submission(session, claim.id)
                                                     if claim.state in ("in_review", "approved") else None),
}
# Built only to make others from, never handed to a template.
_INTERNAL = frozenset({"permissions", "assignment", "people"})
#: What each panel's template (with the templates it includes) uses, besides ``claim``, ``errors``, ``conflict``
#: and ``mine`` (always there). tests/test_claim_panels.py checks these against the templates.
PANEL_NEEDS = {
    "summary": ("users",),
    "wording": ("allowed", "wording_segments"),
    "matches": ("matches", "allowed"),
    "match": ("allowed",),
    "evidence": ("evidence", "archives", "allowed", "users"),
    "verdict": ("verdict", "published_verdict", "verdicts", "verdict_revision", "inherited", "may_write_verdict",
                "submission", "users"),
    "comments": ("comments", "users"),
    "workflow": ("actions", "evidence"),
    "workflow_response": ("actions", "evidence"),
    "assignment": ("may_assign", "assignable", "assigned_by", "users"),
    "history": ("history", "verdict_texts", "undoable", "allowed"),
}


def page_context(session: Session, claim: Claim, user: User, needs: tuple[str, ...] | None = None) -> dict:
    """All of the claim page's context (``needs`` None: the page itself), or only the names in ``needs``."""
    built: dict = {}

    def get(name: str):
        if name not in built:
            built[name] = _BUILDERS[name](session, claim, user, get)
        return built[name]

    names = [name for name in _BUILDERS if name not in _INTERNAL] if needs is None else needs
    return {name: get(name) for name in names}
