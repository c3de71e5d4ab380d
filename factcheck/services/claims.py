"""The claim workflow: taking, working, reviewing and publishing claims."""
from __future__ import annotations

from dataclasses import dataclass, field

import json
import logging

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain import permissions, workflow
from factcheck.domain.errors import Conflict, NotFound, ValidationFailed
from factcheck.domain.ratings import parse_rating_scale
from factcheck.domain.workflow import Action, Actor, ClaimFacts, State
from factcheck.models import (Article, Claim, Comment, Event, Evidence, FactCheck, Passage, User, Verdict,
                              VerdictRevision, utcnow)
from factcheck.schemas import (MAX_ID, ClaimEditInput, CommentInput, EvidenceEditInput, EvidenceInput, VerdictInput,
                               parse)
from factcheck.services import desk, events, evidence_archive, own_checks, versions
from factcheck.services.claim_facts import actor_of, authorize, can, facts_of, facts_with, latest_verdict  # noqa: F401
from factcheck.services.matching import match_views, rematch_claim

log = logging.getLogger(__name__)


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("No such claim.")
    return claim


def published_verdict(session: Session, claim_id: int) -> Verdict | None:
    return session.exec(
        select(Verdict).where(Verdict.claim_id == claim_id, Verdict.published_at.is_not(None))
        .order_by(Verdict.version.desc())
    ).first()


def verdict_history(session: Session, claim_id: int) -> list[Verdict]:
    return list(session.exec(select(Verdict).where(Verdict.claim_id == claim_id).order_by(Verdict.version)).all())


def available_actions(session: Session, claim: Claim, user: User) -> list[Action]:
    return workflow.available_actions(facts_of(session, claim), actor_of(user))


def may_write_verdict(session: Session, claim: Claim, user: User) -> bool:
    return can(session, user, "edit_verdict", claim)


def allowed(session: Session, claim: Claim, user: User) -> dict[str, bool]:
    """For pages: which of the claim's content actions ``user`` may take now (from the permission table)."""
    return _allowed(actor_of(user), facts_of(session, claim))  # read once for all the questions


def _allowed(actor, facts) -> dict[str, bool]:
    return {action: permissions.can(actor, action, facts)
            for action in ("decide_match", "add_evidence", "edit_evidence", "remove_evidence", "refetch_evidence",
                           "edit_wording",
                           "schedule", "edit_verdict", "comment", "mark_duplicate")}


def page_permissions(session: Session, claim: Claim, user: User, verdicts: list[Verdict] | None = None) -> dict:
    """What the claim page asks the permission table, from one reading of the claim's facts: the workflow
    actions ``user`` has, whether they may write the verdict, and ``allowed`` (see there). ``verdicts``: the
    claim's ``verdict_history`` when the caller has it (its last is the latest verdict)."""
    facts = facts_of(session, claim) if verdicts is None else facts_with(claim, verdicts[-1] if verdicts else None)
    actor = actor_of(user)
    return {"actions": workflow.available_actions(facts, actor),
            "may_write_verdict": permissions.can(actor, "edit_verdict", facts),
            "allowed": _allowed(actor, facts)}


