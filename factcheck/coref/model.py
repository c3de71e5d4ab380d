"""The pronoun resolver: two stacked logistic regressions, trained on GAP by
`factcheck.coref.training`, with a decision threshold chosen on GAP
validation for precision.

- The **pair** model scores one (pronoun, candidate) pair from its features
  (`features.pair_vector`: parse features and the two mentions' token vectors).
- The **choice** model turns that score into the probability that the pronoun
  means this candidate, knowing how the best *other* person scored: a pair
  score means little alone ("she" resembles every woman named before it), what
  decides is whether one candidate stands out. A pronoun with one candidate is
  read as such (the choice model was trained on single-candidate copies of GAP
  rows too).

Weights, threshold and provenance (which files it was trained and tuned on,
with SHA-256) ship in ``factcheck/data/coref.json``; prediction is numpy
arithmetic, so no pickled estimator is loaded at run time."""
from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from factcheck.coref.features import PARSE_FEATURES

__all__ = ["FORMAT", "MODEL_PATH", "CorefModel", "Logistic", "choice_features", "shipped_coref_model"]

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "coref.json"
FORMAT = "stacked-logistic-v1"
_PARSE = len(PARSE_FEATURES)


@dataclass
class Logistic:
    """A fitted logistic regression over standardised inputs."""
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.weights + self.bias

    @classmethod
    def from_estimator(cls, scaler, estimator) -> "Logistic":
        """From a fitted sklearn StandardScaler and binary LogisticRegression."""
        return cls(scaler.mean_.astype(np.float64), scaler.scale_.astype(np.float64),
                   estimator.coef_[0].astype(np.float64), float(estimator.intercept_[0]))

    def to_json(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "weights": self.weights.tolist(),
                "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict) -> "Logistic":
        return cls(*(np.asarray(data[name], dtype=np.float64) for name in ("mean", "scale", "weights")),
                   float(data["bias"]))


def choice_features(pair_scores: np.ndarray, parse: np.ndarray, pronouns: Sequence, names: Sequence) -> np.ndarray:
    """The choice model's input for every row: the row's pair score, the best
    pair score of any *other* person for the same pronoun (several mentions of
    one person count as one), their difference, whether there is another
    person at all, and the row's parse features."""
    rows = len(pair_scores)
    best_other = np.zeros(rows)
    has_other = np.zeros(rows)
    by_pronoun: dict = {}
    for row, pronoun in enumerate(pronouns):
        by_pronoun.setdefault(pronoun, []).append(row)
    for members in by_pronoun.values():
        for row in members:
            others = [pair_scores[other] for other in members if names[other] != names[row]]
            if others:
                best_other[row] = max(others)
                has_other[row] = 1.0
    return np.column_stack([pair_scores, best_other, (pair_scores - best_other) * has_other, has_other,
                            np.asarray(parse, dtype=np.float64)[:, :_PARSE]])


@dataclass
class CorefModel:
    pair: Logistic
    choice: Logistic
    threshold: float  # a pronoun is replaced only when its best candidate reaches this probability
    provenance: dict = field(default_factory=dict)

    def pair_scores(self, features: np.ndarray) -> np.ndarray:
        return self.pair.logit(features)

    def probabilities(self, features: np.ndarray, pronouns: Sequence, names: Sequence) -> np.ndarray:
        """For each row of ``features`` (one candidate mention of one pronoun):
        the probability that the pronoun means that candidate. ``pronouns``
        groups the rows by pronoun, ``names`` by person."""
        features = np.asarray(features)
        if len(features) == 0:
            return np.zeros(0, dtype=np.float64)
        stacked = choice_features(self.pair_scores(features), features, pronouns, names)
        return 1.0 / (1.0 + np.exp(-self.choice.logit(stacked)))

    def to_json(self) -> dict:
        return {"format": FORMAT, "pair": self.pair.to_json(), "choice": self.choice.to_json(),
                "threshold": self.threshold, "provenance": self.provenance}

    @classmethod
    def from_json(cls, data: dict) -> "CorefModel":
        if data.get("format") != FORMAT:
            raise ValueError(f"{MODEL_PATH.name} is not a {FORMAT} resolver: run 'factcheck train coref'")
        return cls(Logistic.from_json(data["pair"]), Logistic.from_json(data["choice"]), float(data["threshold"]),
                   data.get("provenance", {}))

    def save(self, path: Path = MODEL_PATH) -> None:
        Path(path).write_text(json.dumps(self.to_json(), separators=(",", ":")))


_lock = threading.Lock()
_model: CorefModel | None = None


def shipped_coref_model() -> CorefModel:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = CorefModel.from_json(json.loads(MODEL_PATH.read_text()))
    return _model
