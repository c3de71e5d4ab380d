"""The same-claim classifier: does a claim state the same claim as a fact-check?

The verifier (``calibration.Verifier``) weighs features of the pair taken
apart — cosine similarity of two separately embedded texts, words and numbers
in common — and cannot tell a fact-check of *the same* claim from one of a
neighbouring claim on the same subject (another fact-check of the same
politician's speech, of the same vaccine): on CheckThat! tweets with their
right fact-check removed, those neighbours are what it shows. This classifier
reads the claim and the candidate as one text ("claim [SEP] candidate"), so the
encoder attends across both as a cross-encoder does: all-MiniLM-L6-v2 with a
LoRA adapter (``lora_classifier``), fine-tuned on the CheckThat! 2020 training
tweets' candidates: each tweet's top ``TRAIN_TOP_K`` candidates, searched with
and without its right fact-check (any other is a negative, except a verbatim
copy of the right one's text: the collection holds a few).

Its logit is one more input of a second verifier, used for the candidates the
first one gives at least ``LibraryCalibration.pair_floor`` (most unrelated
candidates never reach the classifier, which keeps its cost to the plausible
ones). The classifier learns on three quarters of the training tweets and
the second verifier is fitted on the fourth (``split_queries``), so it is
fitted on logits of tweets the classifier never saw.

Not enabled in the shipped calibration: learnt on tweets, it misses claims
that a news article wraps in who said them where ("At a meeting on Tuesday,
X told the audience that the MMR vaccine causes autism." against "The MMR
vaccine causes autism.": logit -2.9). ``factcheck train calibration
--same-claim-adapter factcheck/data/same_claim_v1`` measures it (README).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from factcheck.lora_classifier import TunedClassifier, TuningConfig, adapter_sha256, fine_tune
from factcheck.coref.reported import reported_contents

#: The shipped adapter's folder in ``factcheck/data``.
ADAPTER_FOLDER = "same_claim_v1"
#: Its merged model in the model cache is named ``<this>-<adapter digest>``.
CACHE_NAME = "same-claim"
#: Candidates per training tweet (in each of its two searches) the classifier learns from.
TRAIN_TOP_K = 10
#: The training tweets are cut in this many parts: the classifier learns on all but ``HELD_PART``.
PARTS = 4
HELD_PART = 0
PART_SEED = 7
#: The LoRA settings of the wording classifier; pairs are longer than sentences, so 128 tokens.
CONFIG = TuningConfig(max_length=128)
_SEPARATOR = " [SEP] "


class AdapterMismatch(RuntimeError):
    """The adapter on disk is not the one the calibration was fitted with."""


def pair_text(claim: str, candidate: str) -> str:
    """One input text: the claim, the tokenizer's separator token, the candidate."""
    return f"{' '.join(claim.split())}{_SEPARATOR}{' '.join(candidate.split())}"


def split_queries(query_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the queries the classifier learns on, the held part the second verifier is fitted on), seeded."""
    ordered = sorted(query_ids)
    order = np.random.default_rng(PART_SEED).permutation(len(ordered))
    part = {ordered[i]: position % PARTS for position, i in enumerate(order)}
    return ([q for q in ordered if part[q] != HELD_PART], [q for q in ordered if part[q] == HELD_PART])


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def training_pairs(query_ids: Sequence[str], *, queries: dict[str, str], documents: dict[str, str],
                   relevant: dict[str, set[str]], normal: dict[str, list[tuple]], removed: dict[str, list[tuple]],
                   k: int = TRAIN_TOP_K) -> tuple[list[str], list[int]]:
    """Texts and labels from each query's top ``k`` of both searches (runs of (doc, score, features))."""
    texts, labels = [], []
    for q in query_ids:
        right = {_normalised(documents[d]) for d in relevant[q] if d in documents}
        for run, from_normal in ((normal, True), (removed, False)):
            for doc, *_ in run[q][:k]:
                label = from_normal and doc in relevant[q]
                if not label and _normalised(documents[doc]) in right:
                    continue  # a verbatim copy of the right fact-check is not a different claim
                texts.append(pair_text(queries[q], documents[doc]))
                labels.append(int(label))
    return texts, labels


def train(texts: Sequence[str], labels: Sequence[int], *, progress: Callable = lambda items, **_: items,
          config: TuningConfig = CONFIG) -> TunedClassifier:
    return fine_tune(texts, labels, config=config, progress=progress, description="fine-tuning the same-claim classifier")


def shipped_adapter() -> Path:
    return Path(str(resources.files("factcheck.data").joinpath(ADAPTER_FOLDER)))


_lock = threading.Lock()


@lru_cache(maxsize=4)
def _classifier(folder: str, sha256: str) -> TunedClassifier:
    found = adapter_sha256(Path(folder))
    if found != sha256:
        raise AdapterMismatch(f"The same-claim adapter in {folder} is not the one the calibration was fitted "
                              "with; run 'factcheck train calibration'.")
    return TunedClassifier.load(Path(folder), name=CACHE_NAME)


def logits(pairs: Sequence[tuple[str, str]], *, sha256: str, folder: Path | None = None,
           reported: bool = True) -> np.ndarray:
    """The classifier's logit for each (claim, candidate) pair (the adapter loaded and checked on first use).

    A claim in reported speech is read twice, as written and as what was reported (``reported_contents``),
    and the higher logit counts: the classifier learnt on tweets, which state a claim bare, and reads
    "At a meeting on Tuesday, X told the audience that the MMR vaccine causes autism." as another claim
    than "The MMR vaccine causes autism." (logit -2.9 as written)."""
    if not len(pairs):
        return np.zeros(0)
    with _lock:
        classifier = _classifier(str(folder or shipped_adapter()), sha256)
    contents = reported_contents(sorted({claim for claim, _ in pairs})) if reported else {}
    texts = [pair_text(claim, candidate) for claim, candidate in pairs]
    extra = [(i, pair_text(contents[claim], candidate)) for i, (claim, candidate) in enumerate(pairs)
             if contents.get(claim)]
    scored = classifier.logits(texts + [text for _, text in extra])
    found = np.asarray(scored[:len(texts)], dtype=np.float64).copy()
    for (i, _), logit in zip(extra, scored[len(texts):]):
        found[i] = max(found[i], float(logit))
    return found
