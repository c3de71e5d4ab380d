"""Nearest-neighbour search over stored embeddings, one interface per backend.

* ``ExactIndex`` (embedded default, SQLite): vectors cached in process memory as
  one float32 matrix and searched exactly with a matrix product. The cache is
  refreshed incrementally before each search, so a fact-check added by another
  process is found without a restart.
* ``PgVectorIndex`` (PostgreSQL): pgvector's cosine distance in SQL.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, text
from sqlmodel import Session, select

from factcheck.models import Embedding


@dataclass(frozen=True)
class Hit:
    object_id: int
    score: float


class ExactIndex:
    """Exact cosine search over normalised vectors held in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple, _Matrix] = {}
        self._checked: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def search(self, session: Session, *, kind: str, model_id: str, variant: str,
               query: np.ndarray, k: int, min_score: float = -1.0) -> list[Hit]:
        matrix = self._refreshed(session, kind, model_id, variant)
        if matrix.ids.size == 0 or k <= 0:
            return []
        scores = matrix.vectors @ np.asarray(query, dtype=np.float32)
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [Hit(int(matrix.ids[i]), float(scores[i])) for i in top if scores[i] >= min_score]

    def _refreshed(self, session: Session, kind: str, model_id: str, variant: str) -> "_Matrix":
        key = (str(session.get_bind().url), kind, model_id, variant)
        # Check the database for new vectors once per transaction, not once per
        # search: ingesting an article searches twice per claim, and request
        # transactions are short, so a vector committed elsewhere during one
        # is picked up by the next.
        session.connection()  # make sure a transaction has begun
        transaction = session.get_transaction()
        checked = self._checked.setdefault(transaction, set())
        if key in checked and key in self._cache:
            return self._cache[key]
        checked.add(key)
        where = (Embedding.kind == kind, Embedding.model_id == model_id, Embedding.variant == variant)
        count, max_id = session.exec(select(func.count(Embedding.id), func.max(Embedding.id)).where(*where)).one()
        max_id = max_id or 0
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and (cached.count, cached.max_id) == (count, max_id):
                return cached
            rows_after = cached.max_id if cached is not None else 0
            rows = session.exec(
                select(Embedding.id, Embedding.object_id, Embedding.vector)
                .where(*where, Embedding.id > rows_after)
                .order_by(Embedding.id)
            ).all()
            if cached is not None and cached.count + len(rows) == count:
                # Only additions since the last look: append them.
                matrix = cached.extended(rows, max_id)
            else:
                # Rows were deleted or replaced: reload everything.
                rows = session.exec(
                    select(Embedding.id, Embedding.object_id, Embedding.vector).where(*where).order_by(Embedding.id)
                ).all()
                matrix = _Matrix.empty().extended(rows, max_id)
            self._cache[key] = matrix
            return matrix

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


@dataclass
class _Matrix:
    ids: np.ndarray
    vectors: np.ndarray
    count: int = 0
    max_id: int = 0
    _dim: int = field(default=0)

    @classmethod
    def empty(cls) -> "_Matrix":
        return cls(ids=np.zeros(0, dtype=np.int64), vectors=np.zeros((0, 0), dtype=np.float32))

    def extended(self, rows, max_id: int) -> "_Matrix":
        if not rows:
            return _Matrix(self.ids, self.vectors, self.count, max_id)
        new_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        new_vectors = np.stack([np.asarray(r[2], dtype=np.float32) for r in rows])
        if self.vectors.size:
            vectors = np.concatenate([self.vectors, new_vectors])
            ids = np.concatenate([self.ids, new_ids])
        else:
            vectors, ids = new_vectors, new_ids
        return _Matrix(ids, np.ascontiguousarray(vectors), self.count + len(rows), max_id)


class PgVectorIndex:
    """Cosine search inside PostgreSQL with pgvector."""

    def search(self, session: Session, *, kind: str, model_id: str, variant: str,
               query: np.ndarray, k: int, min_score: float = -1.0) -> list[Hit]:
        literal = "[" + ",".join(f"{x:.7g}" for x in np.asarray(query, dtype=np.float32)) + "]"
        rows = session.execute(
            text(
                "SELECT object_id, 1 - (vector <=> CAST(:q AS vector)) AS score FROM embedding "
                "WHERE kind = :kind AND model_id = :model AND variant = :variant "
                "ORDER BY vector <=> CAST(:q AS vector) LIMIT :k"
            ),
            {"q": literal, "kind": kind, "model": model_id,
             "variant": variant, "k": k},
        ).all()
        return [Hit(int(r[0]), float(r[1])) for r in rows if r[1] >= min_score]

    def clear(self) -> None:
        pass


_exact = ExactIndex()
_pg = PgVectorIndex()


def index_for(session: Session):
    """The index backend for the session's database."""
    return _pg if session.get_bind().dialect.name == "postgresql" else _exact
