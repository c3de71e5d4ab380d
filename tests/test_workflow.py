"""The claim workflow state machine (factcheck.domain.workflow): pure and fast.

Covers every transition in TRANSITIONS, every disallowed (state, action) pair,
the rules that depend on who acts, the comment/target requirements,
``available_actions`` and ``can_edit_content``.
"""
from __future__ import annotations

import itertools

import pytest

from factcheck.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from factcheck.domain.workflow import (
    ACTION_LABELS,
    STATE_LABELS,
    TRANSITIONS,
    Action,
    Actor,
    ClaimFacts,
    State,
    available_actions,
    can_edit_content,
    decide,
    parse_action,
)

CHECKER = Actor(id=1, role="checker")
CHECKER2 = Actor(id=2, role="checker")
EDITOR = Actor(id=3, role="editor")
EDITOR2 = Actor(id=4, role="editor")
ADMIN = Actor(id=5, role="admin")
STRANGER = Actor(id=6, role="intern")  # a role the app does not know

#: The diagram in the module docstring, written out independently of TRANSITIONS.
DOCUMENTED = {
    Action.TAKE: ({State.NEW}, State.IN_PROGRESS),
    Action.RELEASE: ({State.IN_PROGRESS}, State.NEW),
    Action.SUBMIT: ({State.IN_PROGRESS}, State.IN_REVIEW),
    Action.SEND_BACK: ({State.IN_REVIEW, State.APPROVED}, State.IN_PROGRESS),
    Action.APPROVE: ({State.IN_REVIEW}, State.APPROVED),
    Action.PUBLISH: ({State.APPROVED}, State.PUBLISHED),
    Action.REJECT: ({State.NEW, State.IN_PROGRESS, State.IN_REVIEW}, State.REJECTED),
    Action.MARK_DUPLICATE: ({State.NEW, State.IN_PROGRESS, State.IN_REVIEW}, State.DUPLICATE),
    Action.CORRECT: ({State.PUBLISHED}, State.PUBLISHED),
    Action.REOPEN: ({State.REJECTED, State.DUPLICATE}, State.NEW),
    Action.UNPUBLISH: ({State.PUBLISHED}, State.APPROVED),
}


def facts(state: State, *, assignee: int | None = None, checker: int | None = None,
          draft: bool = False, pending: bool = False) -> ClaimFacts:
    return ClaimFacts(state=state.value, assignee_id=assignee, checker_id=checker,
                      has_verdict_draft=draft, has_pending_correction=pending)


def allowed_setup(action: Action, state: State) -> tuple[ClaimFacts, Actor, dict]:
    """A claim, an actor and keyword arguments for which ``action`` is legitimate in ``state``."""
    kwargs = {"comment": "Reason given.", "duplicate_target": True}
    if action is Action.TAKE:
        return facts(state), CHECKER, kwargs
    if action in (Action.RELEASE, Action.SUBMIT):
        return facts(state, assignee=CHECKER.id, draft=True), CHECKER, kwargs
    if action in (Action.SEND_BACK, Action.APPROVE, Action.PUBLISH):
        return facts(state, assignee=CHECKER.id, checker=CHECKER.id, draft=True), EDITOR, kwargs
    if action is Action.CORRECT:
        return facts(state, assignee=CHECKER.id, checker=CHECKER.id, draft=True, pending=True), EDITOR, kwargs
    if action in (Action.REJECT, Action.MARK_DUPLICATE):
        assignee = None if state is State.NEW else CHECKER.id
        return facts(state, assignee=assignee, checker=None, draft=True), EDITOR, kwargs
    if action is Action.REOPEN:
        return facts(state), EDITOR, kwargs
    if action is Action.UNPUBLISH:
        return facts(state, assignee=CHECKER.id, checker=CHECKER.id, draft=True), EDITOR, kwargs
    raise AssertionError(f"no setup for {action}")


