"""Optimistic concurrency: every editable record carries a version, and a write names the one it edits.

A client reads a record with its version (the API's ``version`` field and
``ETag``, a form's hidden field), and sends it back with its change
(``If-Match``, the form field). If someone saved the record in between, the
write is refused with ``StaleWrite`` (409) naming who changed it and when, and
nothing is written. A write that names no version is accepted as before (API
clients written before versions existed), but the server still never
interleaves two writes: each one raises the version with a conditional UPDATE
(``claim_version``), which matches no row if another write got there first.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from factcheck.domain.errors import StaleWrite, ValidationFailed


def parse_version(raw, *, field: str = "version") -> int | None:
    """A version named by a client: a whole number, as JSON, a form field or an ETag (``"3"``, ``W/"3"``).

    ``None``, ``""`` and ``*`` name no version. Anything else that is not a
    version is refused, so a typo never silently turns the check off.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValidationFailed(f"Invalid input: {field} must be a whole number.", {field: "must be a whole number"})
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if text in ("", "*"):
            return None
        if text.startswith("W/"):
            text = text[2:]
        text = text.strip('"')
        if not text.isdigit() or len(text) > 9:
            raise ValidationFailed(f"Invalid input: {field} must be a version this app gave out, e.g. 3.",
                                   {field: "must be a version number"})
        value = int(text)
    if not 0 <= value < 10**9:
        raise ValidationFailed(f"Invalid input: {field} must be a version this app gave out, e.g. 3.",
                               {field: "must be a version number"})
    return value


def etag(version: int) -> str:
    return f'"{version}"'


def describe_change(who: str | None, when: datetime | None) -> str:
    by = f" by {who}" if who else ""
    at = f" at {when:%Y-%m-%d %H:%M} UTC" if when is not None else ""
    return f"{by}{at}"


def stale(*, kind: str, label: str, current_version: int, expected: int | None, changed_by,
          changed_at: datetime | None, current=None) -> StaleWrite:
    """The error for a write that named ``expected`` while the record is at ``current_version``.

    ``changed_by`` is the user who changed it last (a ``User``), a description
    (e.g. the matcher), or ``None`` when unknown.
    """
    email = getattr(changed_by, "email", None)
    who = changed_by
    if email is not None:
        changed_by = changed_by.name or email
        who = f"{changed_by} ({email})" if changed_by != email else email
    return StaleWrite(
        f"The {label} was changed{describe_change(who, changed_at)} (now version {current_version}; you "
        f"edited version {expected}). Nothing was saved: compare both versions and save again.",
        kind=kind, current_version=current_version, changed_by=changed_by, changed_at=changed_at,
        current=current, expected_version=expected, changed_by_email=email)


def check(expected: int | None, current_version: int, make_error) -> None:
    """Refuse the write (``make_error()`` is raised) when it names a version other than the current one."""
    if expected is not None and expected != current_version:
        raise make_error()


def claim_version(session: Session, model, *, row_id: int, seen: int, column: str = "version") -> bool:
    """Raise the row's version from ``seen`` to ``seen + 1`` if nobody did since it was read.

    A conditional UPDATE, the first write of the change: on PostgreSQL it also
    locks the row, so a concurrent writer waits and then matches nothing. Returns
    whether this write won; the caller sets the same value on its object.
    """
    attribute = getattr(model, column)
    won = session.execute(
        update(model).where(model.id == row_id, attribute == seen).values({column: seen + 1})
        .execution_options(synchronize_session=False)
    ).rowcount
    return won == 1
