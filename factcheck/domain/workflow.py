"""The claim workflow as a pure state machine.

    new ──take──▶ in_progress ──submit──▶ in_review ──approve──▶ approved ──publish──▶ published
     ▲  ◀─release─┘    ▲                     │                      │                 │
     │                 └──────send_back──────┴──────────────────────┘          correct (new version)
     └──reopen── rejected / duplicate  ◀──reject / mark_duplicate── new, in_progress, in_review

Rules that depend on who acts (role, assignee, the claim's checker) live here
too, so the web UI, the API and the CLI all enforce exactly the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from factcheck.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from factcheck.domain.permissions import has_permission


class State(str, Enum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class Action(str, Enum):
    TAKE = "take"
    RELEASE = "release"
    SUBMIT = "submit"
    SEND_BACK = "send_back"
    APPROVE = "approve"
    PUBLISH = "publish"
    REJECT = "reject"
    MARK_DUPLICATE = "mark_duplicate"
    CORRECT = "correct"
    REOPEN = "reopen"


OPEN_STATES = (State.NEW, State.IN_PROGRESS, State.IN_REVIEW)

#: action -> (states it may start from, state it leads to)
TRANSITIONS: dict[Action, tuple[tuple[State, ...], State]] = {
    Action.TAKE: ((State.NEW,), State.IN_PROGRESS),
    Action.RELEASE: ((State.IN_PROGRESS,), State.NEW),
    Action.SUBMIT: ((State.IN_PROGRESS,), State.IN_REVIEW),
    Action.SEND_BACK: ((State.IN_REVIEW, State.APPROVED), State.IN_PROGRESS),
    Action.APPROVE: ((State.IN_REVIEW,), State.APPROVED),
    Action.PUBLISH: ((State.APPROVED,), State.PUBLISHED),
    Action.REJECT: (OPEN_STATES, State.REJECTED),
    Action.MARK_DUPLICATE: (OPEN_STATES, State.DUPLICATE),
    Action.CORRECT: ((State.PUBLISHED,), State.PUBLISHED),
    Action.REOPEN: ((State.REJECTED, State.DUPLICATE), State.NEW),
}

ACTION_LABELS = {
    Action.TAKE: "Take",
    Action.RELEASE: "Release to pool",
    Action.SUBMIT: "Submit for review",
    Action.SEND_BACK: "Send back",
    Action.APPROVE: "Approve",
    Action.PUBLISH: "Publish",
    Action.REJECT: "Reject",
    Action.MARK_DUPLICATE: "Mark duplicate",
    Action.CORRECT: "Publish correction",
    Action.REOPEN: "Reopen",
}

STATE_LABELS = {
    State.NEW: "New",
    State.IN_PROGRESS: "In progress",
    State.IN_REVIEW: "In review",
    State.APPROVED: "Approved",
    State.PUBLISHED: "Published",
    State.REJECTED: "Rejected",
    State.DUPLICATE: "Duplicate",
}

_REVIEW_ACTIONS = {Action.SEND_BACK, Action.APPROVE, Action.PUBLISH, Action.CORRECT}
_NEEDS_COMMENT = {Action.SEND_BACK: "Say what needs to change.", Action.REJECT: "Give the reason for rejecting."}


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


def parse_action(value: str) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown action {value!r}; use one of: {', '.join(a.value for a in Action)}.",
            {"action": "unknown action"},
        ) from None


def decide(claim: ClaimFacts, action: Action, actor: Actor, *, comment: str = "",
           duplicate_target: bool = False) -> State:
    """Return the state ``action`` leads to, or raise why it is not allowed.

    Raises ``Forbidden`` when the actor's role or relation to the claim forbids
    it, ``InvalidTransition`` when the claim's state does, and
    ``ValidationFailed`` when a required comment or target is missing.
    """
    sources, target = TRANSITIONS[action]
    state = State(claim.state)

    # Role first: a checker is told they lack the role even if the state is also wrong.
    if action in _REVIEW_ACTIONS and not has_permission(actor.role, "claims.review"):
        raise Forbidden(f"Only an editor can {action.value.replace('_', ' ')} a claim.")
    if action is Action.REOPEN and not has_permission(actor.role, "claims.reopen"):
        raise Forbidden("Only an editor can reopen a claim.")
    if not has_permission(actor.role, "claims.work"):
        raise Forbidden("Your role cannot work on claims.")

    if state not in sources:
        allowed = ", ".join(s.value for s in sources)
        raise InvalidTransition(
            f"Cannot {action.value.replace('_', ' ')} a claim that is {state.value}; "
            f"it must be {allowed}."
        )

    is_assignee = claim.assignee_id == actor.id
    is_editor = has_permission(actor.role, "claims.assign")
    if action is Action.RELEASE and not (is_assignee or is_editor):
        raise Forbidden("Only the assigned checker or an editor can release this claim.")
    if action is Action.SUBMIT:
        if not is_assignee:
            raise Forbidden("Only the checker working on this claim can submit it.")
        if not claim.has_verdict_draft:
            raise InvalidTransition("Write a verdict before submitting the claim for review.")
    if action in (Action.APPROVE, Action.PUBLISH, Action.SEND_BACK) and claim.checker_id == actor.id:
        raise Forbidden("An editor cannot review a claim they checked themselves.")
    if action in (Action.REJECT, Action.MARK_DUPLICATE) and state is not State.NEW:
        if not (is_assignee or is_editor):
            raise Forbidden("Only the assigned checker or an editor can close this claim.")
    if action is Action.CORRECT and not claim.has_pending_correction:
        raise InvalidTransition("Save the corrected verdict before publishing the correction.")

    if action in _NEEDS_COMMENT and not comment.strip():
        raise ValidationFailed(_NEEDS_COMMENT[action], {"comment": "required"})
    if action is Action.CORRECT and not comment.strip():
        raise ValidationFailed("Say what the correction changes.", {"comment": "required"})
    if action is Action.MARK_DUPLICATE and not duplicate_target:
        raise ValidationFailed(
            "Name the claim or earlier fact-check this duplicates.", {"duplicate_of": "required"}
        )
    return target


def available_actions(claim: ClaimFacts, actor: Actor) -> list[Action]:
    """Actions the actor could take now (ignoring comment/target requirements)."""
    result = []
    for action in Action:
        try:
            decide(claim, action, actor, comment="x", duplicate_target=True)
        except (Forbidden, InvalidTransition):
            continue
        result.append(action)
    return result


def can_edit_content(claim: ClaimFacts, actor: Actor) -> None:
    """Raise unless the actor may change a claim's evidence, verdict draft or wording.

    The checker holding the claim may while it is in progress; editors may at
    any stage before it is closed. Closed claims (rejected, duplicate) are
    reopened first.
    """
    state = State(claim.state)
    if state in (State.REJECTED, State.DUPLICATE):
        raise InvalidTransition(f"The claim is {state.value}; reopen it first.")
    if has_permission(actor.role, "claims.assign"):
        return
    if not has_permission(actor.role, "claims.work"):
        raise Forbidden("Your role cannot work on claims.")
    if state is State.NEW:
        raise InvalidTransition("Take the claim from the queue before working on it.")
    if state is not State.IN_PROGRESS or claim.assignee_id != actor.id:
        raise Forbidden("Only the checker working on this claim (or an editor) can change it.")


def can_write_verdict(claim: ClaimFacts, actor: Actor) -> None:
    """Raise unless the actor may write the claim's verdict draft now.

    While in progress: the checker holding it (or an editor). In review: a
    reviewing editor who is not the checker. Approved: nobody — send it back
    first, so an approval always covers the verdict that gets published.
    Published: an editor preparing a correction.
    """
    state = State(claim.state)
    if state is State.APPROVED:
        raise InvalidTransition("The verdict was approved as it stands; send the claim back to change it.")
    if state in (State.IN_REVIEW, State.PUBLISHED):
        if not has_permission(actor.role, "claims.review"):
            raise Forbidden("Only an editor can change a verdict under review or published.")
        if state is State.IN_REVIEW and claim.checker_id == actor.id:
            raise Forbidden("An editor cannot review a claim they checked themselves.")
        return
    can_edit_content(claim, actor)