ALLOWED = [(action, state) for action, (sources, _) in TRANSITIONS.items() for state in sources]
DISALLOWED = [(state, action) for state, action in itertools.product(State, Action)
              if state not in TRANSITIONS[action][0]]


# --- the transition table -------------------------------------------------------------------

def test_transition_table_matches_documented_diagram():
    assert set(TRANSITIONS) == set(Action)
    for action, (sources, target) in TRANSITIONS.items():
        assert (set(sources), target) == DOCUMENTED[action], action


def test_every_action_and_state_has_a_label():
    assert set(ACTION_LABELS) == set(Action)
    assert set(STATE_LABELS) == set(State)


def test_the_allowed_and_disallowed_pairs_cover_the_whole_grid():
    assert len(ALLOWED) + len(DISALLOWED) == len(State) * len(Action)
    assert len(ALLOWED) == sum(len(s) for s, _ in DOCUMENTED.values())


@pytest.mark.parametrize("action,state", ALLOWED, ids=[f"{a.value}-from-{s.value}" for a, s in ALLOWED])
def test_allowed_transition_leads_to_its_target(action, state):
    claim, actor, kwargs = allowed_setup(action, state)
    assert decide(claim, action, actor, **kwargs) is DOCUMENTED[action][1]


@pytest.mark.parametrize("state,action", DISALLOWED, ids=[f"{s.value}-{a.value}" for s, a in DISALLOWED])
@pytest.mark.parametrize("actor", [EDITOR, ADMIN], ids=["editor", "admin"])
def test_disallowed_state_action_pair_raises_invalid_transition(state, action, actor):
    # An editor/admin who is neither assignee nor checker, with everything else in
    # place: only the state can be the reason for refusing.
    claim = facts(state, assignee=CHECKER.id, checker=CHECKER.id, draft=True, pending=True)
    with pytest.raises(InvalidTransition) as info:
        decide(claim, action, actor, comment="Reason given.", duplicate_target=True)
    assert state.value in str(info.value)


@pytest.mark.parametrize("state,action", [(s, a) for s, a in DISALLOWED if a in (
    Action.TAKE, Action.RELEASE, Action.SUBMIT)],
    ids=lambda v: v.value)
def test_disallowed_pair_is_invalid_transition_for_a_checker_too(state, action):
    claim = facts(state, assignee=CHECKER.id, checker=None, draft=True)
    with pytest.raises(InvalidTransition):
        decide(claim, action, CHECKER, comment="Reason given.", duplicate_target=True)


def test_parse_action_accepts_values_and_rejects_unknown():
    for action in Action:
        assert parse_action(action.value) is action
    with pytest.raises(ValidationFailed) as info:
        parse_action("delete")
    assert info.value.errors == {"action": "unknown action"}
    assert "take" in str(info.value) and "reopen" in str(info.value)


# --- who may act -------------------------------------------------------------------------

@pytest.mark.parametrize("action", [Action.APPROVE, Action.PUBLISH, Action.SEND_BACK, Action.CORRECT, Action.REOPEN,
                                    Action.REJECT, Action.MARK_DUPLICATE])
def test_checker_cannot_review_correct_close_or_reopen(action):
    state = next(iter(DOCUMENTED[action][0]))
    claim, _, kwargs = allowed_setup(action, state)
    # The checker is not the one who checked it, so only the role can be the reason.
    claim = ClaimFacts(claim.state, assignee_id=CHECKER2.id, checker_id=CHECKER2.id,
                       has_verdict_draft=True, has_pending_correction=claim.has_pending_correction)
    with pytest.raises(Forbidden):
        decide(claim, action, CHECKER, **kwargs)
    # ...and the same claim is fine for an editor.
    assert decide(claim, action, EDITOR, **kwargs) is DOCUMENTED[action][1]


@pytest.mark.parametrize("action", [Action.APPROVE, Action.PUBLISH, Action.SEND_BACK, Action.CORRECT, Action.REOPEN,
                                    Action.REJECT, Action.MARK_DUPLICATE])
