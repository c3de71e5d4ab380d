"""Train the stance model on CLIMATE-FEVER, with cross-validation folds by claim.

Folds are by claim: the five evidence sentences of one claim are never split
between training and testing, or the model would be tested on claims it had
seen. The regularisation strength C is chosen inside each training part
(nested cross-validation), so the reported figures never come from data the
model, or its hyper-parameter choice, was fitted on. The shipped parameters
are then fitted on the whole file with C chosen the same way.

Fold assignment hashes the claim id (with a salt: the dev subset itself was cut
by ``sha256(claim_id) % 5``, so the plain hash would put every dev claim in
one fold) and is independent of library versions, so ``factcheck train
stance`` reproduces the shipped file.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from factcheck.domain.errors import ValidationFailed
from factcheck.stance import climate_fever
from factcheck.stance.features import CUE_NAMES, FEATURES_VERSION, pair_features
from factcheck.stance.model import FORMAT, LABELS

C_GRID = (0.00003, 0.0001, 0.0003, 0.001)
FOLDS = 5
INNER_FOLDS = 3


def fold_of(claim_id: str, folds: int, salt: str = "stance") -> int:
    return int(hashlib.sha256(f"{salt}:{claim_id}".encode("utf-8")).hexdigest(), 16) % folds


def featurize(claims: list[climate_fever.Claim], embedder) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, label indices and claim ids of every (claim, evidence) pair."""
    claim_texts, evidence_texts, stances, groups = climate_fever.pairs(claims)
    unique = list(dict.fromkeys(claim_texts + evidence_texts))
    vectors = dict(zip(unique, embedder.encode(unique)))
    features = pair_features(np.stack([vectors[t] for t in claim_texts]),
                             np.stack([vectors[t] for t in evidence_texts]), claim_texts, evidence_texts)
    return features, np.asarray([LABELS.index(s) for s in stances]), np.asarray(groups)


def _fit(features: np.ndarray, labels: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(features)
    # Balanced class weights: refuting evidence is rare, and macro-F1 weighs it equally.
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    model.fit(scaler.transform(features), labels)
    return scaler, model


def _fit_predict(train_features: np.ndarray, train_labels: np.ndarray, test_features: np.ndarray,
                 c: float) -> np.ndarray:
    if len(np.unique(train_labels)) < 2:
        # A tiny training part with one label: predicting it is all a model could learn.
        return np.full(len(test_features), train_labels[0])
    scaler, model = _fit(train_features, train_labels, c)
    return model.predict(scaler.transform(test_features))


def macro_f1(truth, predicted) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, predicted, labels=list(range(len(LABELS))), average="macro", zero_division=0))


def choose_c(features: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> float:
    """The C with the best macro-F1 in an inner cross-validation by claim."""
    folds = np.asarray([fold_of(g, INNER_FOLDS, salt="stance-inner") for g in groups])
    scores = {}
    for c in C_GRID:
        # Pairs no inner fold can test (only in tiny files) count as the most common label.
        predicted = np.full_like(labels, np.bincount(labels).argmax())
        for fold in range(INNER_FOLDS):
            test = folds == fold
            if test.any() and (~test).any():
                predicted[test] = _fit_predict(features[~test], labels[~test], features[test], c)
        scores[c] = macro_f1(labels, predicted)
    return max(C_GRID, key=lambda c: (scores[c], -c))


def cross_validated_predictions(features: np.ndarray, labels: np.ndarray, groups: np.ndarray,
                                folds: int = FOLDS, fold_c: list[float] | None = None
                                ) -> tuple[np.ndarray, list[float]]:
    """Each pair's label as predicted by a model (and a C) fitted without its claim.

    Returns the predictions and the C of each fold. ``fold_c`` (from a
    training run on the same file) skips the inner search: those values were
    chosen without the fold they are used on, so reusing them is just as fair.
    """
    fold_ids = np.asarray([fold_of(g, folds) for g in groups])
    if len(set(fold_ids.tolist())) < 2:
        raise ValidationFailed("Too few claims for cross-validation: every claim fell into one fold.")
    predicted = np.empty_like(labels)
    chosen: list[float] = []
    for fold in range(folds):
        test = fold_ids == fold
        train = ~test
        c = fold_c[fold] if fold_c else choose_c(features[train], labels[train], groups[train])
        chosen.append(c)
        if test.any():
            predicted[test] = _fit_predict(features[train], labels[train], features[test], c)
    return predicted, chosen


def report(labels: np.ndarray, predicted: np.ndarray) -> dict:
    from sklearn.metrics import confusion_matrix, f1_score

    per_class = f1_score(labels, predicted, labels=list(range(len(LABELS))), average=None, zero_division=0)
    return {
        "macro_f1": round(macro_f1(labels, predicted), 4),
        "accuracy": round(float((labels == predicted).mean()), 4),
        "f1": {label: round(float(score), 4) for label, score in zip(LABELS, per_class)},
        "confusion": {"rows_truth_columns_predicted": list(LABELS),
                      "matrix": confusion_matrix(labels, predicted, labels=list(range(len(LABELS)))).tolist()},
    }


def train(data: str | Path, embedder, *, folds: int = FOLDS) -> dict:
    """Cross-validate, then fit on the whole file; returns the parameters to save as JSON."""
    import sklearn

    claims = climate_fever.load(data)
    features, labels, groups = featurize(claims, embedder)
    predicted, fold_c = cross_validated_predictions(features, labels, groups, folds)
    c = choose_c(features, labels, groups)
    scaler, model = _fit(features, labels, c)
    order = [list(model.classes_).index(i) for i in range(len(LABELS))]
    return {
        "format": FORMAT,
        "features": FEATURES_VERSION,
        "cue_names": list(CUE_NAMES),
        "labels": list(LABELS),
        "embedding_model": embedder.model_id,
        "C": c,
        "mean": _rounded(scaler.mean_),
        "scale": _rounded(scaler.scale_),
        "coef": [_rounded(model.coef_[i]) for i in order],
        "intercept": _rounded(model.intercept_[order]),
        "provenance": {
            "data": Path(data).name,
            "data_sha256": climate_fever.file_sha256(data),
            "claims": len(claims),
            "pairs": int(len(labels)),
            "source": "CLIMATE-FEVER (Diggelmann et al. 2020), github.com/tdiggelm/climate-fever-dataset",
            "command": f"factcheck train stance --data {Path(data).name}",
            "trained_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "scikit_learn": sklearn.__version__,
        },
        "cv": {"folds": folds, "grouped_by": "claim", "c_grid": list(C_GRID), "fold_c": fold_c,
               **report(labels, predicted)},
    }


def _rounded(values) -> list[float]:
    # Seven significant digits: float32 precision, and a reviewable file size.
    return [float(f"{v:.7g}") for v in np.asarray(values, dtype=np.float64)]
