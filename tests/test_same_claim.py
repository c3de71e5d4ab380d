"""The same-claim classifier and the two-stage calibration it feeds (issue 10: an honest "no match").

The shipped-adapter tests use the real fine-tuned model.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from factcheck.lora_classifier import ADAPTER_FILES, adapter_sha256
from factcheck.matching import calibration, same_claim
from factcheck.matching.calibration import SAME_CLAIM_INPUT, VERIFIER_INPUTS, LibraryCalibration, Platt, Verifier
from factcheck.matching.rerank import FEATURES
from factcheck.services import evaluation


def _rows(dense: list[float]) -> np.ndarray:
    rows = np.zeros((len(dense), len(FEATURES)))
    rows[:, FEATURES.index("dense")] = dense
    return rows


def _two_stage(floor: float = 0.3) -> LibraryCalibration:
    # First stage: only the cosine matters (p = sigmoid(10 * (dense - 0.5))); second: only the logit.
    first = Verifier(("dense",), (0.5,), (0.1,), (1.0,), 0.0)
    second = Verifier((*VERIFIER_INPUTS, SAME_CLAIM_INPUT), (0.0,) * 7, (1.0,) * 7, (0.0,) * 6 + (1.0,), 0.0)
    return LibraryCalibration("fact_check", Platt(1.0, 0.0), 0.5, 0.9, verifier=first, pair_verifier=second,
                              pair_floor=floor, pair_classifier={"sha256": "unused"})


def test_pair_text_joins_with_the_separator_token_and_collapses_whitespace():
    assert same_claim.pair_text("The  MMR vaccine\ncauses autism.", " MMR causes autism ") == \
        "The MMR vaccine causes autism. [SEP] MMR causes autism"


def test_queries_are_split_three_to_one_the_same_way_every_time():
    ids = [f"q{i}" for i in range(100)]
    learn, held = same_claim.split_queries(reversed(ids))
    assert (learn, held) == same_claim.split_queries(ids)
    assert len(held) == 25 and len(learn) == 75 and not set(learn) & set(held) and set(learn) | set(held) == set(ids)


def test_training_pairs_label_the_right_fact_check_and_skip_verbatim_copies_of_it():
    documents = {"gold": "5G spreads the coronavirus.", "copy": "5G  spreads the Coronavirus.",
                 "near": "5G towers were burned in the UK.", "far": "Bananas cure cancer."}
    normal = {"q": [("gold", 0.9, None), ("copy", 0.8, None), ("near", 0.5, None)]}
    removed = {"q": [("copy", 0.8, None), ("near", 0.5, None), ("far", 0.1, None)]}
    texts, labels = same_claim.training_pairs(["q"], queries={"q": "5G causes covid!!"}, documents=documents,
                                              relevant={"q": {"gold"}}, normal=normal, removed=removed)
    assert labels == [1, 0, 0, 0]
    assert texts[0] == "5G causes covid!! [SEP] 5G spreads the coronavirus."
    assert not any("5G  spreads" in t or "5G spreads the Coronavirus" in t for t in texts)  # the copy never


def test_the_classifier_decides_only_candidates_past_the_floor_in_one_call():
    fitted = _two_stage(floor=0.3)
    calls = []

    def logits(pairs):
        calls.append(list(pairs))
        return np.array([4.0 if claim == candidate else -4.0 for claim, candidate in pairs])

    rows = _rows([0.2, 0.6, 0.6, 0.9])  # first stage: 0.05, 0.73, 0.73, 0.98
    pairs = [("a", "a"), ("b", "b"), ("c", "d"), ("e", "f")]
    p = fitted.probabilities([0.0] * 4, rows, pairs, pair_logits=logits)
    assert calls == [[("b", "b"), ("c", "d"), ("e", "f")]]  # the one under the floor never reaches it
    assert p[0] == pytest.approx(1 / (1 + np.exp(3.0)))  # first stage kept
    assert p[1] == pytest.approx(1 / (1 + np.exp(-4.0))) and p[2] == pytest.approx(1 / (1 + np.exp(4.0)))
    assert p[3] < 0.05  # a high cosine does not make a different claim likely
    # Without texts (or without a second stage) the first stage decides alone.
    assert np.allclose(fitted.probabilities([0.0] * 4, rows, None), fitted.probability(None, rows))
    assert fitted.probabilities([], np.zeros((0, len(FEATURES))), []).shape == (0,)


def test_a_verifier_that_weighs_the_classifier_refuses_to_guess_without_it():
    verifier = _two_stage().pair_verifier
    with pytest.raises(ValueError, match="pair_logits"):
        verifier.probability(None, _rows([0.5]))


def test_calibrated_runs_score_the_top_k_of_every_query_in_one_call():
    fitted = _two_stage(floor=0.0)
    calls = []

    def logits(pairs):
        calls.append(len(pairs))
        return np.array([3.0 if candidate.startswith(claim) else -3.0 for claim, candidate in pairs])

    runs = {"q1": [("d1", 0.9, _rows([0.7])[0]), ("d2", 0.5, _rows([0.7])[0]), ("d3", 0.1, _rows([0.7])[0])],
            "q2": [("d2", 0.9, _rows([0.7])[0])]}
    documents = {"d1": "alpha claim", "d2": "beta claim", "d3": "alpha again"}
    found = evaluation.calibrated_runs(runs, fitted, queries={"q1": "alpha", "q2": "beta"}, documents=documents,
                                       k=2, pair_logits=logits)
    assert calls == [3]
    assert [doc for doc, _ in found["q1"]] == ["d1", "d2"] and found["q1"][0][1] > 0.9 > 0.1 > found["q1"][1][1]
    assert evaluation.shown(found["q1"], threshold=0.5, k=5) == ["d1"]
    figures = evaluation.open_set_figures(found, {"q1": [], "q2": [("d1", 0.2)]}, {"q1": {"d1"}, "q2": {"d2"}},
                                          threshold=0.5, k=5)
    assert figures["shown_recall"] == 1.0 and figures["abstain_rate"] == 1.0


def test_the_shipped_calibration_decides_with_the_verifier_alone():
    # The classifier misses claims inside reported speech (see the README): measured, not enabled.
    fitted = calibration.for_library("fact_check")
    assert fitted.verifier is not None and fitted.pair_verifier is None
    size = sum((same_claim.shipped_adapter() / name).stat().st_size for name in ADAPTER_FILES)
    assert size < 4_000_000


@pytest.fixture(scope="module")
def shipped_sha():
    return adapter_sha256(same_claim.shipped_adapter())


def test_the_real_classifier_tells_a_restated_claim_from_a_neighbouring_one(shipped_sha):
    claim = "Bill Gates wants to put microchips in people through the coronavirus vaccine."
    pairs = [(claim, "Bill Gates plans to implant microchips with a COVID-19 vaccine."),
             (claim, "Bill Gates said the coronavirus vaccine could cause 700,000 deaths."),
             (claim, "The Eiffel Tower was sold for scrap in 1925."),
             ("The MMR vaccine causes autism.", "Does the MMR jab cause autism?"),
             ("The MMR vaccine causes autism.", "The MMR vaccine causes autism.")]
    logits = same_claim.logits(pairs, sha256=shipped_sha)
    # Restated above the same man and vaccine with another claim, above an unrelated one. (The logit is
    # not a probability: it learnt on 1 right candidate in 20; the second verifier reads it.)
    assert logits[0] > logits[1] + 0.5 and logits[1] > logits[2] + 2
    assert logits[4] > logits[3] > 0 > logits[0]


def test_a_tampered_adapter_is_refused(shipped_sha, tmp_path):
    folder = tmp_path / "adapter"
    shutil.copytree(same_claim.shipped_adapter(), folder)
    head = folder / "head.json"
    head.write_text(head.read_text().replace('"bias": ', '"bias": 1'), encoding="utf-8")
    with pytest.raises(same_claim.AdapterMismatch, match="factcheck train calibration"):
        same_claim.logits([("a claim", "a fact-check")], sha256=shipped_sha, folder=folder)


def test_the_classifier_also_reads_what_a_claim_in_reported_speech_reports(shipped_sha):
    wrapped = ("At a packed school board meeting on Tuesday, parent activist Mark Ellison told the audience that "
               "the MMR vaccine causes autism.")
    pairs = [(wrapped, "The MMR vaccine causes autism.")]
    as_written = same_claim.logits(pairs, sha256=shipped_sha, reported=False)[0]
    both = same_claim.logits(pairs, sha256=shipped_sha)[0]
    # As written it reads another claim (README: -2.9); the reported clause is the fact-check's claim.
    assert as_written < 0 < both
