"""Readers for the public check-worthiness benchmarks in ``shared/data``.

Every reader returns `LabelledSentence` rows in file order; `document` groups
the rows that are ranked together (one debate file, or the whole tweet file),
which is what the official measures average over.
"""
from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FORMATS", "LabelledSentence", "file_sha256", "read_claimbuster", "read_clef_debate",
           "read_clef_tweets"]


@dataclass(frozen=True)
class LabelledSentence:
    text: str
    label: int  # 1 = check-worthy
    document: str


def read_claimbuster(path: Path) -> list[LabelledSentence]:
    """A JSON list of ``{"sentence_id", "label", "text"}``."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    return [LabelledSentence(row["text"], int(row["label"]), Path(path).stem) for row in rows]


def read_clef_debate(path: Path) -> list[LabelledSentence]:
    """CheckThat! 2020 task 5: TSV without header, ``line_number, speaker, text, label``."""
    rows = []
    with open(path, encoding="utf-8", newline="") as handle:
        for line in handle:
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            _number, _speaker, text, label = line.split("\t")
            rows.append(LabelledSentence(text, int(label), Path(path).stem))
    return rows


def read_clef_tweets(path: Path) -> list[LabelledSentence]:
    """CheckThat! 2020 task 1: TSV with a header; text in the 4th column, label in the last.

    Tweets contain unbalanced quote marks, so quotes carry no meaning here.
    """
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)  # header
        return [LabelledSentence(row[3], int(row[-1]), Path(path).stem) for row in reader if row]


#: Format name (as in ``factcheck eval checkworthiness --format``) -> reader.
FORMATS = {
    "clef-debates": read_clef_debate,
    "clef-tweets": read_clef_tweets,
    "claimbuster": read_claimbuster,
}


def file_sha256(path: Path) -> str:
    """Identity of a data file in the model's provenance (names can change; bytes cannot)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
