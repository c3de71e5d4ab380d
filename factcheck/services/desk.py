"""Running a desk: assigning claims to people, handing them back, and who hears about what.

Assignment goes through the workflow's rules like every other change to a claim: an editor may
assign a claim that is new or in progress; assigning a new claim takes it on the assignee's behalf
(new -> in progress), so the event log's state history stays whole. Every change is one event.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain import workflow
from factcheck.domain.errors import Conflict, DomainError, Forbidden, InvalidTransition, NotFound, ValidationFailed
from factcheck.domain import permissions
from factcheck.domain.permissions import Actor, ClaimFacts, has_permission
from factcheck.domain.workflow import Action, State
from factcheck.models import Claim, Event, User, utcnow
from factcheck.services import events, versions
from factcheck.services import notifications as notes
from factcheck.services import users as user_service
from factcheck.services.users import Person

MAX_NOTE = 1000
#: States in which a claim can be (re)assigned: before it is submitted for review.


def default_due_date(settings: Settings, priority: int, today: date) -> date:
    """The due date a claim of this priority gets when it is assigned without one (settings)."""
    return today + timedelta(days=settings.due_days()[max(0, min(3, priority))])


def assignable_users(session: Session, everyone: list[Person] | None = None) -> list[Person]:
    """Active people who can work on claims, by name (from ``everyone`` when the page has read it already)."""
    people = user_service.people(session) if everyone is None else everyone
    return sorted((u for u in people if u.is_active and has_permission(u.role, "claims.work")),
                  key=lambda u: (u.name or u.email).lower())


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
    # Filling in the due date is an edit of the claim's versioned fields: a form still showing none is stale.
    filled = due != claim.due_date
    version = Claim.version + (1 if filled else 0)
    won = session.execute(
        update(Claim).where(Claim.id == claim.id, Claim.state == from_state, unchanged)
        .values(state=State.IN_PROGRESS.value, assignee_id=assignee.id, due_date=due, updated_at=now, version=version)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise Conflict("The claim changed meanwhile; reload and try again.")
    claim.state, claim.assignee_id, claim.due_date, claim.updated_at = State.IN_PROGRESS.value, assignee.id, due, now
    session.expire(claim, ["version"])  # raised in the database; read it back when needed
    moved = from_state != State.IN_PROGRESS.value
    events.record(session, action="assigned", claim_id=claim.id, actor_id=user.id,
                  from_state=from_state if moved else None, to_state=claim.state if moved else None,
                  assignee_id=assignee.id, previous_assignee_id=from_assignee, note=note or None,
                  due_date=due.isoformat(), due_date_filled=filled or None)
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



def assignment_view(session: Session, claim: Claim, user: User, everyone: list[Person] | None = None) -> dict:
    """What the claim page's assignment panel shows: who may be chosen and whether the user may assign."""
    try:
        _may_assign(user, claim)
        may_assign = True
    except (Forbidden, InvalidTransition):
        may_assign = False
    return {"may_assign": may_assign, "assignable": assignable_users(session, everyone) if may_assign else [],
            "assigned_by": last_assigner(session, claim.id) if claim.assignee_id else None}


# ---- bulk triage ---------------------------------------------------------------------------------

MAX_BULK = 500
BULK_ACTIONS = {
    "assign": "Assign to",
    "priority": "Set priority",
    "due_date": "Set due date",
    "not_checkable": "Mark not checkable (reject with a reason)",
    "duplicate": "Mark duplicate of claim #",
}


@dataclass
class BulkReport:
    action: str
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # already as asked
    failed: list[tuple[int, str]] = field(default_factory=list)  # claim id, why


def _parse_bulk_ids(raw: list) -> list[int]:
    ids = []
    for value in raw:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(f"{value!r} is not a claim id.", {"claim_ids": "invalid"}) from None
        if not 1 <= number <= 2**31 - 1:
            raise ValidationFailed(f"{value!r} is not a claim id.", {"claim_ids": "invalid"})
        if number not in ids:
            ids.append(number)
    if not ids:
        raise ValidationFailed("Select at least one claim.", {"claim_ids": "required"})
    if len(ids) > MAX_BULK:
        raise ValidationFailed(f"Select at most {MAX_BULK} claims at once.", {"claim_ids": "too many"})
    return ids


