"""The GAP coreference benchmark (Webster et al., 2018): reading its TSV
files, turning rows into (pronoun, candidate) pairs, and scoring decisions
as GAP's own scorer does (precision, recall and F1 of the TRUE decisions,
overall and by the pronoun's gender, and bias = F1 feminine / F1 masculine)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from factcheck.coref.features import pronoun_gender

__all__ = ["GapRow", "Scores", "read_gap", "score_gap"]


@dataclass(frozen=True)
class GapRow:
    id: str
    text: str
    pronoun: str
    pronoun_offset: int
    a: str
    a_offset: int
    a_coref: bool
    b: str
    b_offset: int
    b_coref: bool

    @property
    def gender(self) -> str | None:
        return pronoun_gender(self.pronoun)


_COLUMNS = ("ID", "Text", "Pronoun", "Pronoun-offset", "A", "A-offset", "A-coref", "B", "B-offset", "B-coref")


def _truth(value: str, path: Path, row_id: str) -> bool:
    value = value.strip().upper()
    if value not in ("TRUE", "FALSE"):
        raise ValueError(f"{path}: row {row_id}: a coref column must be TRUE or FALSE, not {value!r}")
    return value == "TRUE"


def read_gap(path: Path) -> list[GapRow]:
    """Rows of a GAP TSV file (with its header line)."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [column for column in _COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: not a GAP file (missing columns: {', '.join(missing)})")
        rows = []
        for record in reader:
            row = GapRow(
                id=record["ID"], text=record["Text"], pronoun=record["Pronoun"],
                pronoun_offset=int(record["Pronoun-offset"]), a=record["A"], a_offset=int(record["A-offset"]),
                a_coref=_truth(record["A-coref"], path, record["ID"]), b=record["B"],
                b_offset=int(record["B-offset"]), b_coref=_truth(record["B-coref"], path, record["ID"]),
            )
            for name, offset in ((row.pronoun, row.pronoun_offset), (row.a, row.a_offset), (row.b, row.b_offset)):
                if row.text[offset : offset + len(name)] != name:
                    raise ValueError(f"{path}: row {row.id}: {name!r} is not at offset {offset}")
            rows.append(row)
    return rows


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int

    def as_dict(self) -> dict:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.true_positives, "fp": self.false_positives, "fn": self.false_negatives}


def _scores(pairs: list[tuple[bool, bool]]) -> Scores:
    tp = sum(1 for gold, predicted in pairs if gold and predicted)
    fp = sum(1 for gold, predicted in pairs if not gold and predicted)
    fn = sum(1 for gold, predicted in pairs if gold and not predicted)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, tp, fp, fn)


def score_gap(rows: list[GapRow], decisions: dict[str, tuple[bool, bool]]) -> dict:
    """GAP's scoring: every row contributes two decisions (A and B); a row
    without a decision counts as FALSE, FALSE (abstaining)."""
    by_gender: dict[str, list[tuple[bool, bool]]] = {"overall": [], "masculine": [], "feminine": []}
    for row in rows:
        a, b = decisions.get(row.id, (False, False))
        pairs = [(row.a_coref, a), (row.b_coref, b)]
        by_gender["overall"].extend(pairs)
        if row.gender:
            by_gender[row.gender].extend(pairs)
    result = {name: _scores(pairs) for name, pairs in by_gender.items()}
    masculine = result["masculine"].f1
    return {
        "rows": len(rows),
        **{name: scores.as_dict() for name, scores in result.items()},
        "bias": round(result["feminine"].f1 / masculine, 4) if masculine else None,
    }
