"""Stance hints: features, the shipped model and its provenance, reproducible training."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from factcheck.config import Settings
from factcheck.matching.embedder import get_embedder, model_id_for
from factcheck.stance import climate_fever, train
from factcheck.stance.features import CUE_NAMES, cues, pair_features
from factcheck.stance.model import LABELS, StanceHint, StanceModel, bundled_path, model_for
from tests.conftest import SHARED_DATA

DEV_FILE = SHARED_DATA / "climate-fever" / "climate-fever.dev.jsonl"

#: (claim, [(evidence, label), ...]) - a small CLIMATE-FEVER-shaped file for tests.
FIXTURE = [
    ("Arctic sea ice is shrinking because of global warming.", [
        ("Arctic sea ice extent has declined sharply since satellite records began in 1979.", "SUPPORTS"),
        ("Warmer air and ocean water are the main cause of the loss of Arctic sea ice.", "SUPPORTS"),
        ("Arctic sea ice is not shrinking and has grown thicker every year since 2000.", "REFUTES"),
        ("Penguins live mostly in the Southern Hemisphere.", "NOT_ENOUGH_INFO"),
        ("Icebreakers are ships designed to move through ice-covered waters.", "NOT_ENOUGH_INFO")]),
    ("Global sea levels are rising.", [
        ("Tide gauges and satellites show that global mean sea level rose about 20 centimetres since 1900.", "SUPPORTS"),
        ("Sea level is falling worldwide, according to a disputed blog post.", "REFUTES"),
        ("The Dead Sea is the lowest point on land.", "NOT_ENOUGH_INFO"),
        ("Sea water contains about 3.5 percent salt.", "NOT_ENOUGH_INFO"),
        ("Thermal expansion of warming ocean water adds to sea level rise.", "SUPPORTS")]),
    ("Carbon dioxide levels in the atmosphere have increased since the industrial revolution.", [
        ("Atmospheric carbon dioxide rose from 280 ppm before industrialisation to over 410 ppm.", "SUPPORTS"),
        ("Carbon dioxide concentrations have decreased since 1850.", "REFUTES"),
        ("Plants take up carbon dioxide during photosynthesis.", "NOT_ENOUGH_INFO"),
        ("Burning coal, oil and gas releases carbon dioxide.", "SUPPORTS"),
        ("Dry ice is solid carbon dioxide.", "NOT_ENOUGH_INFO")]),
    ("Glaciers are growing all over the world.", [
        ("Most mountain glaciers worldwide are retreating and losing mass.", "REFUTES"),
        ("Glaciers in the Alps have lost about half of their volume since 1900.", "REFUTES"),
        ("A few glaciers in Norway advanced in the 1990s after heavy snowfall.", "NOT_ENOUGH_INFO"),
        ("Glaciers form where snow accumulates faster than it melts.", "NOT_ENOUGH_INFO"),
        ("Glacier ice can be thousands of years old.", "NOT_ENOUGH_INFO")]),
    ("Heat waves have become more frequent.", [
        ("Heat waves have become more frequent and more intense since the 1950s across most land areas.", "SUPPORTS"),
        ("There has been no change in how often heat waves occur.", "REFUTES"),
        ("The 2003 European heat wave killed tens of thousands of people.", "NOT_ENOUGH_INFO"),
        ("Air conditioning uses a large share of electricity in hot countries.", "NOT_ENOUGH_INFO"),
        ("Record high temperatures now outnumber record lows by two to one.", "SUPPORTS")]),
    ("Coral reefs are not affected by ocean warming.", [
        ("Marine heat waves cause mass coral bleaching on reefs worldwide.", "REFUTES"),
        ("The Great Barrier Reef lost half its coral cover after bleaching events.", "REFUTES"),
        ("Coral reefs cover less than one percent of the ocean floor.", "NOT_ENOUGH_INFO"),
        ("Reef fish are popular with divers.", "NOT_ENOUGH_INFO"),
        ("Corals are animals related to jellyfish.", "NOT_ENOUGH_INFO")]),
    ("Solar activity explains recent global warming.", [
        ("Solar output has slightly decreased since the 1980s while temperatures rose.", "REFUTES"),
        ("Changes in the sun cannot explain the warming of the last decades.", "REFUTES"),
        ("Sunspots were first observed with telescopes in 1610.", "NOT_ENOUGH_INFO"),
        ("The sun's energy drives the weather and the water cycle.", "NOT_ENOUGH_INFO"),
        ("Solar cycles last about eleven years.", "NOT_ENOUGH_INFO")]),
    ("Renewable energy is getting cheaper.", [
        ("The cost of solar panels fell by about 90 percent between 2010 and 2020.", "SUPPORTS"),
        ("Onshore wind power has become one of the cheapest sources of new electricity.", "SUPPORTS"),
        ("Renewable energy prices have risen every year since 2010.", "REFUTES"),
        ("Hydropower dams can displace communities.", "NOT_ENOUGH_INFO"),
        ("Wind turbines have three blades in most designs.", "NOT_ENOUGH_INFO")]),
]


def write_fixture(path) -> None:
    """Write ``FIXTURE`` in the CLIMATE-FEVER JSON Lines format."""
    with open(path, "w", encoding="utf-8") as handle:
        for number, (claim, evidences) in enumerate(FIXTURE):
            handle.write(json.dumps({
                "claim_id": f"t{number}", "claim": claim, "claim_label": "SUPPORTS",
                "evidences": [{"evidence_id": f"Article {number}:{i}", "evidence_label": label,
                               "article": f"Article {number}", "evidence": text, "entropy": 0.0,
                               "votes": [label, None, None, None, None]}
                              for i, (text, label) in enumerate(evidences)],
            }) + "\n")


class BagOfWordsEmbedder:
    """A small deterministic stand-in for the sentence embedder, to keep training tests fast."""

    model_id = "test/bag-of-words"

    def encode(self, texts):
        vectors = np.zeros((len(texts), 32), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 32] += 1
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


@pytest.fixture(scope="module")
def embedder():
    settings = Settings.from_env(environ={})
    return get_embedder(settings.embedding_model, settings.embedding_batch_size)


def test_cues_see_negation_direction_and_numbers():
    named = dict(zip(CUE_NAMES, cues("Sea ice is shrinking.", "Sea ice is not shrinking; it grew in 2012.", 0.9)))
    assert named["evidence_negations"] == 1 and named["negation_mismatch"] == 1
    named = dict(zip(CUE_NAMES, cues("Emissions increased by 5 percent.", "Emissions decreased by 3 percent.", 0.8)))
    assert named["direction_conflict"] == 1 and named["number_mismatch"] == 1 and named["direction_agreement"] == 0
    u = np.eye(4, dtype=np.float32)[:2]
    features = pair_features(u, u[::-1], ["a", "b"], ["c", "d"])
    assert features.shape == (2, 4 * 4 + len(CUE_NAMES))


def test_the_shipped_model_says_where_it_comes_from():
    model = StanceModel(json.loads(bundled_path().read_text()))
    assert model.labels == LABELS
    assert model.embedding_model == model_id_for(Settings.from_env(environ={}).embedding_model)
    assert model.provenance["pairs"] == 1580 and model.provenance["claims"] == 316
    assert model.cv["grouped_by"] == "claim" and model.cv["macro_f1"] > 0.4
    if DEV_FILE.exists():
        assert model.provenance["data_sha256"] == climate_fever.file_sha256(DEV_FILE)


def test_hints_are_worded_as_hints(embedder):
    settings = Settings.from_env(environ={})
    model = model_for(settings, embedder.model_id)
    claims = ["Arctic sea ice is shrinking.", "Arctic sea ice is shrinking."]
    evidence = ["Arctic sea ice extent has declined sharply since 1979.", "The Eiffel Tower is in Paris."]
    hints = model.hints(embedder.encode(claims), embedder.encode(evidence), claims, evidence)
    assert all(h.label in LABELS and 0 <= h.probability <= 1 for h in hints)
    assert StanceHint("refutes", 0.7).wording == "may refute" and StanceHint("refutes", 0.7).shown
    assert not StanceHint("refutes", 0.4).shown and not StanceHint("neither", 0.9).shown
    # Another embedding model's space: no hints rather than noise.
    assert model_for(settings, "some/other-model") is None


def test_folds_are_by_claim_and_spread_the_dev_split():
    # The dev subset is every claim with sha256(id) % 5 == 0: the salt keeps the folds apart.
    ids = [str(i) for i in range(2000)]
    dev = [i for i in ids if int(hashlib.sha256(i.encode()).hexdigest(), 16) % 5 == 0]
    assert {train.fold_of(i, 5) for i in dev} == set(range(5))
    assert train.fold_of("42", 5) == train.fold_of("42", 5)


def test_training_is_cross_validated_and_reproducible(tmp_path):
    data = tmp_path / "tiny.jsonl"
    write_fixture(data)
    embedder = BagOfWordsEmbedder()
    first = train.train(data, embedder)
    second = train.train(data, embedder)
    assert first["coef"] == second["coef"] and first["cv"] == second["cv"]
    assert first["provenance"]["pairs"] == 40 and first["provenance"]["data_sha256"] == climate_fever.file_sha256(data)
    assert set(first["cv"]) >= {"macro_f1", "accuracy", "f1", "confusion", "fold_c"}
    model = StanceModel(first)
    features, labels, groups = train.featurize(climate_fever.load(data), embedder)
    assert np.allclose(model.predict_proba(features).sum(axis=1), 1, atol=1e-5)
