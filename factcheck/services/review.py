"""What a reviewer sees: the verdict as submitted, and what changed since the previous submission.

Every save of a verdict is kept (``VerdictRevision``, with its time), and every submission is an event,
so the text that was submitted at any point is the last revision saved before that submission.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from sqlmodel import Session, select

from factcheck.models import Event, VerdictRevision

FIELDS = (("rating", "Rating"), ("summary", "Summary"), ("explanation", "Explanation"))
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass
class FieldChange:
    name: str
    label: str
    changed: bool
    parts: list[tuple[str, str]]  # (op, text): op is "same", "del" or "ins"


@dataclass
class Submission:
    submitted: VerdictRevision
    submitted_at: object
    previous: VerdictRevision | None
    changes: list[FieldChange]


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
    submits = session.exec(select(Event.created_at).where(Event.claim_id == claim_id, Event.action == "submit")
                           .order_by(Event.id)).all()
    if not submits:
        return None
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
    return Submission(submitted, submits[-1], previous, changes)
