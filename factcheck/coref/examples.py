"""GAP rows turned into classifier inputs (two per row: pronoun-A, pronoun-B)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from factcheck.coref.encoder import token_encoder
from factcheck.coref.features import pair_vector, parse_features
from factcheck.coref.gap import GapRow
from factcheck.coref.parsing import parse_many

__all__ = ["gap_examples", "person_spans"]


def person_spans(doc, extra=()) -> list:
    """Named people of a parsed text: spaCy's PERSON entities plus any given
    spans (GAP's candidates), without overlaps, in text order."""
    spans = list(extra)
    for entity in doc.ents:
        if entity.label_ == "PERSON" and not any(entity.start < s.end and s.start < entity.end for s in spans):
            spans.append(entity)
    return sorted(spans, key=lambda span: span.start)


def _span(doc, start: int, text: str):
    return doc.char_span(start, start + len(text), alignment_mode="expand")


def gap_examples(rows: list[GapRow], progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """X with one row per decision (A then B for each GAP row) and y (TRUE = 1)."""
    encoder = token_encoder()
    features, labels = [], []
    texts = [row.text for row in rows]
    token_vectors = encoder.encode(texts, [[(r.pronoun_offset, r.pronoun_offset + len(r.pronoun)),
                                            (r.a_offset, r.a_offset + len(r.a)),
                                            (r.b_offset, r.b_offset + len(r.b))] for r in rows])
    for index, (row, doc) in enumerate(zip(rows, parse_many(texts))):
        pronoun = _span(doc, row.pronoun_offset, row.pronoun)[0]
        a, b = _span(doc, row.a_offset, row.a), _span(doc, row.b_offset, row.b)
        persons = person_spans(doc, [a, b] if a.start >= b.end or b.start >= a.end else [a])
        vectors = token_vectors[index]
        for candidate, vector, gold in ((a, vectors[1], row.a_coref), (b, vectors[2], row.b_coref)):
            features.append(pair_vector(parse_features(doc, pronoun, candidate, persons), vectors[0], vector))
            labels.append(int(gold))
        if progress:
            progress(1)
    return np.stack(features), np.asarray(labels)
