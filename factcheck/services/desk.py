"""Running a desk: assigning claims to people, handing them back, and who hears about what.

Assignment goes through the workflow's rules like every other change to a claim: an editor may
assign a claim that is new or in progress; assigning a new claim takes it on the assignee's behalf
(new -> in progress), so the event log's state history stays whole. Every change is one event.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain import workflow
from factcheck.domain.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from factcheck.domain import permissions
from factcheck.domain.permissions import Actor, ClaimFacts, has_permission
from factcheck.domain.workflow import Action, State
from factcheck.models import Claim, Event, User, utcnow
from factcheck.services import events
from factcheck.services import notifications as notes

MAX_NOTE = 1000
#: States in which a claim can be (re)assigned: before it is submitted for review.


def default_due_date(settings: Settings, priority: int, today: date) -> date:
    """The due date a claim of this priority gets when it is assigned without one (settings)."""
    return today + timedelta(days=settings.due_days()[max(0, min(3, priority))])


def assignable_users(session: Session) -> list[User]:
    """Active people who can work on claims, by name."""
    people = session.exec(select(User).where(User.is_active)).all()
    return sorted((u for u in people if has_permission(u.role, "claims.work")), key=lambda u: (u.name or u.email).lower())


def _check_assignee(session: Session, assignee_id: int | None) -> User:
    assignee = session.get(User, assignee_id) if assignee_id else None
    if assignee is None or not assignee.is_active:
        raise ValidationFailed("Choose an active person to assign the claim to.", {"assignee_id": "unknown"})
    if not has_permission(assignee.role, "claims.work"):
        raise ValidationFailed(f"{assignee.name or assignee.email} cannot work on claims.", {"assignee_id": "role"})
    return assignee


def _may_assign(user: User, claim: Claim) -> None:
    # Who and in which states: the permission table (CLAIM_RULES["assign"]).
    permissions.authorize(Actor(id=user.id, role=user.role), "assign", ClaimFacts(
        state=claim.state, assignee_id=claim.assignee_id, checker_id=claim.checker_id))
    if not claim.checkable:
        raise InvalidTransition("A prediction or opinion cannot be checked, so it cannot be assigned.")


def assign_one(session: Session, *, settings: Settings, claim: Claim, assignee: User, user: User, note: str,
               today: date) -> bool:
    """Assign one loaded claim inside the caller's transaction; False when it already was theirs.

    Raises why it cannot be assigned. The conditional update makes a concurrent change (someone
    took or moved the claim meanwhile) a Conflict instead of a silent overwrite.
    """
    _may_assign(user, claim)
    if claim.assignee_id == assignee.id and claim.state == State.IN_PROGRESS.value:
        return False
    from_state, from_assignee = claim.state, claim.assignee_id
    due = claim.due_date or default_due_date(settings, claim.priority, today)
    unchanged = Claim.assignee_id.is_(None) if from_assignee is None else Claim.assignee_id == from_assignee
    now = utcnow()
    won = session.execute(
        update(Claim).where(Claim.id == claim.id, Claim.state == from_state, unchanged)
        .values(state=State.IN_PROGRESS.value, assignee_id=assignee.id, due_date=due, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise Conflict("The claim changed meanwhile; reload and try again.")
    claim.state, claim.assignee_id, claim.due_date, claim.updated_at = State.IN_PROGRESS.value, assignee.id, due, now
    moved = from_state != State.IN_PROGRESS.value
    events.record(session, action="assigned", claim_id=claim.id, actor_id=user.id,
                  from_state=from_state if moved else None, to_state=claim.state if moved else None,
                  assignee_id=assignee.id, previous_assignee_id=from_assignee, note=note or None,
                  due_date=due.isoformat())
    who = user.name or user.email
    notes.notify(session, user_ids=[assignee.id], kind=notes.ASSIGNED, claim_id=claim.id, actor_id=user.id,
                 message=f"{who} assigned you claim #{claim.id} (due {due.isoformat()})"
                         f"{': ' + note if note else ''} — {claim.standalone_text[:120]}")
    return True


def assign(session: Session, *, settings: Settings, claim_id: int, assignee_id: int | None, user: User,
           note: str = "", today: date | None = None) -> Claim:
    """Assign or reassign a claim to a named person, with an optional note."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"Keep the note under {MAX_NOTE} characters.", {"note": "too long"})
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("No such claim.")
    assignee = _check_assignee(session, assignee_id)
    assign_one(session, settings=settings, claim=claim, assignee=assignee, user=user, note=note,
               today=today or utcnow().date())
    session.commit()
    return claim


def last_assigner(session: Session, claim_id: int) -> int | None:
    """Who last assigned the claim to someone (None if it was taken from the pool)."""
    return session.exec(select(Event.actor_id).where(Event.claim_id == claim_id, Event.action == "assigned")
                        .order_by(Event.id.desc())).first()


def after_transition(session: Session, *, claim: Claim, action: Action, user: User, from_assignee: int | None,
                     comment: str) -> None:
    """Notifications a workflow action causes; called inside the transition's transaction."""
    who = user.name or user.email
    text = claim.standalone_text[:120]
    checker = claim.checker_id or claim.assignee_id
    reason = f": {comment}" if comment else ""
    if action is Action.SEND_BACK:
        notes.notify(session, user_ids=[checker], kind=notes.RETURNED, claim_id=claim.id, actor_id=user.id,
                     message=f"{who} sent claim #{claim.id} back{reason} — {text}")
    elif action is Action.APPROVE:
        notes.notify(session, user_ids=[checker], kind=notes.APPROVED, claim_id=claim.id, actor_id=user.id,
                     message=f"{who} approved claim #{claim.id} — {text}")
    elif action in (Action.PUBLISH, Action.CORRECT):
        verb = "published" if action is Action.PUBLISH else "published a correction of"
        notes.notify(session, user_ids=[checker], kind=notes.PUBLISHED, claim_id=claim.id, actor_id=user.id,
                     message=f"{who} {verb} claim #{claim.id} — {text}")
    elif action is Action.RELEASE and from_assignee == user.id:
        assigner = last_assigner(session, claim.id)
        notes.notify(session, user_ids=[assigner], kind=notes.HANDED_BACK, claim_id=claim.id, actor_id=user.id,
                     message=f"{who} handed back claim #{claim.id}{reason} — {text}")


def after_comment(session: Session, *, claim_id: int, user: User, body: str) -> None:
    """Tell everyone a comment mentions (@handle); inside the comment's transaction."""
    mentioned = notes.mentioned_users(session, body)
    if mentioned:
        who = user.name or user.email
        notes.notify(session, user_ids=mentioned, kind=notes.MENTIONED, claim_id=claim_id, actor_id=user.id,
                     message=f"{who} mentioned you on claim #{claim_id}: {body[:200]}")



def assignment_view(session: Session, claim: Claim, user: User) -> dict:
    """What the claim page's assignment panel shows: who may be chosen and whether the user may assign."""
    try:
        _may_assign(user, claim)
        may_assign = True
    except (Forbidden, InvalidTransition):
        may_assign = False
    return {"may_assign": may_assign, "assignable": assignable_users(session) if may_assign else [],
            "assigned_by": last_assigner(session, claim.id) if claim.assignee_id else None}
