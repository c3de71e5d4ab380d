"""Calibrated probabilities: what a matcher score means, and when nothing is shown.

The re-ranker's score orders candidates well but is not a probability one can
read: it was trained on CheckThat! queries that all have a fact-check, and it is
partly relative to the other candidates and the library, so the best candidate
of an unrelated claim still scores high and a verbatim repeat may score lower
than a paraphrase. For fact-checks a ``Verifier`` gives the probability that the
candidate states the same claim from features of the pair alone; for passages,
Platt scaling of the score's log-odds gives the probability that it is
evidence. Both are fitted on pairs where half the queries have their right
answer in the library and half do not (the open-set runs of
``services.evaluation``). The ranking is the re-ranker's, unchanged (so is MAP);
the probability decides what is shown.

``factcheck train calibration`` fits it and writes ``factcheck/data/calibration.json``
with the default thresholds and, for a grid of thresholds, the share of claims
whose earlier fact-check is shown (hit rate) and the share of claims without
one that still get a suggestion (false suggestions), measured on data the
calibration was not fitted on. The admin page shows those figures.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from factcheck.domain.library_kinds import KIND_FACT_CHECK, KIND_PASSAGE

#: The name of the calibrated scale (stored with matches and thresholds).
METHOD_CALIBRATED = "calibrated-v1"
#: At or above this probability a suggestion reads "likely same claim" (below it, down to the suggest
#: threshold, "possibly related"). The probabilities assume half of all claims have an earlier check; in a
#: newsroom far fewer do, so "likely" is kept for pairs the verifier is all but sure of (a restated claim
#: scores 0.99; on CheckThat! dev 2% of claims without an earlier check reach 0.9).
LIKELY = 0.9
LABELS = {
    KIND_FACT_CHECK: ("likely same claim", "possibly related"),
    KIND_PASSAGE: ("likely evidence", "possibly relevant"),
}
_EPS = 1e-6


def _logit(raw) -> np.ndarray:
    p = np.clip(np.asarray(raw, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Platt:
    """p = sigmoid(a * logit(score) + b)."""

    a: float
    b: float

    def probability(self, raw):
        z = self.a * _logit(raw) + self.b
        result = 1.0 / (1.0 + np.exp(-z))
        return float(result) if np.ndim(result) == 0 else result

    @classmethod
    def fit(cls, raw, labels, *, seed: int = 0) -> "Platt":
        from sklearn.linear_model import LogisticRegression

        x = _logit(raw).reshape(-1, 1)
        y = np.asarray(labels, dtype=int)
        # Large C: two parameters, thousands of pairs; no need to shrink them.
        model = LogisticRegression(C=1e4, max_iter=1000, random_state=seed).fit(x, y)
        return cls(float(model.coef_[0][0]), float(model.intercept_[0]))


#: The second verifier's extra input: the same-claim classifier's logit of the pair (``matching.same_claim``).
SAME_CLAIM_INPUT = "same_claim"

#: What the verifier weighs: features that do not depend on the rest of the library (the re-ranker's score
#: does: ranks, gaps to the best candidate, BM25 weights that change with the library's size).
VERIFIER_INPUTS = ("dense", "doc_covered", "query_covered", "numbers_shared", "numbers_clash", "names_shared")


@dataclass(frozen=True)
class Verifier:
    """p = sigmoid(w · standardise(x) + b) over absolute features of the pair (``VERIFIER_INPUTS``).

    The re-ranker orders candidates, and its score is partly relative to the
    other candidates (rank, gap to the best) and to the library (BM25): a
    verbatim repeat of a claim in a 40-item library scored 0.65 while a loose
    paraphrase scored 0.82. Whether a candidate states the same claim at all is
    asked of the pair alone: cosine similarity, words covered both ways, shared
    and clashing numbers, shared names — weighed on runs with and without the
    right fact-check in the library.
    """

    inputs: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    @property
    def reads_pair_logits(self) -> bool:
        return SAME_CLAIM_INPUT in self.inputs

    def _columns(self, features, pair_logits=None) -> np.ndarray:
        from factcheck.matching.rerank import FEATURES

        rows = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if self.reads_pair_logits and pair_logits is None:
            raise ValueError("This verifier weighs the same-claim classifier's logits: pass pair_logits.")
        columns = [np.asarray(pair_logits, dtype=np.float64).reshape(-1) if name == SAME_CLAIM_INPUT
                   else rows[:, FEATURES.index(name)] for name in self.inputs]
        return np.column_stack(columns)

    def probability(self, raw, features, pair_logits=None):
        z = (self._columns(features, pair_logits) - np.asarray(self.mean)) / np.asarray(self.scale)
        result = 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.weights) + self.bias)))
        return float(result[0]) if np.ndim(features) == 1 else result

    @classmethod
    def fit(cls, features, labels, *, inputs: tuple[str, ...] = VERIFIER_INPUTS, seed: int = 0,
            c: float = 1.0, pair_logits=None) -> "Verifier":
        from sklearn.linear_model import LogisticRegression

        empty = cls(tuple(inputs), (), (), (), 0.0)
        x = empty._columns(features, pair_logits)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=c, max_iter=5000, random_state=seed).fit((x - mean) / scale,
                                                                             np.asarray(labels, dtype=int))
        return cls(tuple(inputs), tuple(float(v) for v in mean), tuple(float(v) for v in scale),
                   tuple(float(v) for v in model.coef_[0]), float(model.intercept_[0]))


@dataclass(frozen=True)
class LibraryCalibration:
    """One library's calibration and the thresholds it recommends, with what they imply."""

    kind: str
    platt: Platt
    #: Default "suggest" threshold (probability): below it nothing is shown.
    suggest: float
    #: Default "same claim" threshold (probability): at or above it a match is linked automatically.
    same_claim: float
    #: Rows {threshold, hit_rate, false_suggestion_rate, ...} measured on ``measured_on``.
    table: list[dict] = field(default_factory=list)
    measured_on: str = ""
    #: When fitted: the probability from the score and the candidate's features (else Platt on the score alone).
    verifier: Verifier | None = None
    #: When fitted: the second verifier, which also weighs the same-claim classifier's logit; it decides
    #: the candidates ``verifier`` gives at least ``pair_floor``.
    pair_verifier: Verifier | None = None
    pair_floor: float = 1.0
    #: The same-claim adapter ``pair_verifier`` was fitted with: {"adapter" (its folder in factcheck/data),
    #: "sha256", ...}; a different adapter is refused.
    pair_classifier: dict = field(default_factory=dict)

    def probability(self, raw, features=None):
        """The first stage alone (no classifier): the verifier's probability, or Platt's without features."""
        if self.verifier is not None and features is not None:
            return self.verifier.probability(raw, features)
        return self.platt.probability(raw)

    def probabilities(self, raw, features, pairs: list[tuple[str, str]] | None,
                      pair_logits: Callable[[list[tuple[str, str]]], np.ndarray] | None = None) -> np.ndarray:
        """Each candidate's probability of "same claim" (rows of ``features``; ``pairs``: its (claim,
        candidate) texts). The verifier decides alone below ``pair_floor`` and when there are no texts;
        at or above it, the second verifier with the classifier's logit — one classifier call for all."""
        rows = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if not len(rows):
            return np.zeros(0)
        first = np.atleast_1d(np.asarray(self.probability(raw, rows), dtype=np.float64)).copy()
        if self.pair_verifier is None or pairs is None:
            return first
        past = np.flatnonzero(first >= self.pair_floor)
        if past.size:
            chosen = [pairs[i] for i in past]
            if pair_logits is None:
                from factcheck.matching import same_claim

                logits = same_claim.logits(chosen, sha256=self.pair_classifier["sha256"])
            else:
                logits = pair_logits(chosen)
            first[past] = self.pair_verifier.probability(None, rows[past], logits)
        return first

    def implied(self, threshold: float) -> dict | None:
        """The table row of the highest grid threshold not above ``threshold`` (what it at least implies)."""
        rows = [row for row in self.table if row["threshold"] <= threshold + 1e-9]
        return rows[-1] if rows else None


