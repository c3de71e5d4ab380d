"""A word and character n-gram scorer for tweets, in numpy (no scikit-learn at run time).

Tweets are short, noisy and about one topic: their spelling ("COVID-19",
"#coronavirus", "cases", "deaths") says as much as their meaning, which the
sentence embedding blurs. Cross-validation on the CheckThat! 2020 task 1
training tweets measured this scorer, added to the embedding model's logit,
above either alone (see `training`).

The terms are computed here for both training and scoring, so what a model was
trained on is exactly what it is applied to:

- word unigrams and bigrams (``w:``), of lower-cased runs of two or more word
  characters;
- character 2- to 5-grams inside each whitespace-separated token padded with
  one space on each side (``c:``), so they do not run across words.

Each block is TF-IDF weighted (``1 + log(count)`` times the inverse document
frequency of the training texts) and scaled to unit length on its own, then a
linear model scores the two blocks together.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np

__all__ = ["NgramScorer", "ngram_terms", "normalise_tweet"]

_WORD = re.compile(r"\w\w+")
# Links carry no words (t.co addresses are random), and the task 1 files write
# some as "<link>".
_LINK = re.compile(r"https?://\S+|\bpic\.twitter\.com/\S+|\bwww\.\S+|<link>", re.IGNORECASE)
_TAG = re.compile(r"[@#](?=\w)")
CHAR_SIZES = range(2, 6)


def normalise_tweet(text: str) -> str:
    """A tweet's words: links dropped, "@" and "#" signs dropped from handles
    and hashtags (their words stay), and the doubled quotes of a TSV field
    quoted as a whole undone."""
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('""', '"')
    return " ".join(_TAG.sub("", _LINK.sub(" ", text)).split())


def ngram_terms(text: str) -> Counter:
    """Counts of the word and character n-grams of a text, prefixed by block."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    terms: Counter = Counter(f"w:{word}" for word in words)
    terms.update(f"w:{first} {second}" for first, second in pairwise(words))
    for token in lowered.split():
        padded = f" {token} "
        for size in CHAR_SIZES:
            if size > len(padded):
                break
            terms.update(f"c:{padded[i:i + size]}" for i in range(len(padded) - size + 1))
    return terms


class NgramScorer:
    """Linear model over TF-IDF n-grams: ``terms``, ``idf`` and ``weights`` are
    aligned lists; ``bias`` is the intercept."""

    def __init__(self, parameters: Mapping):
        self.terms: list[str] = list(parameters["terms"])
        self.index = {term: position for position, term in enumerate(self.terms)}
        self.idf = np.asarray(parameters["idf"], dtype=np.float64)
        self.weights = np.asarray(parameters["weights"], dtype=np.float64)
        self.bias = float(parameters["bias"])
        if not len(self.terms) == len(self.idf) == len(self.weights):
            raise ValueError("terms, idf and weights differ in length")
        self._word_block = np.array([term.startswith("w:") for term in self.terms])

    def rows(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text's (term positions, TF-IDF values), blocks scaled to unit length."""
        out = []
        for text in texts:
            counts = [(self.index[term], count) for term, count in ngram_terms(text).items() if term in self.index]
            positions = np.array([p for p, _ in counts], dtype=np.int64)
            values = np.array([(1.0 + math.log(c)) for _, c in counts], dtype=np.float64)
            if len(positions):
                values *= self.idf[positions]
                for block in (self._word_block[positions], ~self._word_block[positions]):
                    norm = np.sqrt((values[block] ** 2).sum())
                    if norm:
                        values[block] /= norm
            out.append((positions, values))
        return out

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.bias + float(values @ self.weights[positions]) for positions, values in self.rows(texts)],
                        dtype=np.float64)
