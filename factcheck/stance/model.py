"""Load shipped stance parameters and predict with numpy (no scikit-learn at run time)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from factcheck.stance.features import FEATURES_VERSION, pair_features

log = logging.getLogger(__name__)

LABELS = ("supports", "refutes", "neither")
FORMAT = "factcheck-stance"
#: Below this probability no hint is shown: a weak guess is worse than none.
HINT_MIN_PROBABILITY = 0.5
_WORDING = {"supports": "may support", "refutes": "may refute"}


@dataclass(frozen=True)
class StanceHint:
    label: str  # supports | refutes | neither
    probability: float

    @property
    def shown(self) -> bool:
        return self.label in _WORDING and self.probability >= HINT_MIN_PROBABILITY

    @property
    def wording(self) -> str:
        """What the UI says: "may support" / "may refute" — a hint, never a verdict."""
        return _WORDING.get(self.label, "")


class StanceModel:
    """Standardise, then multinomial logistic regression: softmax(z @ coef.T + intercept)."""

    def __init__(self, params: dict):
        if params.get("format") != FORMAT or params.get("features") != FEATURES_VERSION:
            raise ValueError(f"Not stance parameters for features {FEATURES_VERSION!r}.")
        self.params = params
        self.labels = tuple(params["labels"])
        self.embedding_model = params["embedding_model"]
        self.mean = np.asarray(params["mean"], dtype=np.float32)
        self.scale = np.asarray(params["scale"], dtype=np.float32)
        self.coef = np.asarray(params["coef"], dtype=np.float32)
        self.intercept = np.asarray(params["intercept"], dtype=np.float32)

    @property
    def provenance(self) -> dict:
        return self.params.get("provenance", {})

    @property
    def cv(self) -> dict:
        return self.params.get("cv", {})

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        logits = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)

    def hints(self, claim_vectors: np.ndarray, evidence_vectors: np.ndarray, claims: list[str],
              evidences: list[str]) -> list[StanceHint]:
        if not claims:
            return []
        probabilities = self.predict_proba(pair_features(claim_vectors, evidence_vectors, claims, evidences))
        best = probabilities.argmax(axis=1)
        return [StanceHint(self.labels[i], round(float(p[i]), 3)) for i, p in zip(best, probabilities)]


def bundled_path() -> Path:
    return Path(str(resources.files("factcheck.data").joinpath("stance.json")))


@lru_cache(maxsize=4)
def _load(path: str) -> StanceModel:
    return StanceModel(json.loads(Path(path).read_text("utf-8")))


def model_for(settings, embedding_model_id: str) -> StanceModel | None:
    """The configured stance model, or None when there is none for this embedding model.

    Hints are features of the embedding space they were trained in: with another
    embedding model they would be noise, so none are given.
    """
    path = settings.stance_model or str(bundled_path())
    try:
        model = _load(path)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("No stance hints: cannot load %s (%s).", path, exc)
        return None
    if model.embedding_model != embedding_model_id:
        log.warning("No stance hints: %s was trained on %s embeddings, the app uses %s.", path,
                    model.embedding_model, embedding_model_id)
        return None
    return model