def _locked(session: Session, claim_id: int) -> Claim:
    """Load a claim for a state change, locking its row on PostgreSQL."""
    statement = select(Claim).where(Claim.id == claim_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    claim = session.exec(statement).first()
    if claim is None:
        raise NotFound("No such claim.")
    return claim


def transition(session: Session, *, claim_id: int, action: str | Action, user: User, comment: str = "",
               duplicate_of_claim_id: int | None = None,
               duplicate_of_fact_check_id: int | None = None, commit: bool = True,
               no_evidence_reason: str = "", settings: Settings | None = None) -> Claim:
    """Apply a workflow action, or raise why it is not allowed. One event per transition.

    Submitting needs at least one piece of evidence, or ``no_evidence_reason`` saying why none is
    needed (kept in the event log and as a comment for the reviewer).

    With ``commit=False`` the change joins the caller's transaction (bulk triage): a refusal then
    raises having written nothing, and leaves the caller's earlier changes alone.

    Publishing, correcting and unpublishing keep the claim's entry in the
    fact-check library in step (``own_checks.sync``), in the same transaction;
    ``settings`` (default: from the environment) name the embedding model.
    """
    action = workflow.parse_action(action) if isinstance(action, str) else action
    comment = (comment or "").strip()
    claim = _locked(session, claim_id)
    if action is Action.MARK_DUPLICATE:
        _check_duplicate_target(session, claim, duplicate_of_claim_id, duplicate_of_fact_check_id)
    target = workflow.decide(
        facts_of(session, claim), action, actor_of(user), comment=comment,
        duplicate_target=bool(duplicate_of_claim_id or duplicate_of_fact_check_id),
    )
    no_evidence_reason = (no_evidence_reason or "").strip() if action is Action.SUBMIT else ""
    if action is Action.SUBMIT and not no_evidence_reason and session.exec(
            select(Evidence.id).where(Evidence.claim_id == claim.id).limit(1)).first() is None:
        raise ValidationFailed("Link at least one piece of evidence before submitting, or say why none is needed.",
                               {"no_evidence_reason": "required"})
    from_state = claim.state
    now = utcnow()
    # Claim the state change first with a conditional update: if another
    # request moved the claim since we read it (SQLite has no row locks),
    # nothing matches and we stop before writing anything else.
    assignee_unchanged = (Claim.assignee_id.is_(None) if claim.assignee_id is None
                          else Claim.assignee_id == claim.assignee_id)
    won = session.execute(
        update(Claim).where(Claim.id == claim.id, Claim.state == from_state, assignee_unchanged)
        .values(state=target.value, updated_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        if commit:
            session.rollback()
        raise Conflict("The claim changed while you were working on it; reload and try again.")

    from_assignee = claim.assignee_id
    if action is Action.TAKE:
        claim.assignee_id = user.id
    elif action is Action.RELEASE:
        claim.assignee_id = None
    elif action is Action.SUBMIT:
        claim.checker_id = user.id
    elif action is Action.SEND_BACK:
        claim.assignee_id = claim.checker_id
    elif action is Action.PUBLISH:
        claim.published_at = claim.published_at or now
        draft = latest_verdict(session, claim.id)
        draft.published_at = now
        draft.revision += 1  # a draft edited before publication must not silently become a correction
        session.add(draft)
    elif action is Action.CORRECT:
        draft = latest_verdict(session, claim.id)
        draft.published_at = now
        draft.correction_note = comment
        draft.revision += 1
        session.add(draft)
    elif action is Action.REJECT:
        claim.rejection_reason = comment
        claim.assignee_id = None
    elif action is Action.MARK_DUPLICATE:
        claim.duplicate_of_claim_id = duplicate_of_claim_id
        claim.duplicate_of_fact_check_id = duplicate_of_fact_check_id
        claim.assignee_id = None
    elif action is Action.REOPEN:
        claim.rejection_reason = None
        claim.duplicate_of_claim_id = None
        claim.duplicate_of_fact_check_id = None

    claim.state = target.value
    claim.updated_at = now
    session.add(claim)
    if comment:
        session.add(Comment(claim_id=claim.id, author_id=user.id, body=f"[{workflow.ACTION_LABELS[action]}] {comment}"))
    if no_evidence_reason:
        session.add(Comment(claim_id=claim.id, author_id=user.id, body=f"[No evidence needed] {no_evidence_reason}"))
    events.record(session, action=action.value, claim_id=claim.id, actor_id=user.id,
                  from_state=from_state, to_state=target.value, comment=comment or None,
                  duplicate_of_claim_id=duplicate_of_claim_id,
                  duplicate_of_fact_check_id=duplicate_of_fact_check_id,
                  **({"no_evidence_reason": no_evidence_reason} if no_evidence_reason else {}))
    if action in (Action.PUBLISH, Action.CORRECT, Action.UNPUBLISH):
        # The library follows the publication, in the same transaction (logged after the transition).
        own_checks.sync(session, settings=settings or Settings.from_env(), claim=claim, actor_id=user.id)
    desk.after_transition(session, claim=claim, action=action, user=user, from_assignee=from_assignee, comment=comment)
    if commit:
        session.commit()
    return claim


def _check_duplicate_target(session: Session, claim: Claim, claim_id: int | None, fact_check_id: int | None) -> None:
    for name, value in (("duplicate_of_claim_id", claim_id), ("duplicate_of_fact_check_id", fact_check_id)):
        if value is not None and not 1 <= value <= MAX_ID:
            raise ValidationFailed(f"{name} must be a positive id.", {name: "out of range"})
    if claim_id and fact_check_id:
        raise ValidationFailed("A claim duplicates either a claim or a fact-check, not both.", {"duplicate_of": "both"})
    if claim_id:
        if claim_id == claim.id:
            raise ValidationFailed("A claim cannot duplicate itself.", {"duplicate_of_claim_id": "self"})
        if session.get(Claim, claim_id) is None:
            raise ValidationFailed("The claim it duplicates does not exist.", {"duplicate_of_claim_id": "unknown"})
    if fact_check_id and session.get(FactCheck, fact_check_id) is None:
        raise ValidationFailed("The fact-check it duplicates does not exist.", {"duplicate_of_fact_check_id": "unknown"})


def take_next(session: Session, *, user: User) -> Claim | None:
    """Assign the highest-priority unassigned claim to ``user``, atomically.

    Two checkers calling this at once never get the same claim: PostgreSQL
    skips rows another transaction has locked; SQLite applies a conditional
    update that only one writer can win, and the loser tries the next claim.
    """
    workflow.decide(ClaimFacts(state=State.NEW.value, assignee_id=None, checker_id=None), Action.TAKE, actor_of(user))
    order = (Claim.priority.desc(), Claim.due_date.is_(None), Claim.due_date, Claim.checkworthiness.desc(), Claim.id)
    # Predictions and opinions (not checkable) are never handed out.
    pool = select(Claim).where(Claim.state == State.NEW.value, Claim.assignee_id.is_(None),
                               Claim.checkable).order_by(*order)
    postgres = session.get_bind().dialect.name == "postgresql"
    for _attempt in range(20):
        if postgres:
            claim = session.exec(pool.limit(1).with_for_update(skip_locked=True)).first()
            if claim is None:
                session.rollback()
                return None
            claim_id = claim.id
        else:
            claim_id = session.exec(select(Claim.id).where(Claim.state == State.NEW.value, Claim.assignee_id.is_(None),
                                                           Claim.checkable).order_by(*order).limit(1)).first()
            if claim_id is None:
                session.rollback()
                return None
        now = utcnow()
        result = session.execute(
            update(Claim)
            .where(Claim.id == claim_id, Claim.state == State.NEW.value, Claim.assignee_id.is_(None))
            .values(state=State.IN_PROGRESS.value, assignee_id=user.id, updated_at=now)
        )
        if result.rowcount != 1:
            session.rollback()
            continue  # someone else won this claim; try the next one
        events.record(session, action=Action.TAKE.value, claim_id=claim_id, actor_id=user.id,
                      from_state=State.NEW.value, to_state=State.IN_PROGRESS.value, via="take_next")
        session.commit()
        claim = session.get(Claim, claim_id)
        session.refresh(claim)
        return claim
    raise Conflict("The queue is busy; try again.")


VERDICT_CHANGES = ("verdict_saved", "publish", "correct")


def _last_change(session: Session, claim_id: int, actions: tuple[str, ...],
                 **detail) -> tuple[User | None, object]:
    """Who made the latest of these events on a claim, and when (matching ``detail`` keys when given)."""
    rows = session.exec(
        select(Event).where(Event.claim_id == claim_id, Event.action.in_(actions)).order_by(Event.id.desc())
    ).all()
    for event in rows:
        if detail:
            try:
                data = json.loads(event.detail or "{}")
            except ValueError:
                continue
            if any(data.get(key) != value for key, value in detail.items()):
                continue
        return (session.get(User, event.actor_id) if event.actor_id is not None else None), event.created_at
    return None, None


def verdict_revision(session: Session, claim_id: int) -> int:
    """The claim's verdict token: 0 before the first save."""
    latest = latest_verdict(session, claim_id)
    return latest.revision if latest is not None else 0


def _stale_verdict(session: Session, claim_id: int, expected: int | None):
    session.rollback()
    latest = latest_verdict(session, claim_id)
    who, when = _last_change(session, claim_id, VERDICT_CHANGES)
    return versions.stale(kind="verdict", label="verdict", current_version=latest.revision if latest else 0,
                          expected=expected, changed_by=who, changed_at=when, current=latest)


def save_verdict(session: Session, *, settings: Settings, claim_id: int, user: User, data: dict,
                 expected_revision: int | None = None) -> Verdict:
    """Write or update the claim's draft verdict.

    Before publication there is one draft (version 1, or the version after the
    last published one); on a published claim this prepares a correction that
    the ``correct`` action publishes. ``expected_revision`` is the verdict
    revision the writer edited (0: there was none); if it was saved or
    published since, ``StaleWrite`` is raised and nothing is written. Every
    save's full text is kept in ``VerdictRevision``.
    """
    payload = parse(VerdictInput, data)
    scale = parse_rating_scale(settings.rating_scale)
    rating = scale.get(payload.rating)
    if rating is None:
        raise ValidationFailed(
            f"Unknown rating {payload.rating!r}; use one of: {', '.join(scale.names())}.", {"rating": "unknown"})
    claim = _locked(session, claim_id)
    authorize(session, user, "edit_verdict", claim)
    latest = latest_verdict(session, claim.id)
    seen = latest.revision if latest is not None else 0
    versions.check(expected_revision, seen, lambda: _stale_verdict(session, claim.id, expected_revision))
    now = utcnow()
    if latest is not None and latest.published_at is None:
        if not versions.claim_version(session, Verdict, row_id=latest.id, seen=seen, column="revision"):
            raise _stale_verdict(session, claim.id, expected_revision if expected_revision is not None else seen)
        verdict = latest
        verdict.rating, verdict.rating_value = rating.name, rating.value
        verdict.summary, verdict.explanation = payload.summary, payload.explanation
        verdict.author_id, verdict.updated_at = user.id, now
    else:
        verdict = Verdict(claim_id=claim.id, version=(latest.version + 1) if latest else 1, rating=rating.name,
                          rating_value=rating.value, summary=payload.summary, explanation=payload.explanation,
                          author_id=user.id)
    verdict.revision = seen + 1
    session.add(verdict)
    try:
        session.flush()
        # Unique per claim and revision: of two first saves racing, the second fails here.
        session.add(VerdictRevision(claim_id=claim.id, verdict_id=verdict.id, version=verdict.version,
                                    revision=verdict.revision, rating=verdict.rating,
                                    rating_value=verdict.rating_value, summary=verdict.summary,
                                    explanation=verdict.explanation, author_id=user.id, created_at=now))
        session.flush()
    except IntegrityError:
        raise _stale_verdict(session, claim.id, expected_revision if expected_revision is not None else seen) from None
    events.record(session, action="verdict_saved", claim_id=claim.id, actor_id=user.id,
                  version=verdict.version, revision=verdict.revision, rating=rating.name)
    session.commit()
    return verdict


def verdict_revisions(session: Session, claim_id: int) -> list[VerdictRevision]:
    """The full text of every save of the claim's verdict, oldest first."""
    return list(session.exec(
        select(VerdictRevision).where(VerdictRevision.claim_id == claim_id).order_by(VerdictRevision.revision)
    ).all())


#: How much of a quote the evidence events keep (enough for the reviewer's list of changes).
EVENT_QUOTE_CHARS = 300


def add_evidence(session: Session, *, claim_id: int, user: User, data: dict, queue=None) -> Evidence:
    """Link a source passage or a URL with a quote.

    With a job ``queue`` (the web and the API pass the app's), a URL is fetched and
    archived in the background (``evidence_archive``); the evidence is stored first
    either way, and a fetch that fails shows as failed without taking it away.
    """
    payload = parse(EvidenceInput, data)
    if payload.passage_id is None and payload.url is None:
        raise ValidationFailed("Link a source passage or give the URL of the evidence.", {"url": "required"})
    claim = get_claim(session, claim_id)
    authorize(session, user, "add_evidence", claim)
    quote = payload.quote
    if payload.passage_id is not None:
        passage = session.get(Passage, payload.passage_id)
        if passage is None:
            raise ValidationFailed("The source passage does not exist.", {"passage_id": "unknown"})
        quote = quote or passage.text
    elif not quote:
        raise ValidationFailed("Quote the part of the source that matters.", {"quote": "required"})
    evidence = Evidence(claim_id=claim.id, passage_id=payload.passage_id, url=payload.url, quote=quote,
                        stance=payload.stance, note=payload.note, added_by_id=user.id)
    session.add(evidence)
    session.flush()
    events.record(session, action="evidence_added", claim_id=claim.id, actor_id=user.id,
                  evidence_id=evidence.id, stance=evidence.stance, url=evidence.url, passage_id=evidence.passage_id,
                  quote=evidence.quote[:EVENT_QUOTE_CHARS], note=evidence.note)
    session.commit()
    if queue is not None and evidence.url:
        try:
            evidence_archive.request(session, queue=queue, evidence=evidence, actor_id=user.id)
        except Exception:  # noqa: BLE001 - the evidence is saved; an unreachable broker must not undo or hide that
            session.rollback()
            log.exception("Could not queue the archiving of evidence %s; it can be re-fetched later.", evidence.id)
        session.refresh(evidence)
    return evidence


EVIDENCE_CHANGES = ("evidence_added", "evidence_edited")


def _evidence_on(session: Session, claim_id: int, evidence_id: int) -> Evidence:
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.claim_id != claim_id:
        raise NotFound("No such evidence on this claim.")
    return evidence


def _stale_evidence(session: Session, claim_id: int, evidence_id: int, expected: int | None):
    session.rollback()
    evidence = _evidence_on(session, claim_id, evidence_id)
    who, when = _last_change(session, claim_id, EVIDENCE_CHANGES, evidence_id=evidence_id)
    return versions.stale(kind="evidence", label="evidence", current_version=evidence.version, expected=expected,
                          changed_by=who, changed_at=when, current=evidence)


def _check_evidence_version(session: Session, evidence: Evidence, expected: int | None) -> None:
    """Refuse a stale write, then raise the evidence's version (the first write of the change)."""
    seen = evidence.version
    versions.check(expected, seen, lambda: _stale_evidence(session, evidence.claim_id, evidence.id, expected))
    if not versions.claim_version(session, Evidence, row_id=evidence.id, seen=seen):
        raise _stale_evidence(session, evidence.claim_id, evidence.id, expected if expected is not None else seen)


def edit_evidence(session: Session, *, claim_id: int, evidence_id: int, user: User, data: dict,
                  expected_version: int | None = None) -> Evidence:
    """Change a piece of evidence's quote, stance or note; ``StaleWrite`` if it changed since ``expected_version``."""
    payload = parse(EvidenceEditInput, data)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    evidence = _evidence_on(session, claim_id, evidence_id)
    claim = get_claim(session, claim_id)
    authorize(session, user, "edit_evidence", claim)
    seen = evidence.version
    _check_evidence_version(session, evidence, expected_version)
    before = {name: getattr(evidence, name) for name in changes}
    for name, value in changes.items():
        setattr(evidence, name, value)
    evidence.version = seen + 1
    session.add(evidence)
    events.record(session, action="evidence_edited", claim_id=claim_id, actor_id=user.id, evidence_id=evidence.id,
                  version=evidence.version, changes={k: [before[k], changes[k]] for k in changes})
    session.commit()
    return evidence


def remove_evidence(session: Session, *, claim_id: int, evidence_id: int, user: User,
                    expected_version: int | None = None) -> None:
    """Unlink a piece of evidence; ``StaleWrite`` if it was edited since ``expected_version``."""
    evidence = _evidence_on(session, claim_id, evidence_id)
    claim = get_claim(session, claim_id)
    authorize(session, user, "remove_evidence", claim)
    _check_evidence_version(session, evidence, expected_version)
    # What it pointed at and said, for the history and the reviewer's list of changes.
    removed = {"url": evidence.url, "passage_id": evidence.passage_id, "stance": evidence.stance,
               "quote": evidence.quote[:EVENT_QUOTE_CHARS]}
    session.delete(evidence)
    events.record(session, action="evidence_removed", claim_id=claim_id, actor_id=user.id,
                  evidence_id=evidence_id, **removed)
    session.commit()


def evidence_item(session: Session, claim_id: int, evidence_id: int) -> Evidence:
    """One piece of evidence of the claim; ``NotFound`` if it is not (or no longer) there."""
    return _evidence_on(session, claim_id, evidence_id)


def evidence_of(session: Session, claim_id: int) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.claim_id == claim_id).order_by(Evidence.id)).all())


