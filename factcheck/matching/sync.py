"""Keeping in-process indexes in step with the ``embedding`` table.

Every in-process structure (exact matrix, HNSW graph, BM25 postings) mirrors
the embedding rows of one (kind, model, variant). Rows are only ever added or
deleted (a re-embedded object gets a new row, ids are never reused: the table
is AUTOINCREMENT on SQLite and a sequence on PostgreSQL), and a trigger logs
each deletion in ``embeddingtombstone``. So "what changed since I last
looked" is two index range scans — rows above the highest embedding id we
hold, tombstones above the highest tombstone id we saw — however large the
table. Counting rows instead costs ~100 ms at a million.

The database is asked once per transaction, not once per search: ingesting an
article searches several times per claim, and request transactions are short,
so a row committed by another process is seen by the next unit of work.
"""
from __future__ import annotations

import hashlib
import json
import weakref
from dataclasses import dataclass

from sqlmodel import Session, select

from factcheck.models import Embedding, EmbeddingTombstone

_checked: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def once_per_transaction(session: Session, key: tuple) -> bool:
    """True the first time ``key`` is asked about in the session's current transaction."""
    session.connection()  # make sure a transaction has begun
    seen = _checked.setdefault(session.get_transaction(), set())
    if key in seen:
        return False
    seen.add(key)
    return True


def saved_name(key: tuple) -> str:
    """A file name stem for an index saved for ``key`` (database URL, kind, model, variant).

    Readable where it can be (kind, variant), unique by a digest of the whole key:
    the URL and model id may hold characters a file name cannot.
    """
    _, kind, _, variant = key
    return f"{kind}-{variant}-{hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]}"


@dataclass
class SyncPosition:
    """How far an in-process index has followed the table."""

    max_id: int = 0
    max_tombstone: int = 0


@dataclass(frozen=True)
class Changes:
    added: list  # rows (id, *columns), by increasing id
    removed: list[int]  # embedding ids the index may hold that are gone


def changes_since(session: Session, position: SyncPosition, *, kind: str, model_id: str, variant: str,
                  columns=(Embedding.object_id,), limit: int | None = None) -> Changes:
    """What changed after ``position``; advances ``position`` past it.

    With ``limit``, at most that many added rows are returned; deletions are
    only reported with the last batch, so call again until fewer come back.
    """
    statement = (select(Embedding.id, *columns)
                 .where(Embedding.kind == kind, Embedding.model_id == model_id, Embedding.variant == variant,
                        Embedding.id > position.max_id)
                 .order_by(Embedding.id))
    added = list(session.exec(statement.limit(limit) if limit else statement).all())
    if added:
        position.max_id = added[-1][0]
    if limit and len(added) == limit:
        return Changes(added, [])
    tombstones = session.exec(
        select(EmbeddingTombstone.id, EmbeddingTombstone.embedding_id)
        .where(EmbeddingTombstone.kind == kind, EmbeddingTombstone.model_id == model_id,
               EmbeddingTombstone.variant == variant, EmbeddingTombstone.id > position.max_tombstone)
        .order_by(EmbeddingTombstone.id)).all()
    if tombstones:
        position.max_tombstone = tombstones[-1][0]
    # Apply ``added`` first, then ``removed``: on PostgreSQL a row read above may have been deleted
    # before the tombstone query ran. Removing an id the index never held is a no-op.
    removed = [embedding_id for _, embedding_id in tombstones if embedding_id <= position.max_id]
    return Changes(added, removed)
