"""The re-ranker of hybrid matching: one logistic model over features of both legs.

Why a trained scorer rather than fixed thresholds on one similarity (Alegre)
or rank fusion: the dense and lexical legs fail differently (paraphrases vs.
names, numbers and rare words), and how much to trust each depends on
evidence such as whether the numbers in the two texts agree. A logistic model
learns those weights from CheckThat! training pairs, and its output is a
probability that the candidate is the same claim, which is what the
per-library thresholds are set on.

The parameters ship in ``factcheck/data/matcher.json`` with their provenance
(data file hashes, seed); ``factcheck train matcher`` reproduces them.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from factcheck.domain.library_kinds import METHOD_HYBRID as METHOD
from factcheck.matching.lexical import STOP_WORDS, tokenize, words

FEATURES = (
    "dense", "dense_gap", "dense_rr", "lexical", "lexical_rel", "lexical_rr",
    "doc_covered", "query_covered", "numbers_shared", "numbers_clash", "names_shared",
    "doc_length", "query_length",
)

_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+")


@dataclass(frozen=True)
class Candidate:
    """One library object proposed by either leg, with what each leg said about it."""

    object_id: int
    text: str
    dense: float  # cosine similarity to the query (computed for every candidate)
    dense_rank: int | None  # 0-based rank in the dense leg, None when only lexical proposed it
    lexical: float  # BM25 score, 0 when the lexical leg did not propose it
    lexical_rank: int | None


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _names(text: str) -> set[str]:
    """Capitalised words not at the start of a sentence: a cheap stand-in for named entities."""
    return {w.lower() for w in _NAME.findall(text) if w.lower() not in STOP_WORDS}


class QueryFeatures:
    """What is computed once per query and reused for every candidate."""

    def __init__(self, text: str):
        self.terms = set(tokenize(text))
        self.numbers = _numbers(text)
        self.names = _names(text)
        self.words = set(words(text))


def features(query: QueryFeatures, candidates: list[Candidate]) -> np.ndarray:
    """The feature matrix, one row per candidate, columns in ``FEATURES`` order."""
    if not candidates:
        return np.zeros((0, len(FEATURES)), dtype=np.float64)
    best_dense = max(c.dense for c in candidates)
    best_lexical = max(c.lexical for c in candidates) or 1.0
    rows = []
    for c in candidates:
        terms = set(tokenize(c.text))
        shared = len(terms & query.terms)
        numbers = _numbers(c.text)
        names = _names(c.text)
        rows.append((
            c.dense,
            c.dense - best_dense,
            0.0 if c.dense_rank is None else 1.0 / (1 + c.dense_rank),
            math.log1p(c.lexical),
            c.lexical / best_lexical,
            0.0 if c.lexical_rank is None else 1.0 / (1 + c.lexical_rank),
            shared / len(terms) if terms else 0.0,
            shared / len(query.terms) if query.terms else 0.0,
            len(numbers & query.numbers) / len(numbers) if numbers else 0.0,
            1.0 if numbers and not numbers & query.numbers else 0.0,
            len(names & query.words) / len(names) if names else 0.0,
            math.log1p(len(terms)),
            math.log1p(len(query.terms)),
        ))
    return np.asarray(rows, dtype=np.float64)


@lru_cache(maxsize=50_000)
def _candidate_sets(text: str) -> tuple[frozenset, frozenset, frozenset]:
    """A library text's terms, numbers and names: the same fact-checks come back as candidates
    article after article, so their tokenisation (stemming) is kept across calls."""
    return frozenset(tokenize(text)), frozenset(_numbers(text)), frozenset(_names(text))


def features_many(queries: list[QueryFeatures], candidate_lists: list[list[Candidate]]) -> list[np.ndarray]:
    """``features`` for many queries at once (one matrix per query, the same values).

    For a whole article: each distinct candidate text is tokenised once however many
    claims it is a candidate of, and every column is computed for all (query,
    candidate) pairs together.
    """
    counts = np.asarray([len(c) for c in candidate_lists], dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return [np.zeros((0, len(FEATURES)), dtype=np.float64) for _ in candidate_lists]
    # Per (query, candidate) pair: the sizes of the candidate's sets and of their overlaps with the
    # query's. Each candidate text is tokenised once (``_candidate_sets`` keeps it across calls); the
    # overlaps are set intersections of a few dozen words, cheaper than mapping every text's words to
    # shared vocabularies for sparse products (which cost ~1 s for an article's ~9,000 pairs at 100k).
    values: list[int] = []
    for query, candidates in zip(queries, candidate_lists):
        query_terms_set, query_numbers, query_words = query.terms, query.numbers, query.words
        for c in candidates:
            terms, numbers, names = _candidate_sets(c.text)
            values += (len(terms & query_terms_set), len(numbers & query_numbers), len(names & query_words),
                       len(terms), len(numbers), len(names))
    counted = np.asarray(values, dtype=np.float64).reshape(total, 6).T
    shared = counted[:3]
    doc_terms, doc_numbers, doc_names = counted[3], counted[4], counted[5]
    pair_query = np.repeat(np.arange(len(queries)), counts)
    query_terms = np.asarray([len(q.terms) for q in queries], dtype=np.float64)[pair_query]

    dense = np.fromiter((c.dense for cs in candidate_lists for c in cs), dtype=np.float64, count=total)
    lexical = np.fromiter((c.lexical for cs in candidate_lists for c in cs), dtype=np.float64, count=total)
    dense_rank = np.fromiter((-1 if c.dense_rank is None else c.dense_rank for cs in candidate_lists for c in cs),
                             dtype=np.float64, count=total)
    lexical_rank = np.fromiter((-1 if c.lexical_rank is None else c.lexical_rank
                                for cs in candidate_lists for c in cs), dtype=np.float64, count=total)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    nonempty = counts > 0
    best_dense = np.full(len(queries), -np.inf)
    best_dense[nonempty] = np.maximum.reduceat(dense, starts[nonempty])
    best_lexical = np.zeros(len(queries))
    best_lexical[nonempty] = np.maximum.reduceat(lexical, starts[nonempty])
    best_lexical[best_lexical == 0] = 1.0

    def ratio(top, bottom):
        return np.divide(top, bottom, out=np.zeros(total), where=bottom > 0)

    x = np.column_stack([
        dense,
        dense - best_dense[pair_query],
        np.where(dense_rank < 0, 0.0, 1.0 / (1 + np.maximum(dense_rank, 0))),
        np.log1p(lexical),
        lexical / best_lexical[pair_query],
        np.where(lexical_rank < 0, 0.0, 1.0 / (1 + np.maximum(lexical_rank, 0))),
        ratio(shared[0], doc_terms),
        ratio(shared[0], query_terms),
        ratio(shared[1], doc_numbers),
        ((doc_numbers > 0) & (shared[1] == 0)).astype(np.float64),
        ratio(shared[2], doc_names),
        np.log1p(doc_terms),
        np.log1p(query_terms),
    ])
    return np.split(x, np.cumsum(counts)[:-1])


@dataclass(frozen=True)
class Reranker:
    """A standardised logistic model: p = sigmoid(w · (x - mean) / scale + bias)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    provenance: dict
    method: str = METHOD

    def score(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros(0)
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return {"method": self.method, "features": list(FEATURES), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "weights": self.weights.tolist(), "bias": self.bias,
                "provenance": self.provenance}

    @classmethod
    def from_json(cls, data: dict) -> "Reranker":
        if list(data["features"]) != list(FEATURES):
            raise ValueError("the re-ranker parameters were trained on other features; run 'factcheck train matcher'")
        return cls(np.asarray(data["mean"]), np.asarray(data["scale"]), np.asarray(data["weights"]),
                   float(data["bias"]), dict(data.get("provenance", {})), data.get("method", METHOD))

    def trained_on(self, sha256: str) -> bool:
        """Whether a file with this hash held the training queries or their qrels."""
        files = self.provenance.get("trained_on_files", {})
        return sha256 in (files.get("queries"), files.get("qrels"))


MATCHER_FILE = "matcher.json"


@lru_cache(maxsize=1)
def shipped_reranker() -> Reranker:
    """The parameters that ship inside the package."""
    data = json.loads(resources.files("factcheck.data").joinpath(MATCHER_FILE).read_text("utf-8"))
    return Reranker.from_json(data)


def reranker_for_model(model: str) -> Reranker:
    """The re-ranker trained for an embedding model.

    A folder written by ``factcheck train embedder`` carries its own
    parameters (trained on that model's dense scores); any other model uses
    the shipped ones, trained on all-MiniLM-L6-v2's.
    """
    from pathlib import Path

    path = Path(model) / MATCHER_FILE
    if path.is_file():
        return Reranker.from_json(json.loads(path.read_text("utf-8")))
    return shipped_reranker()


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
