"""The lexical leg of hybrid matching: BM25 over library texts, held in process.

Why BM25 in process rather than SQLite FTS5 or PostgreSQL full-text search:

* the re-ranker is trained on BM25 scores, so both databases must produce the
  same scores; PostgreSQL's ``ts_rank`` has no inverse document frequency, and
  tweets and article sentences are full of common words that IDF discounts;
* FTS5 virtual tables bring shadow tables that the models cannot describe,
  which would break the "models and migrations agree" guarantee;
* the index follows the ``embedding`` table (see ``sync``), so it is fresh
  across processes exactly like the vector index and needs no schema.

Tokenising a million texts takes minutes, so, like the HNSW graphs, the
postings are saved in the instance folder (``LexicalIndex(folder)``) and a
new process loads them and catches up from the table instead of rebuilding.

Scoring is Okapi BM25 (k1 = 1.2, b = 0.75) with Lucene's non-negative IDF,
on lower-cased word tokens without stop words, Snowball-stemmed (stemming is
worth +0.03 MAP@5 on the CheckThat! 2020 dev split).
"""
from __future__ import annotations

import logging
import math
import os
import re
import threading
import unicodedata
from array import array
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

K1 = 1.2
B = 0.75

STOP_WORDS = frozenset("""
a an and are as at be but by for if in into is it no not of on or such that the their then there these they
this to was will with i you he she we his her its our your me my from has have had were been being do does did
so than too very can just s t about what which who whom when where why how all any both each few more most
other some own same only rt via amp
""".split())

