"""Train and evaluate the pronoun resolver on GAP.

Data use (nothing held out is ever tuned on):

- training: the rows of ``gap-development.tsv`` numbered up to
  ``TRAIN_ROWS`` (development-1 ... development-1500);
- tuning: ``gap-validation.tsv`` chooses the pair model's regularisation and the
  decision threshold (the highest F1 whose precision is at least
  ``TARGET_PRECISION``);
- held out: the remaining development rows, written to their own TSV file
  so ``factcheck eval coref`` can score them. The figures reported for the
  resolver are the held-out file's.

The model refuses to be evaluated on the files or rows it was trained or
tuned on (by SHA-256 of the file, and by GAP row id).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from factcheck.coref.examples import gap_examples
from factcheck.coref.gap import GapRow, read_gap, score_gap
from factcheck.coref.encoder import LAYERS
from factcheck.coref.model import CorefModel, Logistic, choice_features

__all__ = ["NotHeldOut", "TARGET_PRECISION", "TRAIN_ROWS", "check_held_out", "decide", "evaluate_gap",
           "gap_probabilities", "train_resolver"]

TRAIN_ROWS = 1500
# Validation precision the threshold must reach: above the goal of 0.90, so held-out text keeps it too.
TARGET_PRECISION = 0.92
# The pair model's 1,562 inputs (two 768-d products of token vectors) over-fit 3,000 pairs unless strongly
# regularised; its strength is chosen between these on validation.
_PAIR_C = (0.0002, 0.0005, 0.001)
_CHOICE_C = 0.1
_FOLDS = 5


class NotHeldOut(ValueError):
    """The evaluation file is (or contains) data the model was trained or tuned on."""


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _row_number(row: GapRow) -> int:
    return int(row.id.rsplit("-", 1)[-1])


def decide(rows: list[GapRow], probabilities: np.ndarray, threshold: float) -> dict[str, tuple[bool, bool]]:
    """A row's decision as the app makes it: at most one candidate, the more
    probable one, and only when it reaches the threshold (else abstain)."""
    decisions = {}
    for index, row in enumerate(rows):
        a, b = probabilities[2 * index], probabilities[2 * index + 1]
        decisions[row.id] = (bool(a >= threshold and a >= b), bool(b >= threshold and b > a))
    return decisions


def _choose_threshold(rows: list[GapRow], probabilities: np.ndarray) -> tuple[float, dict]:
    best = None
    for threshold in np.arange(0.30, 0.99, 0.01):
        scores = score_gap(rows, decide(rows, probabilities, float(threshold)))
        overall = scores["overall"]
        if overall["precision"] >= TARGET_PRECISION and (best is None or overall["f1"] > best[1]["overall"]["f1"]):
            best = (round(float(threshold), 2), scores)
    if best is None:  # never precise enough: the strictest threshold, so little is replaced
        threshold = 0.98
        return threshold, score_gap(rows, decide(rows, probabilities, threshold))
    return best


def _cached_examples(rows: list[GapRow], cache: Path | None, progress) -> tuple[np.ndarray, np.ndarray]:
    """GAP examples, kept in an .npz between runs when ``cache`` is given
    (keyed by the rows' content, so a changed file is recomputed)."""
    if cache is None:
        return gap_examples(rows, progress)
    key = hashlib.sha256(repr([(r.id, r.text, r.pronoun_offset, r.a_offset, r.b_offset) for r in rows]).encode()
                         ).hexdigest()[:16]
    path = cache.with_name(f"{cache.stem}-{key}.npz")
    if path.exists():
        data = np.load(path)
        if progress:
            progress(len(rows))
        return data["x"], data["y"]
    x, y = gap_examples(rows, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=x, y=y)
    return x, y


def _gap_groups(pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """GAP examples come two per row (A, then B): the pronoun is the row, A and B are two people."""
    return np.arange(pairs) // 2, np.tile(np.array(["A", "B"]), pairs // 2)


def gap_probabilities(model: CorefModel, features: np.ndarray) -> np.ndarray:
    return model.probabilities(features, *_gap_groups(len(features)))


def _fit_logistic(x: np.ndarray, y: np.ndarray, c: float) -> Logistic:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    estimator = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(x), y)
    return Logistic.from_estimator(scaler, estimator)


def _choice_training_set(pair_scores: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every GAP pair as it is (two people), plus each candidate alone (as if
    nobody else were named), so the choice model also knows single candidates."""
    pronouns, names = _gap_groups(len(x))
    both = choice_features(pair_scores, x, pronouns, names)
    alone = choice_features(pair_scores, x, np.arange(len(x)), names)
    return np.vstack([both, alone]), np.concatenate([y, y])


def train_resolver(development: Path, validation: Path, heldout_output: Path,
                   progress: Callable[[int], None] | None = None, command: str = "",
                   feature_cache: Path | None = None) -> tuple[CorefModel, dict]:
    from sklearn.model_selection import KFold

    all_rows = read_gap(development)
    train_rows = [row for row in all_rows if _row_number(row) <= TRAIN_ROWS]
    heldout_rows = [row for row in all_rows if _row_number(row) > TRAIN_ROWS]
    validation_rows = read_gap(validation)
    x_train, y_train = _cached_examples(train_rows, feature_cache, progress)
    x_validation, _ = _cached_examples(validation_rows, feature_cache, progress)
    x_heldout, _ = _cached_examples(heldout_rows, feature_cache, progress)

    best = None
    for c in _PAIR_C:
        # The choice model learns from pair scores the pair model gives rows it was not fitted on
        # (out-of-fold), as it will see them at run time; folds keep a row's A and B together.
        out_of_fold = np.zeros(len(x_train))
        for fit_rows, score_rows in KFold(_FOLDS, shuffle=True, random_state=0).split(np.arange(len(train_rows))):
            fit_index = np.concatenate([2 * fit_rows, 2 * fit_rows + 1])
            score_index = np.concatenate([2 * score_rows, 2 * score_rows + 1])
            out_of_fold[score_index] = _fit_logistic(x_train[fit_index], y_train[fit_index], c).logit(
                x_train[score_index])
        choice = _fit_logistic(*_choice_training_set(out_of_fold, x_train, y_train), _CHOICE_C)
        model = CorefModel(_fit_logistic(x_train, y_train, c), choice, 0.5)
        threshold, scores = _choose_threshold(validation_rows, gap_probabilities(model, x_validation))
        if best is None or scores["overall"]["f1"] > best[2]["overall"]["f1"]:
            model.threshold = threshold
            best = (model, c, scores)
    model, setting, validation_scores = best

    heldout_output.parent.mkdir(parents=True, exist_ok=True)
    header, *lines = Path(development).read_text(encoding="utf-8").splitlines()
    kept = {row.id for row in heldout_rows}
    heldout_output.write_text("\n".join([header] + [line for line in lines if line.split("\t", 1)[0] in kept]) + "\n",
                              encoding="utf-8")
    heldout_scores = score_gap(heldout_rows, decide(heldout_rows, gap_probabilities(model, x_heldout), model.threshold))
    model.provenance = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "features": (f"spaCy en_core_web_sm parse features + all-mpnet-base-v2 token vectors (layer {LAYERS}, "
                     "bfloat16): product, absolute difference, cosine"),
        "pair_model_c": setting,
        "trained_on": [{"file": Path(development).name, "sha256": file_sha256(development),
                        "rows": f"{train_rows[0].id} .. {train_rows[-1].id}"}],
        "trained_row_ids": sorted(row.id for row in train_rows),
        "tuned_on": [{"file": Path(validation).name, "sha256": file_sha256(validation),
                      "what": "pair model regularisation and decision threshold"}],
        "tuned_row_ids": sorted(row.id for row in validation_rows),
        "held_out": {"file": heldout_output.name, "sha256": file_sha256(heldout_output),
                     "rows": f"{heldout_rows[0].id} .. {heldout_rows[-1].id}"},
        "metrics": {"validation (tuned on)": validation_scores, "held-out development": heldout_scores},
    }
    return model, model.provenance["metrics"]


def check_held_out(model: CorefModel, path: Path, rows: list[GapRow]) -> None:
    """:raises NotHeldOut: when the file, or any of its rows, was trained or tuned on."""
    digest = file_sha256(path)
    provenance = model.provenance
    for role in ("trained_on", "tuned_on"):
        for entry in provenance.get(role, []):
            if entry["sha256"] == digest:
                raise NotHeldOut(f"{path} is {entry['file']}, which the resolver was "
                                 f"{'trained' if role == 'trained_on' else 'tuned'} on: its figures would be "
                                 f"meaningless. Evaluate on the held-out file ({provenance.get('held_out', {}).get('file')}).")
    seen = set(provenance.get("trained_row_ids", [])) | set(provenance.get("tuned_row_ids", []))
    overlap = [row.id for row in rows if row.id in seen]
    if overlap:
        raise NotHeldOut(f"{path} contains {len(overlap)} rows the resolver was trained or tuned on "
                         f"(e.g. {overlap[0]}): evaluate on held-out rows only.")


def evaluate_gap(model: CorefModel, path: Path, progress: Callable[[int], None] | None = None) -> dict:
    rows = read_gap(path)
    check_held_out(model, path, rows)
    features, _ = gap_examples(rows, progress)
    return score_gap(rows, decide(rows, gap_probabilities(model, features), model.threshold)) | {
        "threshold": model.threshold}