def add_comment(session: Session, *, claim_id: int, user: User, data: dict) -> Comment:
    payload = parse(CommentInput, data)
    authorize(session, user, "comment", get_claim(session, claim_id))
    comment = Comment(claim_id=claim_id, author_id=user.id, body=payload.body)
    session.add(comment)
    session.flush()
    events.record(session, action="commented", claim_id=claim_id, actor_id=user.id, comment_id=comment.id)
    desk.after_comment(session, claim_id=claim_id, user=user, body=comment.body)
    session.commit()
    return comment


def comments_of(session: Session, claim_id: int) -> list[Comment]:
    return list(session.exec(select(Comment).where(Comment.claim_id == claim_id).order_by(Comment.id)).all())


def _stale_claim(session: Session, claim_id: int, expected: int | None):
    session.rollback()
    claim = get_claim(session, claim_id)
    # What raises a claim's version: an edit, or an assignment that filled in the due date.
    edited = _last_change(session, claim_id, ("claim_edited",))
    filled = _last_change(session, claim_id, ("assigned",), due_date_filled=True)
    who, when = max((c for c in (edited, filled) if c[1] is not None), key=lambda c: c[1], default=(None, None))
    return versions.stale(kind="claim", label="claim", current_version=claim.version, expected=expected,
                          changed_by=who, changed_at=when, current=claim)