_URL = re.compile(r"https?://\S+|pic\.twitter\.com/\S+|\bwww\.\S+")
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (accents folded, links dropped), stop words included."""
    text = unicodedata.normalize("NFKD", _URL.sub(" ", text)).encode("ascii", "ignore").decode()
    return _WORD.findall(text.lower())


def tokenize(text: str) -> list[str]:
    """The terms BM25 indexes: stemmed words without stop words."""
    return _stemmer().stemWords([w for w in words(text) if w not in STOP_WORDS])


class Bm25Index:
    """An append-mostly BM25 index over (key, object id, text) triples.

    Keys must be added in increasing order (they are ``embedding.id`` values,
    fetched in id order), which lets removal find rows by binary search
    instead of a million-entry dict. New documents go to small per-term
    "delta" postings; these are merged into compact numpy postings when they
    grow, so bulk loads and single additions are both cheap.
    """

    MERGE_AT = 50_000  # delta postings before a merge

    def __init__(self) -> None:
        self._vocab: dict[str, int] = {}
        self._keys = array("q")
        self._objects = array("q")
        self._lengths = array("f")
        self._alive = bytearray()
        self._alive_count = 0
        self._alive_length = 0.0
        # Merged postings: rows and term frequencies of term t are
        # _rows[_indptr[t]:_indptr[t + 1]] (terms added after a merge have none).
        self._indptr = np.zeros(1, dtype=np.int64)
        self._rows = np.zeros(0, dtype=np.int32)
        self._tfs = np.zeros(0, dtype=np.float32)
        self._delta: dict[int, tuple[array, array]] = {}
        self._delta_size = 0

    def __len__(self) -> int:
        return self._alive_count

    @property
    def max_key(self) -> int:
        return self._keys[-1] if self._keys else 0

    def add(self, keys: list[int], object_ids: list[int], texts: list[str]) -> None:
        for key, object_id, text in zip(keys, object_ids, texts):
            if self._keys and key <= self._keys[-1]:
                raise ValueError("keys must be added in increasing order")
            row = len(self._keys)
            terms = tokenize(text)
            self._keys.append(key)
            self._objects.append(object_id)
            self._lengths.append(len(terms))
            self._alive.append(1)
            self._alive_count += 1
            self._alive_length += len(terms)
            counts: dict[int, int] = {}
            for term in terms:
                term_id = self._vocab.setdefault(term, len(self._vocab))
                counts[term_id] = counts.get(term_id, 0) + 1
            for term_id, tf in counts.items():
                rows, tfs = self._delta.setdefault(term_id, (array("i"), array("f")))
                rows.append(row)
                tfs.append(tf)
            self._delta_size += len(counts)
        if self._delta_size > max(self.MERGE_AT, len(self._rows) // 10):
            self._merge()

    def remove(self, keys) -> None:
        """Forget documents; their postings stay but no longer count or score."""
        stored = np.frombuffer(self._keys, dtype=np.int64) if self._keys else np.zeros(0, dtype=np.int64)
        for key in keys:
            row = int(np.searchsorted(stored, key))
            if row < len(stored) and stored[row] == key and self._alive[row]:
                self._alive[row] = 0
                self._alive_count -= 1
                self._alive_length -= self._lengths[row]

    def search(self, text: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best (object id, BM25 score) pairs, best first; only documents sharing a term."""
        if not self._alive_count or k <= 0:
            return []
        term_ids = {self._vocab[t] for t in tokenize(text) if t in self._vocab}
        if not term_ids:
            return []
        alive = np.frombuffer(self._alive, dtype=np.uint8)
        lengths = np.frombuffer(self._lengths, dtype=np.float32)
        average = self._alive_length / self._alive_count
        n = self._alive_count
        all_rows, all_scores = [], []
        for term_id in term_ids:
            rows, tfs = self._postings(term_id)
            keep = alive[rows] == 1
            rows, tfs = rows[keep], tfs[keep]
            if not rows.size:
                continue
            idf = math.log(1.0 + (n - rows.size + 0.5) / (rows.size + 0.5))
            norm = K1 * (1.0 - B + B * lengths[rows] / average)
            all_rows.append(rows)
            all_scores.append(idf * tfs * (K1 + 1.0) / (tfs + norm))
        if not all_rows:
            return []
        rows = np.concatenate(all_rows)
        unique, inverse = np.unique(rows, return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate(all_scores))
        k = min(k, unique.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((unique[top], -scores[top]))]
        objects = np.frombuffer(self._objects, dtype=np.int64)
        return [(int(objects[unique[i]]), float(scores[i])) for i in top]

    def save(self, path: str | Path, **extra) -> None:
        """Write the index to ``path`` (one .npz file), atomically by rename, with ``extra`` arrays beside it."""
        if self._delta:
            self._merge()
        tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
        with open(tmp, "wb") as f:
            np.savez(f, vocab=np.frombuffer("\n".join(self._vocab).encode(), dtype=np.uint8),
                     keys=np.frombuffer(self._keys, dtype=np.int64),
                     objects=np.frombuffer(self._objects, dtype=np.int64),
                     lengths=np.frombuffer(self._lengths, dtype=np.float32),
                     alive=np.frombuffer(self._alive, dtype=np.uint8),
                     indptr=self._indptr, rows=self._rows, tfs=self._tfs,
                     totals=np.array([self._alive_count, self._alive_length], dtype=np.float64),
                     **{f"extra_{name}": np.asarray(value) for name, value in extra.items()})
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> "Bm25Index":
        """An index saved by ``save``; raises ``ValueError`` if the file does not hold together."""
        return cls.load_with_extra(path)[0]

    @classmethod
    def load_with_extra(cls, path: str | Path) -> "tuple[Bm25Index, dict[str, np.ndarray]]":
        """``load``, plus the ``extra`` arrays given to ``save``."""
        saved = np.load(path)
        index = cls()
        vocab = saved["vocab"].tobytes().decode()
        terms = vocab.split("\n") if vocab else []
        index._vocab = {term: i for i, term in enumerate(terms)}
        index._keys = array("q", saved["keys"].tobytes())
        index._objects = array("q", saved["objects"].tobytes())
        index._lengths = array("f", saved["lengths"].tobytes())
        index._alive = bytearray(saved["alive"].tobytes())
        index._indptr, index._rows, index._tfs = saved["indptr"], saved["rows"], saved["tfs"]
        count, length = saved["totals"]
        index._alive_count, index._alive_length = int(count), float(length)
        rows = len(index._keys)
        if not (len(index._objects) == len(index._lengths) == len(index._alive) == rows
                and index._indptr.size == len(terms) + 1 and index._rows.size == index._tfs.size
                == int(index._indptr[-1]) and sum(index._alive) == index._alive_count):
            raise ValueError("the saved BM25 arrays do not belong together")
        return index, {name[len("extra_"):]: saved[name] for name in saved.files if name.startswith("extra_")}

    def _postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        if term_id + 1 < len(self._indptr):
            start, end = self._indptr[term_id], self._indptr[term_id + 1]
            rows, tfs = self._rows[start:end], self._tfs[start:end]
        else:
            rows, tfs = self._rows[:0], self._tfs[:0]
        delta = self._delta.get(term_id)
        if delta is not None:
            rows = np.concatenate([rows, np.frombuffer(delta[0], dtype=np.int32)])
            tfs = np.concatenate([tfs, np.frombuffer(delta[1], dtype=np.float32)])
        return rows, tfs

    def _merge(self) -> None:
        """Fold the delta postings into the compact arrays (one sort, no Python loop per posting)."""
        n_terms = len(self._vocab)
        old_counts = np.diff(self._indptr)
        old_terms = np.repeat(np.arange(old_counts.size, dtype=np.int64), old_counts)
        delta_terms = np.concatenate([np.full(len(rows), term_id, dtype=np.int64)
                                      for term_id, (rows, _) in self._delta.items()])
        delta_rows = np.concatenate([np.frombuffer(rows, dtype=np.int32) for rows, _ in self._delta.values()])
        delta_tfs = np.concatenate([np.frombuffer(tfs, dtype=np.float32) for _, tfs in self._delta.values()])
        terms = np.concatenate([old_terms, delta_terms])
        rows = np.concatenate([self._rows, delta_rows])
        order = np.lexsort((rows, terms))
        self._rows = np.ascontiguousarray(rows[order])
        self._tfs = np.ascontiguousarray(np.concatenate([self._tfs, delta_tfs])[order])
        self._indptr = np.concatenate([[0], np.cumsum(np.bincount(terms, minlength=n_terms))]).astype(np.int64)
        self._delta.clear()
        self._delta_size = 0