def test_checker_role_is_refused_before_the_state_is_considered(action):
    # Role first: a checker gets Forbidden even from a state that is also wrong.
    wrong_state = next(s for s in State if s not in DOCUMENTED[action][0])
    with pytest.raises(Forbidden):
        decide(facts(wrong_state, assignee=CHECKER.id), action, CHECKER, comment="x", duplicate_target=True)


@pytest.mark.parametrize("action", [Action.APPROVE, Action.PUBLISH, Action.SEND_BACK])
@pytest.mark.parametrize("editor", [EDITOR, ADMIN], ids=["editor", "admin"])
def test_editor_cannot_review_a_claim_they_checked(action, editor):
    state = next(iter(DOCUMENTED[action][0]))
    claim = facts(state, assignee=editor.id, checker=editor.id, draft=True)
    with pytest.raises(Forbidden):
        decide(claim, action, editor, comment="Please fix.")
    # A second editor may.
    other = EDITOR2 if editor is EDITOR else EDITOR
    assert decide(claim, action, other, comment="Please fix.") is DOCUMENTED[action][1]


def test_editor_who_checked_a_claim_may_still_publish_a_correction():
    claim = facts(State.PUBLISHED, assignee=EDITOR.id, checker=EDITOR.id, draft=True, pending=True)
    assert decide(claim, Action.CORRECT, EDITOR, comment="Fixed a figure.") is State.PUBLISHED


@pytest.mark.parametrize("action", list(Action))
def test_unknown_role_can_do_nothing(action):
    state = next(iter(DOCUMENTED[action][0]))
    claim, _, kwargs = allowed_setup(action, state)
    with pytest.raises(Forbidden):
        decide(ClaimFacts(claim.state, STRANGER.id, None, True, True), action, STRANGER, **kwargs)


def test_submit_requires_the_assignee():
    claim = facts(State.IN_PROGRESS, assignee=CHECKER.id, draft=True)
    assert decide(claim, Action.SUBMIT, CHECKER) is State.IN_REVIEW
    for other in (CHECKER2, EDITOR, ADMIN):
        with pytest.raises(Forbidden):
            decide(claim, Action.SUBMIT, other)


def test_submit_requires_a_verdict_draft():
    claim = facts(State.IN_PROGRESS, assignee=CHECKER.id, draft=False)
    with pytest.raises(InvalidTransition) as info:
        decide(claim, Action.SUBMIT, CHECKER)
    assert "verdict" in str(info.value).lower()


def test_release_only_by_assignee_or_editor():
    claim = facts(State.IN_PROGRESS, assignee=CHECKER.id)
    assert decide(claim, Action.RELEASE, CHECKER) is State.NEW
    assert decide(claim, Action.RELEASE, EDITOR) is State.NEW
    assert decide(claim, Action.RELEASE, ADMIN) is State.NEW
    with pytest.raises(Forbidden):
        decide(claim, Action.RELEASE, CHECKER2)


@pytest.mark.parametrize("action", [Action.REJECT, Action.MARK_DUPLICATE])
def test_only_editors_close_a_claim(action):
    # The README lists reject and mark duplicate as editor actions: no checker may close a claim,
    # whether it is in the pool (emptying the queue), theirs in progress, or in review.
    for state in (State.NEW, State.IN_PROGRESS, State.IN_REVIEW):
        assignee = None if state is State.NEW else CHECKER.id
        claim = facts(state, assignee=assignee, checker=CHECKER.id if state is State.IN_REVIEW else None)
        for checker in (CHECKER, CHECKER2):
            with pytest.raises(Forbidden):
                decide(claim, action, checker, comment="dup", duplicate_target=True)
        for editor in (EDITOR, ADMIN):
            assert decide(claim, action, editor, comment="dup", duplicate_target=True) is DOCUMENTED[action][1]


# --- required comments and targets --------------------------------------------------------

