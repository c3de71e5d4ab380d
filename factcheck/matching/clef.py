"""CheckThat! claim-retrieval files and ranking metrics.

Formats (as in the CLEF 2020 task 2 release): TAB-separated UTF-8 files with a
header row, the id in the first column and the text in the second; the
collection's third column is a title. Some fields are quoted, so a real CSV
reader is used. Qrels are TREC-style lines ``query_id 0 doc_id relevance``
without a header. Ids are kept as strings.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from factcheck.domain.errors import ValidationFailed

CUTOFFS = ("map@1", "map@3", "map@5", "mrr", "p@1", "recall@10", "recall@100")


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    title: str


def _rows(path: str | Path, min_columns: int) -> list[list[str]]:
    csv.field_size_limit(10_000_000)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    if not rows:
        raise ValidationFailed(f"{path} is empty.", {"file": "empty"})
    rows = rows[1:]  # the header
    for number, row in enumerate(rows, start=2):
        if len(row) < min_columns or not row[0].strip():
            raise ValidationFailed(f"{path}, line {number}: expected an id and {min_columns - 1} text column(s).",
                                   {"file": "format"})
    return rows


def read_collection(path: str | Path) -> list[Document]:
    return [Document(r[0].strip(), r[1], r[2] if len(r) > 2 else "") for r in _rows(path, 2)]


def read_queries(path: str | Path) -> list[tuple[str, str]]:
    return [(r[0].strip(), r[1]) for r in _rows(path, 2)]


def read_qrels(path: str | Path) -> dict[str, set[str]]:
    """Relevant document ids per query (lines with relevance > 0)."""
    relevant: dict[str, set[str]] = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise ValidationFailed(f"{path}, line {number}: expected 'query_id 0 doc_id relevance'.",
                                       {"file": "format"})
            query_id, _, doc_id, relevance = parts
            if float(relevance) > 0:
                relevant.setdefault(query_id, set()).add(doc_id)
    return relevant


def average_precision_at(ranking: list[str], relevant: set[str], k: int) -> float:
    """AP@k: mean precision at each relevant hit in the top k, over min(|relevant|, k)."""
    hits, total = 0, 0.0
    for position, doc_id in enumerate(ranking[:k], start=1):
        if doc_id in relevant:
            hits += 1
            total += hits / position
    return total / min(len(relevant), k)


def metrics(rankings: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    """Mean metrics over the queries that have relevant documents (a missing ranking scores 0)."""
    judged = [q for q in qrels if qrels[q]]
    if not judged:
        raise ValidationFailed("The qrels list no relevant documents.", {"qrels": "empty"})
    sums = dict.fromkeys(CUTOFFS, 0.0)
    for query_id in judged:
        ranking, relevant = rankings.get(query_id, []), qrels[query_id]
        for k in (1, 3, 5):
            sums[f"map@{k}"] += average_precision_at(ranking, relevant, k)
        first = next((i for i, doc_id in enumerate(ranking, start=1) if doc_id in relevant), None)
        sums["mrr"] += 1.0 / first if first else 0.0
        sums["p@1"] += 1.0 if ranking[:1] and ranking[0] in relevant else 0.0
        for k in (10, 100):
            sums[f"recall@{k}"] += len(set(ranking[:k]) & relevant) / len(relevant)
    return {name: round(total / len(judged), 4) for name, total in sums.items()}