class LexicalIndex:
    """BM25 per (database, kind, model, variant), kept in step with the ``embedding`` table.

    Each embedding row stands for the current text of one object (a re-embedded
    object gets a new row), so following the embedding rows — with the same
    per-transaction check the vector indexes use — keeps the lexical index
    fresh across processes without a table of its own. ``texts(session,
    object_ids)`` returns the text to index for each object of the kind (the
    services layer decides what that is).

    With ``folder`` set, an index is saved there after ``SAVE_EVERY`` changes
    (so after any first build of a large library), with how far it followed
    the table; the next process loads it and reads only the rows added since.
    """

    BATCH = 5_000
    SAVE_EVERY = 10_000

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else None
        self._lock = threading.Lock()
        self._indexes: dict[tuple, _Followed] = {}

    def search(self, session, *, kind: str, model_id: str, variant: str, text: str, k: int,
               texts) -> list[tuple[int, float]]:
        """The ``k`` best (object id, BM25 score) pairs, best first."""
        return self.search_many(session, kind=kind, model_id=model_id, variant=variant, queries=[text], k=k,
                                texts=texts)[0]

    def search_many(self, session, *, kind: str, model_id: str, variant: str, queries: list[str], k: int,
                    texts) -> list[list[tuple[int, float]]]:
        """``search`` for each text of ``queries``: the index follows the table once, then scores in memory."""
        from factcheck.matching.sync import once_per_transaction

        key = (str(session.get_bind().url), kind, model_id, variant)
        with self._lock:
            fresh = once_per_transaction(session, (id(self),) + key)
            followed = self._indexes.get(key)
            if followed is None:
                followed = self._indexes[key] = self._load(key) or _Followed(Bm25Index())
                fresh = True
            if fresh:
                self._follow(session, key, followed, texts)
            return [followed.index.search(text, k) for text in queries]

    def rebuild(self, session, *, kind: str, model_id: str, variant: str, texts, progress=None) -> int:
        """Build this library's index from the table afresh (and save it); returns its size.

        The new index is built without holding the lock: searches (and the ingest that runs
        them) go on with the current index meanwhile — tokenising a large library takes
        minutes — and the new one replaces it once built, after catching up with rows
        added during the build.
        """
        key = (str(session.get_bind().url), kind, model_id, variant)
        followed = _Followed(Bm25Index())
        self._follow(session, key, followed, texts, progress=progress, save=False)
        if not (session.new or session.dirty or session.deleted):
            session.rollback()  # a new transaction sees the rows written during the build
        with self._lock:
            self._follow(session, key, followed, texts, save=False)
            self._indexes[key] = followed
            self._save(key, followed)
            return len(followed.index)

    def _follow(self, session, key: tuple, followed: "_Followed", texts, progress=None, save: bool = True) -> None:
        from factcheck.matching.sync import changes_since

        _, kind, model_id, variant = key
        while True:  # in batches: a first build reads every row
            changes = changes_since(session, followed.position, kind=kind, model_id=model_id, variant=variant,
                                    limit=self.BATCH)
            if changes.added:
                by_object = texts(session, sorted({object_id for _, object_id in changes.added}))
                rows = [(eid, oid) for eid, oid in changes.added if oid in by_object]
                followed.index.add([eid for eid, _ in rows], [oid for _, oid in rows],
                                   [by_object[oid] for _, oid in rows])
            followed.index.remove(changes.removed)
            followed.unsaved += len(changes.added) + len(changes.removed)
            if progress is not None and changes.added:
                progress(len(changes.added))
            if len(changes.added) < self.BATCH:
                break
        if save and followed.unsaved >= self.SAVE_EVERY:
            self._save(key, followed)

    def _path(self, key: tuple) -> Path | None:
        if self.folder is None:
            return None
        from factcheck.matching.sync import saved_name

        return self.folder / f"bm25-{saved_name(key)}.npz"

    def _save(self, key: tuple, followed: "_Followed") -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The position travels in the same file, so postings and position are replaced together.
            followed.index.save(path, position=[followed.position.max_id, followed.position.max_tombstone])
            followed.unsaved = 0
        except OSError as exc:  # a read-only or full disk costs the next process a rebuild, not a search
            log.warning("Could not save the BM25 index to %s (%s).", path, exc)

    def _load(self, key: tuple) -> "_Followed | None":
        from factcheck.matching.sync import SyncPosition

        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            index, extra = Bm25Index.load_with_extra(path)
            max_id, max_tombstone = (int(v) for v in extra["position"])
            return _Followed(index, SyncPosition(max_id, max_tombstone))
        except Exception as exc:  # noqa: BLE001 - a damaged file is rebuilt, never fatal
            log.warning("Ignoring the saved BM25 index %s (%s); it will be rebuilt.", path, exc)
            return None

    def clear(self) -> None:
        with self._lock:
            self._indexes.clear()


class _Followed:
    """A BM25 index and how far it has followed the embedding table."""

    def __init__(self, index: Bm25Index, position=None) -> None:
        from factcheck.matching.sync import SyncPosition

        self.index = index
        self.position = position or SyncPosition()
        self.unsaved = 0


def shared_term_segments(text: str, other: str) -> list[tuple[str, bool]]:
    """Cut ``text`` into (segment, shared) pieces: ``shared`` for words whose stem also occurs in ``other``.

    Stop words are never marked. ``"".join(segment for segment, _ in result) == text``.
    """
    shared_stems = set(tokenize(other))
    segments: list[tuple[str, bool]] = []
    position = 0
    stemmer = _stemmer()
    for found in _WORD.finditer(text):
        word = unicodedata.normalize("NFKD", found.group()).encode("ascii", "ignore").decode().lower()
        if not word or word in STOP_WORDS or stemmer.stemWord(word) not in shared_stems:
            continue
        if found.start() > position:
            segments.append((text[position:found.start()], False))
        segments.append((found.group(), True))
        position = found.end()
    if position < len(text):
        segments.append((text[position:], False))
    return segments
