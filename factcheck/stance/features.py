"""Features of a (claim, evidence) pair, shared by training and prediction.

The embedding part, [u, v, |u-v|, u*v] (InferSent's pair encoding), lets a
linear model see what the two texts are about and where they differ. Sentence
embeddings barely register negation or direction ("sea levels rise" and "sea
levels fall" are near neighbours), so a few explicit cues are added.
Changing anything here changes ``FEATURES_VERSION``: shipped parameters say
which version they were trained on and are refused by another.
"""
from __future__ import annotations

import re

import numpy as np

FEATURES_VERSION = "uv-absdiff-prod+cues-1"

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
NEGATIONS = frozenset("""
not no never none nobody nothing neither nor without cannot can't don't doesn't didn't isn't aren't wasn't
weren't won't wouldn't shouldn't couldn't hasn't haven't hadn't lack lacks lacking fail fails failed false
myth deny denies denied unlikely
""".split())
CONTRAST = frozenset("however but although though despite contrary myth misconception debunked disputed "
                     "contradict contradicts rejected".split())
# Word beginnings that say which way something moves.
_UP = ("increas", "rise", "rising", "rose", "risen", "grow", "grew", "expand", "gain", "higher", "more",
       "warmer", "accelerat", "melt", "thicker", "strong", "boost")
_DOWN = ("decreas", "fall", "fell", "declin", "drop", "shrink", "shrank", "reduc", "lower", "less", "fewer",
         "cool", "slow", "loss", "lost", "thinner", "weak", "stabl")
_STOP = frozenset("the a an of to in and or is are was were be been by for on at as with that this it its from "
                  "has have had will would than which".split())
CUE_NAMES = ("cosine", "claim_negations", "evidence_negations", "negation_mismatch", "direction_conflict",
             "direction_agreement", "word_overlap", "number_mismatch", "evidence_contrast")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def _directions(words: list[str]) -> tuple[bool, bool]:
    return (any(w.startswith(_UP) for w in words), any(w.startswith(_DOWN) for w in words))


def cues(claim: str, evidence: str, cosine: float) -> list[float]:
    cw, ew = _words(claim), _words(evidence)
    claim_neg = min(sum(w in NEGATIONS or w.endswith("n't") for w in cw), 3)
    evidence_neg = min(sum(w in NEGATIONS or w.endswith("n't") for w in ew), 3)
    claim_up, claim_down = _directions(cw)
    evidence_up, evidence_down = _directions(ew)
    content_c, content_e = set(cw) - _STOP, set(ew) - _STOP
    overlap = len(content_c & content_e) / max(1, len(content_c | content_e))
    claim_numbers, evidence_numbers = set(_NUMBER.findall(claim)), set(_NUMBER.findall(evidence))
    return [
        cosine,
        float(claim_neg),
        float(evidence_neg),
        float((claim_neg > 0) != (evidence_neg > 0)),
        float((claim_up and evidence_down and not evidence_up) or (claim_down and evidence_up and not evidence_down)),
        float((claim_up and evidence_up) or (claim_down and evidence_down)),
        overlap,
        float(bool(claim_numbers) and bool(evidence_numbers) and not claim_numbers & evidence_numbers),
        float(any(w in CONTRAST for w in ew)),
    ]


def pair_features(claim_vectors: np.ndarray, evidence_vectors: np.ndarray, claims: list[str],
                  evidences: list[str]) -> np.ndarray:
    """One row per pair: [u, v, |u-v|, u*v, cues]; vectors are L2-normalised embeddings."""
    u = np.asarray(claim_vectors, dtype=np.float32)
    v = np.asarray(evidence_vectors, dtype=np.float32)
    cosines = np.einsum("ij,ij->i", u, v)
    cue_rows = np.asarray([cues(c, e, float(s)) for c, e, s in zip(claims, evidences, cosines)],
                          dtype=np.float32).reshape(len(claims), len(CUE_NAMES))
    return np.hstack([u, v, np.abs(u - v), u * v, cue_rows])
