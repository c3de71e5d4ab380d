"""The pronoun resolver: gradient-boosted trees over (pronoun, candidate)
pair features, trained on GAP by `factcheck.coref.training`, with a decision
threshold chosen on GAP validation for precision. Its trees, threshold and
provenance (which files it was trained and tuned on, with SHA-256) ship in
``factcheck/data/coref.json``; prediction walks the trees here in numpy, so
no pickled estimator is loaded at run time."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from factcheck.coref.features import PARSE_FEATURES

__all__ = ["MODEL_PATH", "CorefModel", "shipped_coref_model", "summarise"]

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "coref.json"
_LAYER_DIM = 384


def summarise(features: np.ndarray) -> np.ndarray:
    """Reduce `features.pair_vector` rows to what the trees use: the parse
    features, and per transformer layer the dot product and L1 distance of
    the pronoun's and the candidate's token vectors (the raw 384-d products
    over-fit 3,000 training pairs)."""
    parse = len(PARSE_FEATURES)
    product = features[:, parse : parse + 2 * _LAYER_DIM]
    difference = features[:, parse + 2 * _LAYER_DIM : parse + 4 * _LAYER_DIM]
    return np.column_stack([
        features[:, :parse],
        product[:, :_LAYER_DIM].sum(axis=1), product[:, _LAYER_DIM:].sum(axis=1),
        difference[:, :_LAYER_DIM].sum(axis=1), difference[:, _LAYER_DIM:].sum(axis=1),
    ]).astype(np.float64)


@dataclass
class CorefModel:
    baseline: float
    # One tree per boosting round: parallel lists of node fields.
    trees: list[dict]
    threshold: float  # a pronoun is replaced only when its best candidate scores at least this
    provenance: dict = field(default_factory=dict)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros(0, dtype=np.float64)
        x = summarise(np.asarray(features))
        raw = np.full(len(x), self.baseline)
        rows = np.arange(len(x))
        for tree in self.trees:
            node = np.zeros(len(x), dtype=np.int64)
            leaf = tree["is_leaf"]
            while True:
                active = ~leaf[node]
                if not active.any():
                    break
                current = node[active]
                values = x[rows[active], tree["feature"][current]]
                go_left = np.where(np.isnan(values), tree["missing_left"][current],
                                   values <= tree["threshold"][current])
                node[active] = np.where(go_left, tree["left"][current], tree["right"][current])
            raw += tree["value"][node]
        return 1.0 / (1.0 + np.exp(-raw))

    @classmethod
    def from_estimator(cls, estimator, threshold: float, provenance: dict | None = None) -> "CorefModel":
        """From a fitted sklearn HistGradientBoostingClassifier (binary, numeric features)."""
        trees = []
        for (predictor,) in estimator._predictors:
            nodes = predictor.nodes
            trees.append({"feature": nodes["feature_idx"].astype(np.int64),
                          "threshold": nodes["num_threshold"].astype(np.float64),
                          "missing_left": nodes["missing_go_to_left"].astype(bool),
                          "left": nodes["left"].astype(np.int64), "right": nodes["right"].astype(np.int64),
                          "is_leaf": nodes["is_leaf"].astype(bool), "value": nodes["value"].astype(np.float64)})
        baseline = float(np.ravel(estimator._baseline_prediction)[0])
        return cls(baseline, trees, threshold, provenance or {})

    def to_json(self) -> dict:
        return {"kind": "gradient-boosted trees", "baseline": self.baseline, "threshold": self.threshold,
                "trees": [{name: values.tolist() for name, values in tree.items()} for tree in self.trees],
                "provenance": self.provenance}

    @classmethod
    def from_json(cls, data: dict) -> "CorefModel":
        types = {"feature": np.int64, "threshold": np.float64, "missing_left": bool, "left": np.int64,
                 "right": np.int64, "is_leaf": bool, "value": np.float64}
        trees = [{name: np.asarray(tree[name], dtype=kind) for name, kind in types.items()} for tree in data["trees"]]
        return cls(float(data["baseline"]), trees, float(data["threshold"]), data.get("provenance", {}))

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