def edit_claim(session: Session, *, settings: Settings, claim_id: int, user: User, data: dict,
               expected_version: int | None = None) -> Claim:
    """Change a claim's standalone wording, claimant, priority or due date.

    ``StaleWrite`` (nothing written) when the claim was edited since ``expected_version``.
    """
    payload = parse(ClaimEditInput, data)
    claim = get_claim(session, claim_id)
    changes = payload.model_dump(exclude_unset=True)
    if set(changes) - {"priority", "due_date"}:
        authorize(session, user, "edit_wording", claim)
    else:
        authorize(session, user, "schedule", claim)
    seen = claim.version
    versions.check(expected_version, seen, lambda: _stale_claim(session, claim_id, expected_version))
    if not versions.claim_version(session, Claim, row_id=claim.id, seen=seen):
        raise _stale_claim(session, claim_id, expected_version if expected_version is not None else seen)
    before = {name: getattr(claim, name) for name in changes}
    for name, value in changes.items():
        if name == "standalone_text" and value is None:
            continue
        setattr(claim, name, value)
    claim.version = seen + 1
    if changes.get("standalone_text") is not None and changes["standalone_text"] != before["standalone_text"]:
        claim.wording_status = "edited"  # the checker's own wording: the proposed rewrites no longer apply
    claim.updated_at = utcnow()
    session.add(claim)
    events.record(session, action="claim_edited", claim_id=claim.id, actor_id=user.id, version=claim.version,
                  changes={k: [before[k], getattr(claim, k)] for k in changes})
    if claim.state == State.PUBLISHED.value and set(changes) & {"standalone_text", "claimant"}:
        own_checks.sync(session, settings=settings, claim=claim, actor_id=user.id)  # the library shows the new wording
    session.commit()
    if "standalone_text" in changes and changes["standalone_text"] != before["standalone_text"]:
        rematch_claim(session, settings=settings, claim=claim)
    return claim


