"""Nearest-neighbour search over stored embeddings, one interface for every backend.

* ``ExactIndex``: vectors cached in process memory as one float32 matrix and
  searched exactly with a matrix product. Exact and simplest; its cost grows
  linearly (~3 ms at 100k vectors, ~35 ms at 1M on an idle machine).
* ``HnswIndex``: an HNSW graph (usearch) in process memory, persisted under
  the instance folder so a restart does not rebuild it; over the vectors'
  principal components, its candidates re-scored exactly (see
  ``IndexOptions.hnsw_reduce_dim``); ``bench/vector_index.py`` measures it.
* ``EmbeddedIndex`` (SQLite): exact up to ``IndexOptions.exact_max`` vectors
  of a (kind, model, variant), HNSW above.
* ``PgVectorIndex`` (PostgreSQL): pgvector in SQL, through a partial HNSW
  expression index per (kind, model, variant) once ``ensure_hnsw`` made it;
  past ``REDUCE_MIN_ROWS`` vectors that index walks the vectors' principal
  components (``embedding.reduced``) and its candidates are re-scored exactly.

The in-process indexes follow the ``embedding`` table once per transaction
(``factcheck.matching.sync``), so a fact-check added by another process is
found by the next claim without a restart.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import func, text
from sqlmodel import Session, select

from factcheck.matching.embedder import cpu_has_bf16
from factcheck.matching.sync import SyncPosition, changes_since, once_per_transaction, saved_name
from factcheck.models import UNREDUCED_PREDICATE, Embedding, VectorProjection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    object_id: int
    score: float


@dataclass(frozen=True)
class IndexOptions:
    """Tuning of the vector indexes; read from ``FACTCHECK_INDEX_*`` environment variables.

    Measured by ``bench/vector_index.py`` on 2 cores (see the README): at a million vectors the
    embedded graph builds in 117 s on 2 otherwise quiet cores (223 s of CPU; M 24 / efC 96 took 259 s,
    494 s of CPU) for recall@10 0.970 at p50 ~2.5 ms. The hybrid search re-ranks the dense leg's top 50,
    so the app needs the best matches somewhere in that list, not in exact order.
    """

    # Above this many vectors of a library, the embedded default uses HNSW: exact search costs ~3 ms
    # per 100k vectors when the machine is idle (10x more under load), HNSW stays under ~1 ms.
    exact_max: int = 20_000
    # The embedded graph (usearch). An insert searches for efC candidates and links the new node to the
    # best of them; a neighbour whose list (2 x M at the base level) is full re-prunes it, which is what
    # makes inserts expensive. A low efC with a roomy M makes few candidates and few re-prunings, and a
    # wider search makes up the rest for about a millisecond. At a million vectors (int8, 128 components,
    # top 100 re-ranked; wall on 2 quiet cores / CPU): M 24 / efC 96 259 s / 494 s, recall 0.975 at
    # ef 256 (2.4 ms); M 32 / efC 48 117 s / 223 s, 0.970 at ef 384 (2.5 ms), 0.977 at 512 (3.1 ms);
    # M 32 / efC 32 87 s / 160 s but 0.950 at 384 and 0.965 at 512 (2.9 ms); M 48 / efC 32 151 s /
    # 287 s, 0.977 at 256 (3.0 ms). The dimension hardly matters to the build (64 components: -12% CPU).
    hnsw_m: int = 32
    hnsw_ef_construction: int = 48
    hnsw_ef_search: int = 384
    # pgvector's graph: its build is single-threaded per index and far slower than usearch's
    # (~14 min at 1M with m 16, efC 128, plus filling ``reduced``), so it keeps the cheaper construction.
    pg_m: int = 16
    pg_ef_construction: int = 128
    pg_ef_search: int = 100
    # The graph stores vectors in bfloat16 where the CPU computes it natively: half the memory, ~1.6x
    # faster builds and ~1.4x faster searches at the same recall; its scores are then good to ~0.005
    # (the hybrid re-ranker recomputes exact cosines for its candidates anyway). Full-dimension graphs only.
    hnsw_dtype: str = field(default_factory=lambda: "bf16" if cpu_has_bf16() else "f32")
    # The graph is built over the vectors' first ``hnsw_reduce_dim`` principal components (fitted on the
    # first batch of at least ``REDUCE_MIN_ROWS`` vectors), and its ``hnsw_rerank`` best candidates are
    # re-scored exactly with the full vectors, kept in float16 beside it. At a million 384-d vectors a
    # query walks a few thousand graph nodes and memory traffic dominates: a third of the dimensions
    # makes that walk ~3x cheaper, and the exact re-rank restores the ranking (and exact scores).
    # On real MiniLM embeddings, 128 components with 100 candidates keep recall@10 at 0.99 (exact search
    # in the reduced space). 0 turns it off. PostgreSQL does the same (``PgVectorIndex``).
    hnsw_reduce_dim: int = 128
    hnsw_rerank: int = 100
    # The reduced graph stores its coordinates as int8 (scaled so the fitting batch fills [-1, 1]): a
    # quarter of float32's memory traffic per visited node, ~1.4x faster than bfloat16 at the same recall
    # at 1M vectors; the exact re-rank makes its coarseness invisible in the scores.
    hnsw_reduced_dtype: str = "i8"
    # How pgvector's graph over principal components stores them: ``vector`` (float32, any pgvector) or
    # ``halfvec`` (float16, pgvector 0.7+; on an older server ``vector`` is used): half the index size.
    # The exact re-rank keeps scores exact either way. See ``bench/vector_index.py --pg-server embedded``.
    pg_storage: str = "vector"
    folder: str = ""  # where HNSW graphs are persisted ("" = not persisted)

    @classmethod
    def from_env(cls, instance_path: str = "", environ=None) -> "IndexOptions":
        environ = os.environ if environ is None else environ
        values = {name: int(environ[f"FACTCHECK_INDEX_{name.upper()}"])
                  for name in ("exact_max", "hnsw_m", "hnsw_ef_construction", "hnsw_ef_search", "pg_m",
                               "pg_ef_construction", "pg_ef_search", "hnsw_reduce_dim", "hnsw_rerank")
                  if f"FACTCHECK_INDEX_{name.upper()}" in environ}
        if "FACTCHECK_INDEX_HNSW_REDUCED_DTYPE" in environ:
            values["hnsw_reduced_dtype"] = environ["FACTCHECK_INDEX_HNSW_REDUCED_DTYPE"]
        if "FACTCHECK_INDEX_PG_STORAGE" in environ:
            values["pg_storage"] = environ["FACTCHECK_INDEX_PG_STORAGE"]
            if values["pg_storage"] not in ("vector", "halfvec"):
                raise ValueError("FACTCHECK_INDEX_PG_STORAGE must be vector or halfvec")
        folder = str(Path(instance_path) / "vector-index") if instance_path else ""
        return cls(folder=folder, **values)


#: A library needs this many vectors before its index is built on principal components: fewer
#: would give a poor fit, and exact search or a full-dimension graph is fast at that size anyway.
REDUCE_MIN_ROWS = 2_000
#: Principal components are fitted on at most this many vectors (plenty for 384 dimensions).
PROJECTION_SAMPLE = 20_000


def fit_projection(vectors: np.ndarray, reduce_to: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the first ``reduce_to`` principal axes, as a (dim, reduce_to) matrix, of a batch.

    At most ``PROJECTION_SAMPLE`` rows are used (the batch's first ones).
    """
    vectors = np.asarray(vectors[:PROJECTION_SAMPLE], dtype=np.float32)
    mean = vectors.mean(axis=0, dtype=np.float64).astype(np.float32)
    # The principal axes are the eigenvectors of the (dim, dim) covariance: an SVD of the whole centred
    # batch computed its (rows, dim) left factor as well, 5 s for 20,000 rows on a busy 2-core machine
    # (18 s for 50,000) against ~0.1 s for this. The product is summed in float64 for a clean spectrum.
    centred = (vectors - mean).astype(np.float64)
    _, axes = np.linalg.eigh(centred.T @ centred)  # eigenvalues ascending
    return mean, np.ascontiguousarray(axes[:, ::-1][:, :reduce_to], dtype=np.float32)