@pytest.mark.parametrize("action", [Action.SEND_BACK, Action.REJECT])
@pytest.mark.parametrize("comment", ["", "   \n\t "])
def test_send_back_and_reject_need_a_comment(action, comment):
    state = State.IN_REVIEW
    claim = facts(state, assignee=CHECKER.id, checker=CHECKER.id, draft=True)
    with pytest.raises(ValidationFailed) as info:
        decide(claim, action, EDITOR, comment=comment)
    assert info.value.errors == {"comment": "required"}
    assert decide(claim, action, EDITOR, comment="Source 2 is out of date.") is DOCUMENTED[action][1]


def test_mark_duplicate_needs_a_target():
    claim = facts(State.NEW)
    with pytest.raises(ValidationFailed) as info:
        decide(claim, Action.MARK_DUPLICATE, EDITOR, duplicate_target=False)
    assert "duplicate_of" in info.value.errors
    assert decide(claim, Action.MARK_DUPLICATE, EDITOR, duplicate_target=True) is State.DUPLICATE


def test_correct_needs_a_pending_correction():
    claim = facts(State.PUBLISHED, assignee=CHECKER.id, checker=CHECKER.id, draft=True, pending=False)
    with pytest.raises(InvalidTransition):
        decide(claim, Action.CORRECT, EDITOR, comment="Updated figure.")


@pytest.mark.parametrize("comment", ["", "  "])
def test_correct_needs_a_comment(comment):
    claim = facts(State.PUBLISHED, assignee=CHECKER.id, checker=CHECKER.id, draft=True, pending=True)
    with pytest.raises(ValidationFailed) as info:
        decide(claim, Action.CORRECT, EDITOR, comment=comment)
    assert info.value.errors == {"comment": "required"}


@pytest.mark.parametrize("action", [Action.TAKE, Action.RELEASE, Action.SUBMIT, Action.APPROVE,
                                    Action.PUBLISH, Action.REOPEN])
def test_other_actions_need_no_comment(action):
    state = next(iter(DOCUMENTED[action][0]))
    claim, actor, _ = allowed_setup(action, state)
    assert decide(claim, action, actor) is DOCUMENTED[action][1]


# --- available_actions ------------------------------------------------------------------

@pytest.mark.parametrize("claim,actor,expected", [
    pytest.param(facts(State.NEW), CHECKER, {Action.TAKE}, id="pool-checker"),
    pytest.param(facts(State.NEW), EDITOR,
                 {Action.TAKE, Action.REJECT, Action.MARK_DUPLICATE}, id="pool-editor"),
    pytest.param(facts(State.IN_PROGRESS, assignee=1, draft=True), CHECKER,
                 {Action.RELEASE, Action.SUBMIT}, id="mine-with-draft"),
    pytest.param(facts(State.IN_PROGRESS, assignee=1, draft=False), CHECKER,
                 {Action.RELEASE}, id="mine-without-draft"),
    pytest.param(facts(State.IN_PROGRESS, assignee=1, draft=True), CHECKER2, set(), id="someone-elses"),
    pytest.param(facts(State.IN_PROGRESS, assignee=1, draft=True), EDITOR,
                 {Action.RELEASE, Action.REJECT, Action.MARK_DUPLICATE}, id="editor-on-in-progress"),
    pytest.param(facts(State.IN_REVIEW, assignee=1, checker=1, draft=True), EDITOR,
                 {Action.SEND_BACK, Action.APPROVE, Action.REJECT, Action.MARK_DUPLICATE}, id="review-editor"),
    pytest.param(facts(State.IN_REVIEW, assignee=3, checker=3, draft=True), EDITOR,
                 {Action.REJECT, Action.MARK_DUPLICATE}, id="review-own-check"),
    pytest.param(facts(State.IN_REVIEW, assignee=1, checker=1, draft=True), CHECKER2, set(), id="review-checker"),
    pytest.param(facts(State.APPROVED, assignee=1, checker=1, draft=True), EDITOR,
                 {Action.SEND_BACK, Action.PUBLISH}, id="approved-editor"),
    pytest.param(facts(State.APPROVED, assignee=1, checker=1, draft=True), CHECKER, set(), id="approved-checker"),
    pytest.param(facts(State.PUBLISHED, assignee=1, checker=1, draft=True), EDITOR, {Action.UNPUBLISH},
                 id="published"),
    pytest.param(facts(State.PUBLISHED, assignee=1, checker=1, draft=True), CHECKER, set(), id="published-checker"),
    pytest.param(facts(State.PUBLISHED, assignee=1, checker=1, draft=True, pending=True), EDITOR,
                 {Action.CORRECT, Action.UNPUBLISH}, id="published-pending-correction"),
    pytest.param(facts(State.REJECTED), EDITOR, {Action.REOPEN}, id="rejected-editor"),
    pytest.param(facts(State.DUPLICATE), ADMIN, {Action.REOPEN}, id="duplicate-admin"),
    pytest.param(facts(State.REJECTED), CHECKER, set(), id="rejected-checker"),
    pytest.param(facts(State.NEW), STRANGER, set(), id="unknown-role"),
])
def test_available_actions(claim, actor, expected):
    actions = available_actions(claim, actor)
    assert set(actions) == expected
    # Listed in the enum's order, without repeats.
    assert actions == [a for a in Action if a in expected]