WORDING_DECISIONS = ("accept", "as_written")


def review_wording(session: Session, *, settings: Settings, claim_id: int, user: User, decision: str,
                   expected_version: int | None = None) -> Claim:
    """Settle a proposed standalone wording: ``accept`` keeps the rewrites,
    ``as_written`` drops them all and uses the sentence itself. Permission as
    for editing the wording; ``StaleWrite`` when the claim changed since
    ``expected_version``."""
    # Who may act is decided before what they sent is looked at: a refusal never depends on the form.
    claim = get_claim(session, claim_id)
    authorize(session, user, "edit_wording", claim)
    if decision not in WORDING_DECISIONS:
        raise ValidationFailed("Choose to accept the proposed wording or to keep the sentence as written.",
                               {"decision": "must be accept or as_written"})
    if decision == "accept" and claim.wording_status != "proposed":
        raise ValidationFailed("There is no proposed wording to accept.", {"decision": "nothing proposed"})
    seen = claim.version
    versions.check(expected_version, seen, lambda: _stale_claim(session, claim_id, expected_version))
    if not versions.claim_version(session, Claim, row_id=claim.id, seen=seen):
        raise _stale_claim(session, claim_id, expected_version if expected_version is not None else seen)
    before = {"standalone_text": claim.standalone_text, "wording_status": claim.wording_status}
    if decision == "accept":
        claim.wording_status = "accepted"
    else:
        claim.standalone_text = " ".join(claim.sentence.split())
        claim.wording_status = "as_written"
    claim.version = seen + 1
    claim.updated_at = utcnow()
    session.add(claim)
    # Recorded as an edit, so the version history and stale-write notices name it.
    events.record(session, action="claim_edited", claim_id=claim.id, actor_id=user.id, version=claim.version,
                  decision=decision, changes={k: [v, getattr(claim, k)] for k, v in before.items()})
    session.commit()
    if claim.standalone_text != before["standalone_text"]:
        rematch_claim(session, settings=settings, claim=claim)
    return claim


