"""Append entries to the audit log."""
from __future__ import annotations

import json

from sqlmodel import Session

from factcheck.models import Event


def record(session: Session, *, action: str, claim_id: int | None = None, actor_id: int | None = None,
           from_state: str | None = None, to_state: str | None = None, **detail) -> Event:
    """Add an event to the session (committed with the change it describes)."""
    event = Event(
        claim_id=claim_id,
        actor_id=actor_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        detail=json.dumps(detail, default=str, sort_keys=True) if detail else "",
    )
    session.add(event)
    return event