def _top(ids: np.ndarray, scores: np.ndarray, k: int, min_score: float) -> list[Hit]:
    k = min(k, scores.size)
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [Hit(int(ids[i]), float(scores[i])) for i in top if scores[i] >= min_score]


def _key(session: Session, kind: str, model_id: str, variant: str) -> tuple:
    return (str(session.get_bind().url), kind, model_id, variant)


class ExactIndex:
    """Exact cosine search over normalised vectors held in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple, tuple[_Matrix, SyncPosition]] = {}

    def search(self, session: Session, *, kind: str, model_id: str, variant: str,
               query: np.ndarray, k: int, min_score: float = -1.0) -> list[Hit]:
        matrix = self.refreshed(session, kind=kind, model_id=model_id, variant=variant)
        if matrix.ids.size == 0 or k <= 0:
            return []
        scores = matrix.vectors @ np.asarray(query, dtype=np.float32)
        return _top(matrix.object_ids, scores, k, min_score)

    def search_many(self, session: Session, *, kind: str, model_id: str, variant: str,
                    queries: np.ndarray, k: int, min_score: float = -1.0) -> list[list[Hit]]:
        """``search`` for each row of ``queries``, with one matrix product for all of them."""
        matrix = self.refreshed(session, kind=kind, model_id=model_id, variant=variant)
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if matrix.ids.size == 0 or k <= 0:
            return [[] for _ in queries]
        scores = queries @ matrix.vectors.T
        return [_top(matrix.object_ids, row, k, min_score) for row in scores]

    def refreshed(self, session: Session, *, kind: str, model_id: str, variant: str) -> "_Matrix":
        """The matrix of this (kind, model, variant), brought up to date once per transaction."""
        key = _key(session, kind, model_id, variant)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and not once_per_transaction(session, (id(self),) + key):
                return cached[0]
            matrix, position = cached or (_Matrix.empty(), SyncPosition())
            changes = changes_since(session, position, kind=kind, model_id=model_id, variant=variant,
                                    columns=(Embedding.object_id, Embedding.vector))
            matrix = matrix.extended(changes.added).without(changes.removed)
            self._cache[key] = (matrix, position)
            return matrix

    def forget(self, session: Session, *, kind: str, model_id: str, variant: str) -> None:
        with self._lock:
            self._cache.pop(_key(session, kind, model_id, variant), None)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


@dataclass
class _Matrix:
    ids: np.ndarray  # embedding ids, increasing
    object_ids: np.ndarray
    vectors: np.ndarray

    @classmethod
    def empty(cls) -> "_Matrix":
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32))

    def without(self, removed: list[int]) -> "_Matrix":
        if not removed:
            return self
        keep = ~np.isin(self.ids, removed)
        if keep.all():
            return self
        return _Matrix(self.ids[keep], self.object_ids[keep], np.ascontiguousarray(self.vectors[keep]))

    def extended(self, rows) -> "_Matrix":
        if not rows:
            return self
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        object_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.stack([np.asarray(r[2], dtype=np.float32) for r in rows])
        if self.vectors.size:
            vectors = np.concatenate([self.vectors, vectors])
        return _Matrix(np.concatenate([self.ids, ids]), np.concatenate([self.object_ids, object_ids]),
                       np.ascontiguousarray(vectors))


class HnswIndex:
    """Approximate cosine search with a usearch HNSW graph, kept in step with the table.

    Graph keys are embedding ids; an array indexed by embedding id maps them to
    object ids. Added rows are inserted into the graph and deleted ones removed,
    so the graph is built once and then maintained incrementally. With
    ``options.folder`` set, the graph and its key map are saved there
    (atomically, by rename) after a rebuild and after every ``SAVE_EVERY``
    changes, and the next process loads them and catches up from the table
    instead of rebuilding.
    """

    SAVE_EVERY = 10_000

    def __init__(self, options: IndexOptions | None = None) -> None:
        self.options = options or IndexOptions()
        self._lock = threading.Lock()
        self._graphs: dict[tuple, _Graph] = {}

    def search(self, session: Session, *, kind: str, model_id: str, variant: str,
               query: np.ndarray, k: int, min_score: float = -1.0) -> list[Hit]:
        graph = self.refreshed(session, kind=kind, model_id=model_id, variant=variant)
        if not len(graph) or k <= 0:
            return []
        keys, scores = graph.search(np.asarray(query, dtype=np.float32), k, self.options.hnsw_ef_search)
        return [Hit(int(graph.object_ids[key]), float(score)) for key, score in zip(keys, scores)
                if score >= min_score]

    def search_many(self, session: Session, *, kind: str, model_id: str, variant: str,
                    queries: np.ndarray, k: int, min_score: float = -1.0) -> list[list[Hit]]:
        """``search`` for each row of ``queries``: one batched graph search (usearch spreads it over the cores)."""
        graph = self.refreshed(session, kind=kind, model_id=model_id, variant=variant)
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if not len(graph) or k <= 0:
            return [[] for _ in queries]
        return [[Hit(int(graph.object_ids[key]), float(score)) for key, score in zip(keys, scores)
                 if score >= min_score]
                for keys, scores in graph.search_many(queries, k, self.options.hnsw_ef_search)]

    def has_saved(self, session: Session, *, kind: str, model_id: str, variant: str) -> bool:
        path = self._path(_key(session, kind, model_id, variant))
        return path is not None and Path(str(path) + ".usearch").exists()

    def rebuild(self, session: Session, *, kind: str, model_id: str, variant: str, progress=None) -> int:
        """Build the graph from scratch (and save it); returns the number of vectors.

        The new graph is built without holding the index's lock: searches (and the
        ingest that runs them) go on with the current graph meanwhile, and the new
        one replaces it once built, after catching up with rows added during the build.
        """
        key = _key(session, kind, model_id, variant)
        graph = self._follow(session, key, _Graph(self.options), progress=progress, install=False)
        if not (session.new or session.dirty or session.deleted):
            session.rollback()  # a new transaction sees the rows written during the build
        with self._lock:
            graph = self._follow(session, key, graph)
            self._save(key, graph)
            return len(graph)

    def refreshed(self, session: Session, *, kind: str, model_id: str, variant: str) -> "_Graph":
        """The graph of this (kind, model, variant), brought up to date once per transaction."""
        key = _key(session, kind, model_id, variant)
        with self._lock:
            graph = self._graphs.get(key)
            if graph is not None and not once_per_transaction(session, (id(self),) + key):
                return graph
            graph = self._follow(session, key, graph or self._load(key) or _Graph(self.options))
            if graph.unsaved >= self.SAVE_EVERY:
                self._save(key, graph)
            return graph

    def _follow(self, session: Session, key: tuple, graph: "_Graph", progress=None, batch: int = 20_000,
                install: bool = True):
        """Apply the table's changes to the graph, in batches (a first build reads every row);
        ``install`` makes it the graph searches use (the caller then holds the lock)."""
        _, kind, model_id, variant = key
        while True:
            before = graph.position.max_id
            start = time.perf_counter()
            changes = changes_since(session, graph.position, kind=kind, model_id=model_id, variant=variant,
                                    columns=(Embedding.object_id, Embedding.vector), limit=batch)
            graph.timed("read", start)
            graph.add(changes.added)
            graph.remove(changes.removed)
            if progress is not None and changes.added:
                progress(len(changes.added))
            if len(changes.added) < batch or graph.position.max_id == before:
                break
        if install:
            self._graphs[key] = graph
        return graph

    def _path(self, key: tuple) -> Path | None:
        if not self.options.folder:
            return None
        return Path(self.options.folder) / saved_name(key)

    def _save(self, key: tuple, graph: "_Graph") -> None:
        base = self._path(key)
        if base is None:
            return
        base.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        tmp = f".tmp-{os.getpid()}-{threading.get_ident()}"
        graph.index.save(f"{base}.usearch{tmp}")
        with open(f"{base}.npz{tmp}", "wb") as f:
            reduced = graph.projection is not None
            np.savez(f, object_ids=graph.object_ids, size=len(graph),
                     position=[graph.position.max_id, graph.position.max_tombstone],
                     projection=graph.projection if reduced else np.zeros((0, 0), dtype=np.float32),
                     mean=graph.mean if reduced else np.zeros(0, dtype=np.float32),
                     scale=graph.scale,
                     full=graph.full if reduced else np.zeros((0, 0), dtype=np.float16))
        # Both files carry the size; _load only trusts a pair that agrees.
        os.replace(f"{base}.npz{tmp}", f"{base}.npz")
        os.replace(f"{base}.usearch{tmp}", f"{base}.usearch")
        graph.unsaved = 0
        graph.timed("save", start)

    def _load(self, key: tuple) -> "_Graph | None":
        base = self._path(key)
        if base is None or not Path(f"{base}.usearch").exists():
            return None
        try:
            from usearch.index import Index

            index = Index.restore(f"{base}.usearch")
            saved = np.load(f"{base}.npz")
            if index is None or int(saved["size"]) != len(index):
                raise ValueError("the graph and its key map do not belong together")
            index.expansion_search = self.options.hnsw_ef_search
            max_id, max_tombstone = (int(v) for v in saved["position"])
            graph = _Graph(self.options, index, saved["object_ids"], SyncPosition(max_id, max_tombstone))
            if "projection" in saved.files and saved["projection"].size:
                graph.projection, graph.mean, graph.full = saved["projection"], saved["mean"], saved["full"]
                # Graphs saved before int8 coordinates were stored unscaled.
                graph.scale = float(saved["scale"]) if "scale" in saved.files else 1.0
            return graph
        except Exception as exc:  # noqa: BLE001 - a damaged file is rebuilt, never fatal
            log.warning("Ignoring the saved vector index %s (%s); it will be rebuilt.", base, exc)
            return None

    def clear(self) -> None:
        with self._lock:
            self._graphs.clear()


class _Graph:
    """A usearch graph, its embedding id -> object id map, and how far it follows the table.

    With ``options.hnsw_reduce_dim`` set (and vectors wider than that), the
    graph holds the vectors projected on their first principal components,
    and ``full`` keeps every vector (float16, by embedding id) for the exact
    re-rank of the graph's candidates. The projection is fitted once, on the
    first batch of at least ``REDUCE_MIN_ROWS`` vectors; later vectors are
    projected with it (``rebuild-index`` fits it afresh). Reduced coordinates are
    multiplied by ``scale`` (and, for an int8 graph, clipped to [-1, 1]): a uniform
    scale keeps the Euclidean ranking and lets int8 use its whole range.
    """

    def __init__(self, options: IndexOptions, index=None, object_ids=None, position: SyncPosition | None = None):
        self.options = options
        self.index = index
        self.object_ids = object_ids if object_ids is not None else np.zeros(0, dtype=np.int64)
        self.position = position or SyncPosition()
        self.unsaved = 0
        self.projection: np.ndarray | None = None  # (dim, reduced)
        self.mean: np.ndarray | None = None
        self.full: np.ndarray | None = None  # (max id + 1, dim) float16
        self.scale = 1.0
        # Wall seconds spent per phase of building/following (read, decode, fit, project, insert):
        # ``bench/vector_index.py`` prints them, so a slow build says where its time went.
        self.seconds: dict[str, float] = {}

    def timed(self, phase: str, start: float) -> None:
        """Add the time since ``start`` (``time.perf_counter()``) to ``phase``."""
        self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - start

    def __len__(self) -> int:
        return len(self.index) if self.index is not None else 0

    def search(self, query: np.ndarray, k: int, ef: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest embedding ids and their cosine scores, best first."""
        k = min(k, len(self))
        if self.projection is None:
            self.index.expansion_search = max(ef, k)
            found = self.index.search(query, k)
            return np.asarray(found.keys, dtype=np.int64), 1.0 - np.asarray(found.distances, dtype=np.float32)
        pool = min(max(self.options.hnsw_rerank, k), len(self))
        self.index.expansion_search = max(ef, pool)
        found = self.index.search(self._reduced(query), pool)
        keys = np.asarray(found.keys, dtype=np.int64)
        scores = self.full[keys].astype(np.float32) @ query
        order = np.argsort(-scores, kind="stable")[:k]
        return keys[order], scores[order]

    def search_many(self, queries: np.ndarray, k: int, ef: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """``search`` for each row of ``queries`` (the same results, one batched graph search)."""
        k = min(k, len(self))
        if self.projection is None:
            self.index.expansion_search = max(ef, k)
            return [(keys, 1.0 - distances) for keys, distances in self._batch_search(queries, k)]
        pool = min(max(self.options.hnsw_rerank, k), len(self))
        self.index.expansion_search = max(ef, pool)
        results = []
        for query, (keys, _) in zip(queries, self._batch_search(self._reduced(queries), pool)):
            scores = self.full[keys].astype(np.float32) @ query
            order = np.argsort(-scores, kind="stable")[:k]
            results.append((keys[order], scores[order]))
        return results

    def _batch_search(self, queries: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """usearch's batch search as (keys, distances) per query (it answers one query as a single match list)."""
        found = self.index.search(queries, k)
        if len(queries) == 1:
            return [(np.asarray(found.keys, dtype=np.int64), np.asarray(found.distances, dtype=np.float32))]
        return [(np.asarray(found.keys[i][:found.counts[i]], dtype=np.int64),
                 np.asarray(found.distances[i][:found.counts[i]], dtype=np.float32)) for i in range(len(queries))]

    def add(self, rows) -> None:
        if not rows:
            return
        start = time.perf_counter()
        vectors = np.stack([np.asarray(r[2], dtype=np.float32) for r in rows])
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        object_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        self.timed("decode", start)
        if self.index is None:
            from usearch.index import Index

            reduce_to = self.options.hnsw_reduce_dim
            if 0 < reduce_to < vectors.shape[1] and len(vectors) >= REDUCE_MIN_ROWS:
                start = time.perf_counter()
                self.mean, self.projection = fit_projection(vectors, reduce_to)
                self.full = np.zeros((0, vectors.shape[1]), dtype=np.float16)
                if self.options.hnsw_reduced_dtype == "i8":
                    # usearch maps [-1, 1] onto int8; later vectors beyond the batch's range are clipped.
                    self.scale = float(1.0 / np.abs((vectors - self.mean) @ self.projection).max())
                self.timed("fit", start)
            # In the reduced space the graph ranks by Euclidean distance, which the projection preserves
            # within the kept components; for unit vectors it orders like cosine.
            self.index = Index(ndim=self.projection.shape[1] if self.projection is not None else vectors.shape[1],
                               metric="l2sq" if self.projection is not None else "cos",
                               dtype=self.options.hnsw_reduced_dtype if self.projection is not None
                               else self.options.hnsw_dtype, connectivity=self.options.hnsw_m,
                               expansion_add=self.options.hnsw_ef_construction,
                               expansion_search=self.options.hnsw_ef_search)
        start = time.perf_counter()
        if ids[-1] >= self.object_ids.size:
            grown = np.zeros(max(int(ids[-1]) + 1, 2 * self.object_ids.size), dtype=np.int64)
            grown[:self.object_ids.size] = self.object_ids
            self.object_ids = grown
        self.object_ids[ids] = object_ids
        if self.projection is not None:
            if ids[-1] >= len(self.full):
                grown = np.zeros((max(int(ids[-1]) + 1, 2 * len(self.full)), self.full.shape[1]), dtype=np.float16)
                grown[:len(self.full)] = self.full
                self.full = grown
            self.full[ids] = vectors
            vectors = self._reduced(vectors)
        self.timed("project", start)
        start = time.perf_counter()
        # One call per batch: usearch inserts it on all cores (``threads=0``), from a contiguous array.
        self.index.add(ids.astype(np.uint64), vectors, threads=0)
        self.timed("insert", start)
        self.unsaved += len(rows)

    def _reduced(self, vectors: np.ndarray) -> np.ndarray:
        """Vectors (or one query) in the graph's space: projected, scaled, clipped for int8."""
        reduced = ((vectors - self.mean) @ self.projection) * np.float32(self.scale)
        if self.scale != 1.0:  # only int8 graphs are scaled
            np.clip(reduced, -1.0, 1.0, out=reduced)
        return np.ascontiguousarray(reduced, dtype=np.float32)

    def remove(self, ids: list[int]) -> None:
        if ids and self.index is not None:
            present = [i for i in ids if i in self.index]
            if present:
                self.index.remove(np.asarray(present, dtype=np.uint64))
                self.unsaved += len(present)


class EmbeddedIndex:
    """The embedded default: exact search while small, HNSW past ``exact_max`` vectors.

    The choice is made per (kind, model, variant): at first use from a saved
    graph or one row count, then whenever the exact matrix outgrows the limit
    (it is dropped and the graph built once). It never switches back: a library
    that shrank below the limit is still searched well by its graph.
    """

    def __init__(self, options: IndexOptions | None = None) -> None:
        self.options = options or IndexOptions()
        self.exact = ExactIndex()
        self.hnsw = HnswIndex(self.options)
        self._uses_hnsw: dict[tuple, bool] = {}

    def backend(self, session: Session, *, kind: str, model_id: str, variant: str):
        """The index that serves this (kind, model, variant) at its current size."""
        key = _key(session, kind, model_id, variant)
        names = dict(kind=kind, model_id=model_id, variant=variant)
        if key not in self._uses_hnsw:
            self._uses_hnsw[key] = self.hnsw.has_saved(session, **names) or session.exec(
                select(func.count(Embedding.id)).where(Embedding.kind == kind, Embedding.model_id == model_id,
                                                       Embedding.variant == variant)).one() > self.options.exact_max
        if not self._uses_hnsw[key] and self.exact.refreshed(session, **names).ids.size > self.options.exact_max:
            self.exact.forget(session, **names)
            self._uses_hnsw[key] = True
        return self.hnsw if self._uses_hnsw[key] else self.exact

    def search(self, session: Session, *, kind: str, model_id: str, variant: str,
               query: np.ndarray, k: int, min_score: float = -1.0) -> list[Hit]:
        backend = self.backend(session, kind=kind, model_id=model_id, variant=variant)
        return backend.search(session, kind=kind, model_id=model_id, variant=variant, query=query, k=k,
                              min_score=min_score)

    def search_many(self, session: Session, *, kind: str, model_id: str, variant: str,
                    queries: np.ndarray, k: int, min_score: float = -1.0) -> list[list[Hit]]:
        backend = self.backend(session, kind=kind, model_id=model_id, variant=variant)
        return backend.search_many(session, kind=kind, model_id=model_id, variant=variant, queries=queries, k=k,
                                   min_score=min_score)

    def clear(self) -> None:
        self.exact.clear()
        self.hnsw.clear()
        self._uses_hnsw.clear()


@dataclass(frozen=True)
class Projection:
    """A library's principal components (a ``VectorProjection`` row), ready to project vectors."""

    id: int
    mean: np.ndarray  # (dim,)
    components: np.ndarray  # (dim, reduced_dim)

    @classmethod
    def from_row(cls, row: VectorProjection) -> "Projection":
        return cls(row.id, np.frombuffer(row.mean, dtype=np.float32),
                   np.frombuffer(row.components, dtype=np.float32).reshape(row.dim, row.reduced_dim))

    @property
    def reduced_dim(self) -> int:
        return int(self.components.shape[1])

    def project(self, vectors: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray((np.asarray(vectors, dtype=np.float32) - self.mean) @ self.components)


def stored_projection(session: Session, *, kind: str, model_id: str, variant: str) -> "Projection | None":
    row = session.exec(select(VectorProjection).where(
        VectorProjection.kind == kind, VectorProjection.model_id == model_id,
        VectorProjection.variant == variant)).first()
    return Projection.from_row(row) if row is not None else None


class PgVectorIndex:
    """Cosine search inside PostgreSQL with pgvector.

    Without an index the search is an exact scan. ``ensure_hnsw`` creates a
    partial HNSW expression index for one (kind, model, variant): partial,
    because the column holds vectors of several models and dimensions and an
    HNSW index needs one dimension; per kind, because pgvector 0.6 filters
    *after* the graph search, so claims sharing an index with fact-checks would
    crowd them out of the candidates. The query repeats the index's expression
    and predicate literally so the planner can use it.

    Past ``REDUCE_MIN_ROWS`` vectors (and with ``options.hnsw_reduce_dim``),
    ``ensure_hnsw`` fits the library's principal components once
    (``VectorProjection``), fills ``embedding.reduced`` and builds the HNSW
    index on that instead: the graph walk touches a third of the bytes, and its
    ``hnsw_rerank`` best candidates are re-scored exactly with the full vectors
    in the same statement. From then on ``store_embeddings`` writes ``reduced``
    with every new vector; rows written without it (by a process that had not
    yet seen the projection) are scanned exactly until the next rebuild-index.
    """

    def __init__(self, options: IndexOptions | None = None) -> None:
        self.options = options or IndexOptions()
        # A projection never changes once made, so a found one is kept for the process's life.
        self._projections: dict[tuple, Projection] = {}
        self._versions: dict[str, tuple[int, ...]] = {}

    def pgvector_version(self, session: Session) -> tuple[int, ...]:
        """The server's pgvector version, asked once per database."""
        url = str(session.get_bind().url)
        found = self._versions.get(url)
        if found is None:
            text_version = session.execute(text(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar() or "0"
            found = self._versions[url] = tuple(int(part) for part in text_version.split(".") if part.isdigit())
        return found

    def storage(self, session: Session) -> str:
        """The type the reduced graph indexes: ``halfvec`` when asked for and the server has it (0.7+)."""
        if self.options.pg_storage == "halfvec" and self.pgvector_version(session) >= (0, 7):
            return "halfvec"
        return "vector"

    def projection(self, session: Session, *, kind: str, model_id: str, variant: str) -> Projection | None:
        """The library's projection, if it has one (looked for at most once per transaction until found)."""
        key = _key(session, kind, model_id, variant)
        found = self._projections.get(key)
        if found is None and once_per_transaction(session, (id(self), "projection") + key):
            found = stored_projection(session, kind=kind, model_id=model_id, variant=variant)
            if found is not None:
                self._projections[key] = found
        return found

    def search(self, session: Session, *, kind: str, model_id: str, variant: str,
               query: np.ndarray, k: int, min_score: float = -1.0) -> list[Hit]:
        sql, params, pool = self._statement(session, kind=kind, model_id=model_id, variant=variant,
                                            query=query, k=k)
        # The graph returns at most ef_search rows. The setting lasts for the transaction, so it is
        # sent once per transaction (a round trip saved on every later search).
        ef_search = max(self.options.pg_ef_search, pool)
        if once_per_transaction(session, ("hnsw.ef_search", ef_search)):
            session.execute(text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": str(ef_search)})
        rows = session.execute(text(sql), params).all()
        return [Hit(int(r[0]), float(r[1])) for r in rows if r[1] >= min_score]

    def search_many(self, session: Session, *, kind: str, model_id: str, variant: str,
                    queries: np.ndarray, k: int, min_score: float = -1.0) -> list[list[Hit]]:
        """``search`` for each row of ``queries``, in one statement whatever their number.

        The queries travel as one array; a ``LATERAL`` subquery runs the single search's
        SQL once per query, so each still walks the HNSW index (the query vector is a
        parameter of the inner scan) and the results are those of ``search``.
        """
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if not len(queries) or k <= 0:
            return [[] for _ in queries]
        sql, params, pool = self._statement(session, kind=kind, model_id=model_id, variant=variant,
                                            query=queries[0], k=k)
        ef_search = max(self.options.pg_ef_search, pool)
        if once_per_transaction(session, ("hnsw.ef_search", ef_search)):
            session.execute(text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": str(ef_search)})
        dim = int(queries.shape[1])
        # The single search's statement with its query parameters turned into the outer row's columns.
        inner = sql.replace(f"CAST(:q AS vector({dim}))", "queries.q")
        reduced_cast = re.search(r"CAST\(:r AS (\w+\(\d+\))\)", inner)
        reduced = reduced_cast is not None
        if reduced:
            inner = inner.replace(reduced_cast.group(0), "queries.r")
        columns = f"CAST(q AS vector({dim})) AS q" + (f", CAST(r AS {reduced_cast.group(1)}) AS r" if reduced else "")
        arrays = "unnest(CAST(:qs AS text[])" + (", CAST(:rs AS text[])" if reduced else "") + ")"
        names = "q" + (", r" if reduced else "")
        statement = (f"SELECT queries.n, found.object_id, found.score FROM "
                     f"(SELECT n - 1 AS n, {columns} FROM {arrays} WITH ORDINALITY AS given({names}, n)) "
                     f"AS queries CROSS JOIN LATERAL ({inner}) AS found ORDER BY queries.n, found.score DESC")
        values = {"k": k, "qs": [_literal(q) for q in queries]}
        if reduced:
            projection = self.projection(session, kind=kind, model_id=model_id, variant=variant)
            values.update(pool=params["pool"], rs=[_literal(r) for r in projection.project(queries)])
        results: list[list[Hit]] = [[] for _ in queries]
        for n, object_id, score in session.execute(text(statement), values).all():
            if score >= min_score:
                results[int(n)].append(Hit(int(object_id), float(score)))
        return results

    def explain(self, session: Session, *, kind: str, model_id: str, variant: str, query: np.ndarray,
                k: int) -> str:
        """PostgreSQL's plan for this search (which index it walks), as text."""
        sql, params, _ = self._statement(session, kind=kind, model_id=model_id, variant=variant, query=query, k=k)
        return "\n".join(session.execute(text("EXPLAIN " + sql), params).scalars())

    def _statement(self, session: Session, *, kind: str, model_id: str, variant: str, query: np.ndarray,
                   k: int) -> tuple[str, dict, int]:
        """The search's SQL, its parameters and how many rows the graph must return."""
        query = np.asarray(query, dtype=np.float32)
        dim = int(query.shape[0])
        predicate = _pg_predicate(kind, model_id, variant, dim)
        exact = f"1 - ((vector::vector({dim})) <=> CAST(:q AS vector({dim})))"
        projection = self.projection(session, kind=kind, model_id=model_id, variant=variant)
        if projection is None or projection.components.shape[0] != dim:
            sql = (f"SELECT object_id, {exact} AS score FROM embedding WHERE {predicate} "
                   f"ORDER BY (vector::vector({dim})) <=> CAST(:q AS vector({dim})) LIMIT :k")
            return sql, {"q": _literal(query), "k": k}, k
        pool = max(self.options.hnsw_rerank, k)
        reduced = projection.reduced_dim
        storage = self.storage(session)
        sql = (f"SELECT object_id, score FROM ("
               f"SELECT object_id, {exact} AS score FROM ("
               f"SELECT object_id, vector FROM embedding WHERE {predicate} AND reduced IS NOT NULL "
               f"ORDER BY (reduced::{storage}({reduced})) <-> CAST(:r AS {storage}({reduced})) LIMIT :pool"
               f") AS graph UNION ALL "
               f"SELECT object_id, {exact} FROM embedding WHERE {predicate} AND {UNREDUCED_PREDICATE}"
               f") AS candidates ORDER BY score DESC LIMIT :k")
        return sql, {"q": _literal(query), "r": _literal(projection.project(query)), "pool": pool, "k": k}, pool

    def ensure_hnsw(self, session: Session, *, kind: str, model_id: str, variant: str, dim: int,
                    progress=None) -> str:
        """Create the library's HNSW index if missing; returns its name.

        Past ``REDUCE_MIN_ROWS`` vectors: fit the projection if the library has
        none, fill ``reduced`` where it is missing and index that. Each step
        commits on its own (the fill after every batch, then ``progress(n)``), so
        no long transaction holds the rows; searches stay right throughout, since
        rows not yet filled are scanned exactly, and an interrupted run is simply
        run again. A full-dimension index made while the library was small is
        dropped first, so filling rows does not also insert them into it.
        """
        names = dict(kind=kind, model_id=model_id, variant=variant)
        predicate = _pg_predicate(kind, model_id, variant, dim)
        reduce_to = self.options.hnsw_reduce_dim
        projection = stored_projection(session, **names)
        if projection is None and 0 < reduce_to < dim:
            sample = session.exec(select(Embedding.vector).where(*_library(dim=dim, **names))
                                  .order_by(Embedding.id).limit(PROJECTION_SAMPLE)).all()
            if len(sample) >= REDUCE_MIN_ROWS:
                vectors = np.stack([np.asarray(v, dtype=np.float32) for v in sample])
                mean, components = fit_projection(vectors, reduce_to)
                row = VectorProjection(dim=dim, reduced_dim=reduce_to, mean=mean.tobytes(),
                                       components=components.tobytes(), fitted_on=len(vectors), **names)
                session.add(row)
                session.flush()
                projection = Projection.from_row(row)
        with_ = f"WITH (m = {self.options.pg_m}, ef_construction = {self.options.pg_ef_construction})"
        full_name = pg_index_name(kind, model_id, variant, dim)
        if projection is None:
            _create_index_concurrently(session, full_name, (
                f"ON embedding USING hnsw ((vector::vector({dim})) vector_cosine_ops) {with_} WHERE {predicate}"))
            return full_name
        session.execute(text(f"DROP INDEX IF EXISTS {full_name}"))
        session.commit()
        self._fill_reduced(session, projection, _library(dim=dim, **names), progress)
        storage = self.storage(session)
        name = f"{full_name}_r{projection.reduced_dim}" + ("h" if storage == "halfvec" else "")
        _create_index_concurrently(session, name, (
            f"ON embedding USING hnsw ((reduced::{storage}({projection.reduced_dim})) {storage}_l2_ops) {with_} "
            f"WHERE {predicate}"))
        self._projections[_key(session, kind, model_id, variant)] = projection
        return name

    @staticmethod
    def _fill_reduced(session: Session, projection: Projection, library: list, progress, batch: int = 5_000):
        """Write ``reduced`` on the library's rows that lack it, walking them in id order."""
        last = 0
        while True:
            rows = session.exec(select(Embedding.id, Embedding.vector, Embedding.reduced.is_(None))
                                .where(*library, Embedding.id > last).order_by(Embedding.id).limit(batch)).all()
            if not rows:
                return
            last = rows[-1][0]
            missing = [(row[0], row[1]) for row in rows if row[2]]
            if missing:
                reduced = projection.project(np.stack([np.asarray(v, dtype=np.float32) for _, v in missing]))
                session.execute(text("UPDATE embedding SET reduced = CAST(:r AS vector) WHERE id = :id"),
                                [{"id": i, "r": _literal(r)} for (i, _), r in zip(missing, reduced)])
                session.commit()
            if progress is not None:
                progress(len(rows))

    def clear(self) -> None:
        self._projections.clear()


def _create_index_concurrently(session: Session, name: str, definition: str) -> None:
    """``CREATE INDEX CONCURRENTLY``: writes to the table (ingest) go on while the graph is built.

    It cannot run inside a transaction, so it runs on a connection of its own in
    autocommit, after the session commits. A build that was interrupted leaves an
    invalid index behind, which is dropped and built again.
    """
    # The build's memory (a graph that fits in it builds several times faster) as the session has it.
    memory = session.execute(text("SHOW maintenance_work_mem")).scalar()
    session.commit()
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT set_config('maintenance_work_mem', :memory, false)"), {"memory": memory})
        valid = connection.execute(text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = :name"),
            {"name": name}).scalar()
        if valid is False:
            connection.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {name}"))
        if not valid:
            connection.execute(text(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} {definition}"))


def _library(*, kind: str, model_id: str, variant: str, dim: int) -> list:
    return [Embedding.kind == kind, Embedding.model_id == model_id, Embedding.variant == variant,
            Embedding.dim == dim]


def _literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pg_predicate(kind: str, model_id: str, variant: str, dim: int) -> str:
    return (f"kind = {_quote(kind)} AND model_id = {_quote(model_id)} AND variant = {_quote(variant)} "
            f"AND dim = {int(dim)}")


def pg_index_name(kind: str, model_id: str, variant: str, dim: int) -> str:
    digest = hashlib.sha256(f"{kind}|{model_id}|{variant}|{dim}".encode()).hexdigest()[:10]
    return f"ix_embedding_hnsw_{kind}_{digest}"


_lock = threading.Lock()
_indexes: dict[tuple, object] = {}


def index_for(session: Session, options: IndexOptions | None = None):
    """The index backend for the session's database (one per process and options)."""
    options = options or IndexOptions()
    postgres = session.get_bind().dialect.name == "postgresql"
    with _lock:
        index = _indexes.get((postgres, options))
        if index is None:
            index = _indexes[(postgres, options)] = PgVectorIndex(options) if postgres else EmbeddedIndex(options)
        return index