def wording_segments(claim: Claim) -> list[tuple[str, dict | None]]:
    """The claim's sentence cut into plain text and rewritten pieces (each
    with its rewrite), for showing the proposed changes as marked edits."""
    segments: list[tuple[str, dict | None]] = []
    position = 0
    for rewrite in sorted(claim.rewrites, key=lambda r: (r["start"], r["end"])):
        start, end = rewrite["start"] - claim.span_start, rewrite["end"] - claim.span_start
        if start < position or end > len(claim.sentence):
            continue
        if start > position:
            segments.append((claim.sentence[position:start], None))
        segments.append((claim.sentence[start:end], rewrite))
        position = end
    if position < len(claim.sentence):
        segments.append((claim.sentence[position:], None))
    return segments


def history_of(session: Session, claim_id: int) -> list[tuple[Event, User | None]]:
    rows = session.exec(
        select(Event, User).join(User, Event.actor_id == User.id, isouter=True)
        .where(Event.claim_id == claim_id).order_by(Event.id)
    ).all()
    return [(event, user) for event, user in rows]


@dataclass
class InheritedVerdict:
    """The verdict a duplicate claim inherits from what it duplicates."""

    rating: str
    summary: str
    url: str | None
    source: str


def inherited_verdict(session: Session, claim: Claim) -> InheritedVerdict | None:
    if claim.duplicate_of_fact_check_id:
        fc = session.get(FactCheck, claim.duplicate_of_fact_check_id)
        if fc:
            return InheritedVerdict(fc.rating, fc.summary, fc.url, fc.publisher or "earlier fact-check")
    if claim.duplicate_of_claim_id:
        verdict = published_verdict(session, claim.duplicate_of_claim_id)
        if verdict:
            return InheritedVerdict(verdict.rating, verdict.summary, None, f"claim #{claim.duplicate_of_claim_id}")
    return None