def bulk(session: Session, *, settings: Settings, user: User, claim_ids: list, action: str, params: dict,
         today: date | None = None) -> BulkReport:
    """Apply one action to many claims in one transaction, reporting each claim that could not change and why.

    The action's own input (assignee, priority, date, reason, target) is checked first: if it is
    wrong nothing is tried. Then each claim goes through the same rules as one-at-a-time changes;
    a refusal writes nothing for that claim, and the rest are committed together.
    """
    from factcheck.schemas import ClaimEditInput, parse
    from factcheck.services import claims as claim_service

    today = today or utcnow().date()
    if not has_permission(user.role, "claims.assign"):
        raise Forbidden("Only an editor can change many claims at once.")
    if action not in BULK_ACTIONS:
        raise ValidationFailed(f"Unknown bulk action {action!r}.", {"action": "unknown"})
    ids = _parse_bulk_ids(claim_ids)
    note = (params.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"Keep the note under {MAX_NOTE} characters.", {"note": "too long"})
    assignee = target = None
    changes: dict = {}
    if action == "assign":
        try:
            assignee_id = int(params.get("assignee_id") or 0)
        except ValueError:
            assignee_id = 0
        assignee = _check_assignee(session, assignee_id)
    elif action in ("priority", "due_date"):
        changes = parse(ClaimEditInput, {action: params.get(action, "")}).model_dump(exclude_unset=True)
        if changes.get(action) is None:
            raise ValidationFailed(f"Give the {action.replace('_', ' ')} to set.", {action: "required"})
    elif action == "not_checkable" and not note:
        raise ValidationFailed("Say why these claims are not checkable.", {"note": "required"})
    elif action == "duplicate":
        try:
            target = int(params.get("duplicate_of_claim_id") or 0)
        except ValueError:
            target = 0
        if target < 1 or session.get(Claim, target) is None:
            raise ValidationFailed("Name the claim they duplicate (its number).", {"duplicate_of_claim_id": "unknown"})

    report = BulkReport(action=action)
    found = {c.id: c for c in session.exec(select(Claim).where(Claim.id.in_(ids))).all()}
    for claim_id in ids:
        claim = found.get(claim_id)
        if claim is None:
            report.failed.append((claim_id, "No such claim."))
            continue
        try:
            if action == "assign":
                done = assign_one(session, settings=settings, claim=claim, assignee=assignee, user=user, note=note,
                                  today=today)
            elif action in ("priority", "due_date"):
                done = _schedule(session, claim=claim, user=user, changes=changes)
            elif action == "not_checkable":
                claim_service.transition(session, claim_id=claim.id, action=Action.REJECT, user=user, comment=note,
                                         commit=False)
                done = True
            else:
                if claim.id == target:
                    raise ValidationFailed("A claim cannot duplicate itself.")
                claim_service.transition(session, claim_id=claim.id, action=Action.MARK_DUPLICATE, user=user,
                                         comment=note, duplicate_of_claim_id=target, commit=False)
                done = True
        except (DomainError,) as error:
            report.failed.append((claim_id, str(error)))
            continue
        (report.changed if done else report.unchanged).append(claim_id)
    if report.changed:
        events.record(session, action="bulk_triage", actor_id=user.id, bulk_action=action,
                      changed=report.changed, failed=[i for i, _r in report.failed])
    session.commit()
    return report


def _schedule(session: Session, *, claim: Claim, user: User, changes: dict) -> bool:
    """Set priority or due date on one claim (bulk): only claims that still have work ahead."""
    permissions.authorize(Actor(id=user.id, role=user.role), "schedule", ClaimFacts(
        state=claim.state, assignee_id=claim.assignee_id, checker_id=claim.checker_id))
    if claim.state not in (State.NEW.value, State.IN_PROGRESS.value, State.IN_REVIEW.value, State.APPROVED.value):
        raise InvalidTransition(f"The claim is {claim.state.replace('_', ' ')}: its priority and due date no longer "
                                "matter.")
    before = {name: getattr(claim, name) for name in changes}
    if before == changes:
        return False
    # Priority and due date are versioned fields of the claim: a form still showing the old ones is stale.
    if not versions.claim_version(session, Claim, row_id=claim.id, seen=claim.version):
        raise Conflict("The claim was edited meanwhile; reload and try again.")
    for name, value in changes.items():
        setattr(claim, name, value)
    claim.version += 1
    claim.updated_at = utcnow()
    session.add(claim)
    events.record(session, action="claim_edited", claim_id=claim.id, actor_id=user.id, via="bulk",
                  changes={k: [before[k], changes[k]] for k in changes})
    return True
