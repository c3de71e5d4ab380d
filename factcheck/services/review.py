"""What a reviewer sees: the verdict as submitted, and what changed since the previous submission.

Every save of a verdict is kept (``VerdictRevision``, with its time), and every submission is an event,
so the text that was submitted at any point is the last revision saved before that submission.
Evidence is rebuilt the same way from the log: replaying the ``evidence_added`` / ``_edited`` /
``_removed`` events up to each submission gives the evidence it went with.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

from sqlmodel import Session, select

from factcheck.models import Event, Evidence, VerdictRevision

FIELDS = (("rating", "Rating"), ("summary", "Summary"), ("explanation", "Explanation"))
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass
class FieldChange:
    name: str
    label: str
    changed: bool
    parts: list[tuple[str, str]]  # (op, text): op is "same", "del" or "ins"


@dataclass(frozen=True)
class EvidenceChange:
    """One piece of evidence that differs between two submissions."""

    kind: str  # added | removed | stance | edited
    evidence_id: int
    url: str | None
    passage_id: int | None
    quote: str
    stance: str  # as submitted now (for "removed": as it was)
    before_stance: str | None = None  # for "stance": as it was
    fields: tuple[str, ...] = ()  # for "edited": which of quote and note changed


@dataclass
class Submission:
    submitted: VerdictRevision
    submitted_at: object
    previous: VerdictRevision | None
    changes: list[FieldChange]
    #: True from the second submission on: then ``evidence_changes`` is meaningful (empty = unchanged)
    resubmitted: bool = False
    evidence_changes: list[EvidenceChange] = field(default_factory=list)


def _as_of(revisions: list[VerdictRevision], moment) -> VerdictRevision | None:
    chosen = None
    for revision in revisions:  # oldest first
        if _naive(revision.created_at) <= _naive(moment):
            chosen = revision
    return chosen


def _naive(value):
    # SQLite gives naive UTC timestamps back, PostgreSQL aware ones: compare them as naive UTC.
    return value.replace(tzinfo=None) if getattr(value, "tzinfo", None) else value


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Word-level differences, as runs of unchanged, removed and added text."""
    a, b = _TOKENS.findall(before or ""), _TOKENS.findall(after or "")
    parts: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(("ins", "".join(b[j1:j2])))
    return parts


def submission(session: Session, claim_id: int) -> Submission | None:
    """The last submitted verdict and its differences from the one submitted before it (None if never submitted)."""
    submit_events = session.exec(select(Event.id, Event.created_at)
                                 .where(Event.claim_id == claim_id, Event.action == "submit").order_by(Event.id)).all()
    if not submit_events:
        return None
    submits = [row.created_at for row in submit_events]
    revisions = list(session.exec(select(VerdictRevision).where(VerdictRevision.claim_id == claim_id)
                                  .order_by(VerdictRevision.revision)).all())
    submitted = _as_of(revisions, submits[-1])
    if submitted is None:
        return None
    previous = _as_of(revisions, submits[-2]) if len(submits) > 1 else None
    changes = []
    for name, label in FIELDS:
        after = getattr(submitted, name)
        before = getattr(previous, name) if previous is not None else after
        changes.append(FieldChange(name, label, before != after,
                                   word_diff(before, after) if before != after else [("same", after)]))
    evidence_changes = (evidence_changes_between(session, claim_id, submit_events[-2].id, submit_events[-1].id)
                        if len(submit_events) > 1 else [])
    return Submission(submitted, submits[-1], previous, changes, resubmitted=len(submit_events) > 1,
                      evidence_changes=evidence_changes)


EVIDENCE_EVENTS = ("evidence_added", "evidence_edited", "evidence_removed")
_COMPARED = ("quote", "note")


def evidence_as_of(events: list[Event], before_event_id: int, current: dict[int, Evidence]) -> dict[int, dict]:
    """evidence id -> what it was (stance, quote, note, url, passage) just before event ``before_event_id``.

    Events logged before their details were (stance only on "added") borrow the rest from the
    evidence row when it still exists: only the label and quote of such an entry can be off, never
    whether it was there or which way it pointed.
    """
    state: dict[int, dict] = {}
    for event in events:  # in id order
        if event.id >= before_event_id:
            break
        detail = json.loads(event.detail) if event.detail else {}
        evidence_id = detail.get("evidence_id")
        if evidence_id is None:
            continue
        if event.action == "evidence_added":
            row = current.get(evidence_id)
            state[evidence_id] = {
                "stance": detail.get("stance") or (row.stance if row else ""),
                "url": detail.get("url", row.url if row else None),
                "passage_id": detail.get("passage_id", row.passage_id if row else None),
                "quote": detail.get("quote", row.quote if row else ""),
                "note": detail.get("note", ""),
            }
        elif event.action == "evidence_edited" and evidence_id in state:
            for name, (_before, after) in (detail.get("changes") or {}).items():
                state[evidence_id][name] = after
        elif event.action == "evidence_removed":
            state.pop(evidence_id, None)
    return state


def evidence_changes_between(session: Session, claim_id: int, earlier_event_id: int,
                             later_event_id: int) -> list[EvidenceChange]:
    """Evidence added, removed, turned round (stance) or edited between two events of the claim's log."""
    events = list(session.exec(select(Event).where(Event.claim_id == claim_id, Event.action.in_(EVIDENCE_EVENTS))
                               .order_by(Event.id)).all())
    current = {e.id: e for e in session.exec(select(Evidence).where(Evidence.claim_id == claim_id)).all()}
    before = evidence_as_of(events, earlier_event_id, current)
    after = evidence_as_of(events, later_event_id, current)
    changes = []
    for evidence_id in sorted(set(before) | set(after)):
        old, new = before.get(evidence_id), after.get(evidence_id)
        shown = new or old
        common = dict(evidence_id=evidence_id, url=shown["url"], passage_id=shown["passage_id"],
                      quote=shown["quote"], stance=shown["stance"])
        if old is None:
            changes.append(EvidenceChange("added", **common))
        elif new is None:
            changes.append(EvidenceChange("removed", **common))
        else:
            if old["stance"] != new["stance"]:
                changes.append(EvidenceChange("stance", before_stance=old["stance"], **common))
            edited = tuple(name for name in _COMPARED if old.get(name) != new.get(name))
            if edited:
                changes.append(EvidenceChange("edited", fields=edited, **common))
    return changes