def queue(session: Session, *, user: User, view: str = "pool", state: str = "", query: str = "",
          limit: int = 100, include_not_checkable: bool = False) -> list[Claim]:
    """Claims for the queue page: the unassigned pool, mine, review or all.

    The pool leaves out predictions and opinions (``Claim.checkable`` false)
    unless ``include_not_checkable``: nobody can rate them, but a checker may
    still want to see what was set aside.
    """
    statement = select(Claim)
    if view == "pool":
        statement = statement.where(Claim.state == State.NEW.value, Claim.assignee_id.is_(None))
        if not include_not_checkable:
            statement = statement.where(Claim.checkable)
    elif view == "mine":
        statement = statement.where(Claim.assignee_id == user.id,
                                    Claim.state.in_([State.IN_PROGRESS.value, State.IN_REVIEW.value]))
    elif view == "review":
        statement = statement.where(Claim.state.in_([State.IN_REVIEW.value, State.APPROVED.value]))
    if state:
        statement = statement.where(Claim.state == state)
    if query:
        like = f"%{query.strip()}%"
        statement = statement.where(or_(Claim.standalone_text.ilike(like), Claim.sentence.ilike(like),
                                        Claim.claimant.ilike(like)))
    statement = statement.order_by(Claim.priority.desc(), Claim.due_date.is_(None), Claim.due_date,
                                   Claim.checkworthiness.desc(), Claim.id).limit(limit)
    return list(session.exec(statement).all())


