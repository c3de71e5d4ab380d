"""The measures the benchmarks report, on plain lists (pure, standard library).

Rankings sort by score, highest first; ties keep file order (a stable sort),
as the CheckThat! scorer does with its line numbers.
"""
from __future__ import annotations

from collections.abc import Sequence

__all__ = ["average_precision", "classification_scores", "precision_at_k", "r_precision", "ranked_labels"]


def ranked_labels(scores: Sequence[float], labels: Sequence[int]) -> list[int]:
    """The gold labels in the order of the ranking by score."""
    order = sorted(range(len(scores)), key=lambda index: -scores[index])
    return [labels[index] for index in order]


def average_precision(ranked: Sequence[int]) -> float:
    """Mean of the precision at each positive's rank (0.0 with no positives)."""
    hits, total = 0, 0.0
    for rank, label in enumerate(ranked, start=1):
        if label:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def precision_at_k(ranked: Sequence[int], k: int) -> float:
    """Positives among the first k, divided by k (the scorer divides by k even
    when a document is shorter)."""
    return sum(ranked[:k]) / k


def r_precision(ranked: Sequence[int]) -> float:
    """Precision at R, where R is the number of positives."""
    positives = sum(ranked)
    return precision_at_k(ranked, positives) if positives else 0.0


def classification_scores(predicted: Sequence[int], labels: Sequence[int]) -> dict[str, float]:
    """Precision, recall and F1 of the positive class."""
    true_positives = sum(1 for p, y in zip(predicted, labels) if p and y)
    predicted_positives, positives = sum(predicted), sum(labels)
    precision = true_positives / predicted_positives if predicted_positives else 0.0
    recall = true_positives / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
