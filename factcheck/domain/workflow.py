"""The claim workflow as a pure state machine.

    new ──take──▶ in_progress ──submit──▶ in_review ──approve──▶ approved ──publish──▶ published
     ▲  ◀─release─┘    ▲                     │                      │  ◀──unpublish──┘ │
     │                 └──────send_back──────┴──────────────────────┘          correct (new version)
     └──reopen── rejected / duplicate  ◀──reject / mark_duplicate── new, in_progress, in_review

Rules that depend on who acts (role, assignee, the claim's checker) live here
too, so the web UI, the API and the CLI all enforce exactly the same thing.
"""
from __future__ import annotations

from enum import Enum

from factcheck.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from factcheck.domain.permissions import Actor, ClaimFacts, authorize, authorize_role, has_permission


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
    UNPUBLISH = "unpublish"


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
    # Withdraw a published check (its public page and its place in the library go); it can be published again.
    Action.UNPUBLISH: ((State.PUBLISHED,), State.APPROVED),
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
    Action.UNPUBLISH: "Unpublish",
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

_NEEDS_COMMENT = {Action.SEND_BACK: "Say what needs to change.", Action.REJECT: "Give the reason for rejecting.",
                  Action.UNPUBLISH: "Say why the check is withdrawn."}


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
    authorize_role(actor, action.value)
    if state not in sources:
        allowed = ", ".join(s.value for s in sources)
        raise InvalidTransition(
            f"Cannot {action.value.replace('_', ' ')} a claim that is {state.value}; "
            f"it must be {allowed}."
        )
    # Then who the actor is to this claim (assignee, its checker): the permission table.
    authorize(actor, action.value, claim)
    if action is Action.SUBMIT and not claim.has_verdict_draft:
        raise InvalidTransition("Write a verdict before submitting the claim for review.")
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


def can_edit_content(claim: ClaimFacts, actor: Actor, action: str = "edit_wording") -> None:
    """Raise unless the actor may change a claim's evidence, match decisions or wording.

    The checker holding the claim may while it is in progress; editors may at
    any stage before it is closed. Closed claims (rejected, duplicate) are
    reopened first. The rules are ``permissions.CLAIM_RULES``.
    """
    authorize(actor, action, claim)


def can_write_verdict(claim: ClaimFacts, actor: Actor) -> None:
    """Raise unless the actor may write the claim's verdict draft now (``CLAIM_RULES["edit_verdict"]``)."""
    authorize(actor, "edit_verdict", claim)
