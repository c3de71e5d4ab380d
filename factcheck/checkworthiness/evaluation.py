"""Measure a check-worthiness model on benchmark files, as the benchmarks do.

The measures per format are those of the official scorers: per-document
ranking measures for debates (task 5), one ranking for tweets (task 1), and
positive-class F1 at the model's threshold plus average precision for
ClaimBuster.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import fmean

import numpy as np

from factcheck.checkworthiness.datasets import FORMATS, LabelledSentence, file_sha256
from factcheck.checkworthiness.features import sentence_features
from factcheck.checkworthiness.metrics import (
    average_precision,
    classification_scores,
    precision_at_k,
    r_precision,
    ranked_labels,
)
from factcheck.checkworthiness.model import CheckworthinessModel

__all__ = ["DOMAIN_OF_FORMAT", "METRICS", "TrainedOnEvaluationData", "claimbuster_metrics", "debate_metrics", "evaluate",
           "tweet_metrics"]

#: The keys each format reports, in order.
METRICS = {
    "clef-debates": ("map", "p@5", "p@10", "r-precision"),
    "clef-tweets": ("map", "p@5", "p@10"),
    "claimbuster": ("f1", "precision", "recall", "ap"),
}


class TrainedOnEvaluationData(ValueError):
    """The model was trained on a file it is asked to be evaluated on."""


def debate_metrics(documents: Sequence[Sequence[LabelledSentence]], scores: Sequence[Sequence[float]]) -> dict:
    """Task 5: each measure per document, averaged over documents with a positive."""
    per_document = []
    for rows, document_scores in zip(documents, scores):
        ranked = ranked_labels(list(document_scores), [row.label for row in rows])
        if sum(ranked):
            per_document.append({"map": average_precision(ranked), "p@5": precision_at_k(ranked, 5),
                                 "p@10": precision_at_k(ranked, 10), "r-precision": r_precision(ranked)})
    return {key: fmean(m[key] for m in per_document) if per_document else 0.0 for key in METRICS["clef-debates"]}


def tweet_metrics(rows: Sequence[LabelledSentence], scores: Sequence[float]) -> dict:
    """Task 1: one ranking over the whole file."""
    ranked = ranked_labels(list(scores), [row.label for row in rows])
    return {"map": average_precision(ranked), "p@5": precision_at_k(ranked, 5), "p@10": precision_at_k(ranked, 10)}


def claimbuster_metrics(rows: Sequence[LabelledSentence], scores: Sequence[float], threshold: float) -> dict:
    labels = [row.label for row in rows]
    measures = classification_scores([int(score >= threshold) for score in scores], labels)
    return {"f1": measures["f1"], "precision": measures["precision"], "recall": measures["recall"],
            "ap": average_precision(ranked_labels(list(scores), labels))}


def check_not_trained_on(model: CheckworthinessModel, paths: Sequence[Path]) -> None:
    """Refuse to evaluate on a file the model was trained on (matched by content hash).

    :raises TrainedOnEvaluationData: naming the file.
    """
    trained = {entry["sha256"]: entry["file"] for entry in model.provenance.get("trained_on", [])}
    for path in paths:
        name = trained.get(file_sha256(path))
        if name is not None:
            raise TrainedOnEvaluationData(
                f"{path} is {name}, which the model was trained on: its figures would be meaningless. "
                "Evaluate on held-out files (see the model's provenance), or retrain without it."
            )


#: The model's domain for each format: ClaimBuster is scored as prose, as the app scores articles.
DOMAIN_OF_FORMAT = {"clef-debates": "debates", "clef-tweets": "tweets", "claimbuster": "prose"}


def _scores(model: CheckworthinessModel, rows: Sequence[LabelledSentence],
            encode: Callable[[list[str]], np.ndarray], domain: str) -> np.ndarray:
    texts = [row.text for row in rows]
    return model.scores([sentence_features(text) for text in texts], encode(texts), texts=texts, domain=domain)


def evaluate(format_name: str, paths: Sequence[Path], *, model: CheckworthinessModel,
             encode: Callable[[list[str]], np.ndarray]) -> dict:
    """Score every sentence of the files and return the format's measures.

    :raises TrainedOnEvaluationData: if the model was trained on one of the files.
    """
    check_not_trained_on(model, paths)
    reader = FORMATS[format_name]
    domain = DOMAIN_OF_FORMAT[format_name]
    if format_name == "clef-debates":
        documents = [reader(path) for path in paths]
        return debate_metrics(documents, [_scores(model, rows, encode, domain) for rows in documents])
    rows = [row for path in paths for row in reader(path)]
    scores = _scores(model, rows, encode, domain)
    if format_name == "clef-tweets":
        return tweet_metrics(rows, scores)
    return claimbuster_metrics(rows, scores, model.threshold)