def queue_counts(session: Session, *, user: User) -> dict[str, int]:
    def count(*conditions) -> int:
        return session.exec(select(func.count(Claim.id)).where(and_(*conditions))).one()

    return {
        "pool": count(Claim.state == State.NEW.value, Claim.assignee_id.is_(None), Claim.checkable),
        "mine": count(Claim.assignee_id == user.id, Claim.state.in_([State.IN_PROGRESS.value, State.IN_REVIEW.value])),
        "review": count(Claim.state.in_([State.IN_REVIEW.value, State.APPROVED.value])),
    }


def article_of(session: Session, claim: Claim) -> Article | None:
    """The article a claim was found in (``None`` for a claim entered on its own)."""
    return session.get(Article, claim.article_id) if claim.article_id else None


@dataclass
class ClaimDetails:
    """Everything shown about one claim outside its page: what the API returns for it."""

    claim: Claim
    matches: list
    evidence: list[Evidence]
    verdict: Verdict | None
    duplicate_fact_check: FactCheck | None
    inherited: InheritedVerdict | None
    assignee_email: str | None
    checker_email: str | None
    #: evidence id -> its archived copy (URL evidence only)
    archives: dict = field(default_factory=dict)


def claim_details(session: Session, claim: Claim) -> ClaimDetails:
    def email(user_id: int | None) -> str | None:
        user = session.get(User, user_id) if user_id is not None else None
        return user.email if user else None

    return ClaimDetails(
        claim=claim,
        matches=match_views(session, claim.id),
        evidence=evidence_of(session, claim.id),
        verdict=latest_verdict(session, claim.id),
        duplicate_fact_check=(session.get(FactCheck, claim.duplicate_of_fact_check_id)
                              if claim.duplicate_of_fact_check_id else None),
        inherited=inherited_verdict(session, claim),
        assignee_email=email(claim.assignee_id),
        checker_email=email(claim.checker_id),
        archives=evidence_archive.views_of_claim(session, claim.id),
    )


def verdict_text_of_events(session: Session, claim_id: int) -> dict[int, VerdictRevision]:
    """For the claim's history: each ``verdict_saved`` event's id -> the full text that save stored."""
    by_revision = {r.revision: r for r in verdict_revisions(session, claim_id)}
    found: dict[int, VerdictRevision] = {}
    for event in session.exec(select(Event).where(Event.claim_id == claim_id, Event.action == "verdict_saved")).all():
        try:
            revision = json.loads(event.detail or "{}").get("revision")
        except ValueError:
            continue
        if revision in by_revision:
            found[event.id] = by_revision[revision]
    return found