def test_available_actions_agree_with_decide_everywhere():
    actors = [CHECKER, CHECKER2, EDITOR, ADMIN]
    for state in State:
        for assignee, checker in [(None, None), (1, None), (1, 1), (3, 3)]:
            for draft, pending in [(False, False), (True, False), (True, True)]:
                claim = facts(state, assignee=assignee, checker=checker, draft=draft, pending=pending)
                for actor in actors:
                    for action in Action:
                        try:
                            decide(claim, action, actor, comment="c", duplicate_target=True)
                            ok = True
                        except (Forbidden, InvalidTransition):
                            ok = False
                        assert (action in available_actions(claim, actor)) == ok


# --- can_edit_content ------------------------------------------------------------------

@pytest.mark.parametrize("state", [State.REJECTED, State.DUPLICATE])
@pytest.mark.parametrize("actor", [CHECKER, EDITOR, ADMIN], ids=["checker", "editor", "admin"])
def test_closed_claims_must_be_reopened_before_editing(state, actor):
    with pytest.raises(InvalidTransition) as info:
        can_edit_content(facts(state, assignee=actor.id), actor)
    assert "reopen" in str(info.value)


@pytest.mark.parametrize("state", [State.NEW, State.IN_PROGRESS, State.IN_REVIEW, State.APPROVED, State.PUBLISHED])
@pytest.mark.parametrize("actor", [EDITOR, ADMIN], ids=["editor", "admin"])
def test_editors_may_edit_any_open_claim(state, actor):
    assert can_edit_content(facts(state, assignee=CHECKER.id, checker=CHECKER.id), actor) is None


def test_checker_may_edit_only_the_claim_they_hold_in_progress():
    assert can_edit_content(facts(State.IN_PROGRESS, assignee=CHECKER.id), CHECKER) is None
    with pytest.raises(Forbidden):
        can_edit_content(facts(State.IN_PROGRESS, assignee=CHECKER.id), CHECKER2)
    with pytest.raises(InvalidTransition):
        can_edit_content(facts(State.NEW), CHECKER)
    for state in (State.IN_REVIEW, State.APPROVED, State.PUBLISHED):
        with pytest.raises(Forbidden):
            can_edit_content(facts(state, assignee=CHECKER.id, checker=CHECKER.id), CHECKER)


def test_unknown_role_may_not_edit():
    with pytest.raises(Forbidden):
        can_edit_content(facts(State.IN_PROGRESS, assignee=STRANGER.id), STRANGER)