def label(kind: str, probability: float, suggest_threshold: float) -> str | None:
    """The plain-words label of a calibrated probability, or None when it is not shown."""
    if probability < suggest_threshold:
        return None
    likely, possibly = LABELS.get(kind, LABELS[KIND_FACT_CHECK])
    return likely if probability >= max(LIKELY, suggest_threshold) else possibly


def verifier_from_json(item: dict | None) -> Verifier | None:
    if not item:
        return None
    return Verifier(tuple(item["inputs"]), tuple(item["mean"]), tuple(item["scale"]), tuple(item["weights"]),
                    item["bias"])


def verifier_to_json(verifier: Verifier) -> dict:
    return {"inputs": list(verifier.inputs), "mean": list(verifier.mean), "scale": list(verifier.scale),
            "weights": list(verifier.weights), "bias": verifier.bias}


def from_json(data: dict) -> dict[str, LibraryCalibration]:
    found = {}
    for kind, item in data.get("libraries", {}).items():
        pair = item.get("pair_verifier") or {}
        found[kind] = LibraryCalibration(kind=kind, platt=Platt(**item["platt"]), suggest=item["suggest"],
                                         same_claim=item["same_claim"], table=item.get("table", []),
                                         measured_on=item.get("measured_on", ""),
                                         verifier=verifier_from_json(item.get("verifier")),
                                         pair_verifier=verifier_from_json(pair.get("verifier")),
                                         pair_floor=pair.get("floor", 1.0),
                                         pair_classifier=pair.get("classifier", {}))
    return found


@lru_cache(maxsize=1)
def shipped_document() -> dict:
    path = resources.files("factcheck.data").joinpath("calibration.json")
    return json.loads(path.read_text(encoding="utf-8"))


def shipped() -> dict[str, LibraryCalibration]:
    return from_json(shipped_document())


def for_library(kind: str) -> LibraryCalibration | None:
    return shipped().get(kind)
