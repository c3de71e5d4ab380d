"""Roles and what each may do: the one place where permission checks are decided.

Two tables:

* ``PERMISSIONS``: what a role may do at all (open a page, call an API route).
  ``require()`` on pages and ``token_required()`` on the API read it.
* ``CLAIM_RULES``: what a user may do to one claim, by role, by their relation
  to the claim (its assignee, the checker who submitted it) and by the claim's
  state. Services ask ``authorize(actor, action, claim)`` before every change,
  whether the request came from a form, htmx, the API or the CLI; pages ask
  ``can(...)`` to decide which buttons to show. Nothing else decides who may
  act on a claim.

The workflow state machine (which state an action starts from and leads to)
lives in ``factcheck.domain.workflow``; it consults this table for the
"who", and this table never repeats the machine's "from which state".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from factcheck.domain.errors import Forbidden, InvalidTransition


class Role(str, Enum):
    CHECKER = "checker"
    EDITOR = "editor"
    ADMIN = "admin"


# Each role includes the powers of the roles before it.
_RANK = {Role.CHECKER: 1, Role.EDITOR: 2, Role.ADMIN: 3}

#: permission -> lowest role that holds it
PERMISSIONS: dict[str, Role] = {
    "claims.view": Role.CHECKER,
    "claims.work": Role.CHECKER,  # take, edit, link evidence, draft verdicts, comment
    "articles.create": Role.CHECKER,
    "library.edit": Role.CHECKER,  # add earlier fact-checks and source documents
    "claims.review": Role.EDITOR,  # approve, send back, publish, correct
    "claims.assign": Role.EDITOR,  # assign or release someone else's claim
    "claims.close": Role.EDITOR,  # reject, mark duplicate
    "claims.reopen": Role.EDITOR,
    "dashboard.view": Role.EDITOR,  # the desk's figures: throughput, time in state, load
    "users.manage": Role.ADMIN,
    # Rebuild the library's search indexes (BM25 and the vector graph): minutes of both cores at a large
    # library, so an administrator's decision.
    "indexes.rebuild": Role.ADMIN,
}

ROLES = [r.value for r in Role]


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValueError(f"Unknown role {value!r}; use one of: {', '.join(ROLES)}.") from None


def _rank(role: str | Role) -> int:
    try:
        return _RANK[Role(role)]
    except ValueError:
        return 0  # a role the app does not know holds nothing


def has_permission(role: str | Role, permission: str) -> bool:
    """True when ``role`` holds ``permission``; unknown permissions are denied."""
    needed = PERMISSIONS.get(permission)
    if needed is None:
        return False
    rank = _rank(role)
    return rank > 0 and rank >= _RANK[needed]


# --------------------------------------------------------------------------- per-claim rules


@dataclass(frozen=True)
class Actor:
    id: int
    role: str


@dataclass(frozen=True)
class ClaimFacts:
    """What the rules need to know about a claim."""

    state: str
    assignee_id: int | None
    checker_id: int | None
    has_verdict_draft: bool = False
    has_pending_correction: bool = False


# Claim states (the values of ``workflow.State``; kept as strings so this module stays at the bottom).
NEW, IN_PROGRESS, IN_REVIEW, APPROVED, PUBLISHED = "new", "in_progress", "in_review", "approved", "published"
REJECTED, DUPLICATE = "rejected", "duplicate"
ALL_STATES = frozenset({NEW, IN_PROGRESS, IN_REVIEW, APPROVED, PUBLISHED, REJECTED, DUPLICATE})
NOT_CLOSED = ALL_STATES - {REJECTED, DUPLICATE}

# Who, relative to the claim, a grant is for.
ANYONE = "anyone"  # any user holding the role
ASSIGNEE = "assignee"  # the user the claim is assigned to
NOT_ITS_CHECKER = "not_its_checker"  # anyone but the checker who submitted it (no self-review)
CORRECTING = "correcting"  # anyone, while a correction of the published verdict is being prepared


@dataclass(frozen=True)
class Grant:
    """Users of at least ``role``, related to the claim as ``who``, may act while it is in ``states``."""

    role: Role
    who: str = ANYONE
    states: frozenset[str] = ALL_STATES


@dataclass(frozen=True)
class Rule:
    grants: tuple[Grant, ...]
    #: why a user is refused when no grant fits them (403)
    forbidden: str
    #: why a user the rule could allow is refused in this state (409), by state
    wrong_state: dict[str, str] = field(default_factory=dict)


_REOPEN_FIRST = "The claim is {state}; reopen it first."
_TAKE_FIRST = "Take the claim from the queue before working on it."
_CLOSED = {REJECTED: _REOPEN_FIRST, DUPLICATE: _REOPEN_FIRST}

# Content of a claim (its evidence, match decisions, wording): the checker holding it
# while it is in progress; editors at any stage before it is closed.
_CONTENT = (Grant(Role.CHECKER, ASSIGNEE, frozenset({IN_PROGRESS})), Grant(Role.EDITOR, ANYONE, NOT_CLOSED))
_CONTENT_FORBIDDEN = "Only the checker working on this claim (or an editor) can change it."
_CONTENT_WRONG_STATE = _CLOSED | {NEW: _TAKE_FIRST}

# Evidence: like the rest of the content, but once published it changes only with a correction (an editor
# saves the corrected verdict first), so a published verdict never silently loses or gains its evidence.
_EVIDENCE = (Grant(Role.CHECKER, ASSIGNEE, frozenset({IN_PROGRESS})),
             Grant(Role.EDITOR, ANYONE, NOT_CLOSED - {PUBLISHED}),
             Grant(Role.EDITOR, CORRECTING, frozenset({PUBLISHED})))
_EVIDENCE_WRONG_STATE = _CONTENT_WRONG_STATE | {
    PUBLISHED: "The claim is published: its evidence changes only with a correction; save the corrected verdict "
               "first."}

#: action -> who may take it. Workflow actions (take ... reopen) leave the states to the
#: state machine (``workflow.TRANSITIONS``); content actions name theirs here.
CLAIM_RULES: dict[str, Rule] = {
    # The workflow.
    "take": Rule((Grant(Role.CHECKER),), "Your role cannot work on claims."),
    "release": Rule((Grant(Role.CHECKER, ASSIGNEE), Grant(Role.EDITOR)),
                    "Only the assigned checker or an editor can release this claim."),
    "submit": Rule((Grant(Role.CHECKER, ASSIGNEE),), "Only the checker working on this claim can submit it."),
    "send_back": Rule((Grant(Role.EDITOR, NOT_ITS_CHECKER),), "Only an editor can send back a claim."),
    "approve": Rule((Grant(Role.EDITOR, NOT_ITS_CHECKER),), "Only an editor can approve a claim."),
    "publish": Rule((Grant(Role.EDITOR, NOT_ITS_CHECKER),), "Only an editor can publish a claim."),
    "correct": Rule((Grant(Role.EDITOR),), "Only an editor can correct a claim."),
    "reject": Rule((Grant(Role.EDITOR),), "Only an editor can reject a claim."),
    "mark_duplicate": Rule((Grant(Role.EDITOR),), "Only an editor can mark a claim as a duplicate."),
    "reopen": Rule((Grant(Role.EDITOR),), "Only an editor can reopen a claim."),
    # Withdraw a published check: its public page and its entry in the fact-check library go.
    "unpublish": Rule((Grant(Role.EDITOR),), "Only an editor can unpublish a claim."),
    # Assigning to a named checker (the desk): new claims and claims in progress.
    "assign": Rule((Grant(Role.EDITOR, ANYONE, frozenset({NEW, IN_PROGRESS})),), "Only an editor can assign claims.",
                   {state: "A claim that is {state} cannot be assigned; only new claims and claims in progress can."
                    for state in ALL_STATES - {NEW, IN_PROGRESS}}),
    # The claim's content.
    "decide_match": Rule(_CONTENT, "Only the checker working on this claim (or an editor) can confirm or "
                                   "reject its match suggestions.", _CONTENT_WRONG_STATE),
    "add_evidence": Rule(_EVIDENCE, _CONTENT_FORBIDDEN, _EVIDENCE_WRONG_STATE),
    "remove_evidence": Rule(_EVIDENCE, _CONTENT_FORBIDDEN, _EVIDENCE_WRONG_STATE),
    "edit_evidence": Rule(_EVIDENCE, _CONTENT_FORBIDDEN, _EVIDENCE_WRONG_STATE),
    # Fetch a URL given as evidence again (a new archived copy; the earlier ones stay).
    "refetch_evidence": Rule(_EVIDENCE, _CONTENT_FORBIDDEN, _EVIDENCE_WRONG_STATE),
    "edit_wording": Rule(_CONTENT, _CONTENT_FORBIDDEN, _CONTENT_WRONG_STATE),
    "schedule": Rule((Grant(Role.CHECKER, ASSIGNEE), Grant(Role.EDITOR)),
                     "Only the assigned checker or an editor can change priority and due date."),
    # While in progress: the checker holding it (or an editor). In review: a reviewing editor
    # who is not its checker. Approved: nobody, so an approval always covers the verdict that
    # gets published (send it back first). Published: an editor preparing a correction.
    "edit_verdict": Rule(
        (Grant(Role.CHECKER, ASSIGNEE, frozenset({IN_PROGRESS})),
         Grant(Role.EDITOR, ANYONE, frozenset({NEW, IN_PROGRESS, PUBLISHED})),
         Grant(Role.EDITOR, NOT_ITS_CHECKER, frozenset({IN_REVIEW}))),
        "Only the checker working on this claim (or an editor) can change its verdict; under review or "
        "published only an editor who did not check it.",
        _CONTENT_WRONG_STATE | {APPROVED: "The verdict was approved as it stands; send the claim back to "
                                          "change it."}),
    "comment": Rule((Grant(Role.CHECKER),), "Your role cannot comment on claims."),
}

#: Which claim actions are workflow transitions (their states come from the state machine).
WORKFLOW_ACTIONS = frozenset({"take", "release", "submit", "send_back", "approve", "publish", "correct",
                              "reject", "mark_duplicate", "reopen", "unpublish"})


def _relates(grant: Grant, actor: Actor, claim: ClaimFacts) -> bool:
    if grant.who == ASSIGNEE:
        return claim.assignee_id is not None and claim.assignee_id == actor.id
    if grant.who == NOT_ITS_CHECKER:
        return claim.checker_id != actor.id
    if grant.who == CORRECTING:
        return claim.has_pending_correction
    return True


def _rule(action: str) -> Rule:
    rule = CLAIM_RULES.get(str(getattr(action, "value", action)))
    if rule is None:
        raise KeyError(f"No permission rule for claim action {action!r}.")
    return rule


def authorize_role(actor: Actor, action: str) -> None:
    """Raise ``Forbidden`` unless the actor's role could ever take ``action`` (before looking at the claim)."""
    rule = _rule(action)
    rank = _rank(actor.role)
    if not any(rank and rank >= _RANK[g.role] for g in rule.grants):
        raise Forbidden(rule.forbidden)


def authorize(actor: Actor, action: str, claim: ClaimFacts) -> None:
    """Raise unless ``actor`` may take ``action`` on ``claim`` now.

    ``Forbidden`` when the role or the actor's relation to the claim rules it
    out; ``InvalidTransition`` when someone like the actor could, but not in
    the claim's current state (e.g. take it first, reopen it first).
    """
    rule = _rule(action)
    authorize_role(actor, action)
    rank = _rank(actor.role)
    state = str(getattr(claim.state, "value", claim.state))
    fits_role = [g for g in rule.grants if rank >= _RANK[g.role]]
    if any(state in g.states and _relates(g, actor, claim) for g in fits_role):
        return
    if state in rule.wrong_state:
        # The role could act on a claim in another state: the state is what stands in the way.
        raise InvalidTransition(rule.wrong_state[state].format(state=state.replace("_", " ")))
    raise Forbidden(rule.forbidden)


def can(actor: Actor, action: str, claim: ClaimFacts) -> bool:
    """True when ``authorize`` would let the actor take ``action`` on the claim now."""
    try:
        authorize(actor, action, claim)
    except (Forbidden, InvalidTransition):
        return False
    return True
