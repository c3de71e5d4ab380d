"""The pronoun resolver's model (factcheck.coref.model) and its GAP evaluation:
the stacked choice (a candidate counts only if it stands out from the other
people), the shipped parameters, and refusing data it was trained or tuned on."""
import json

import numpy as np
import pytest

from factcheck.coref.bundled import WEIGHTS_SHA256, coref_model_path
from factcheck.coref.features import PARSE_FEATURES
from factcheck.coref.gap import read_gap
from factcheck.coref.model import FORMAT, CorefModel, Logistic, choice_features, shipped_coref_model
from factcheck.coref.training import NotHeldOut, TARGET_PRECISION, TRAIN_ROWS, check_held_out, evaluate_gap
from tests.conftest import SHARED_DATA

GAP = SHARED_DATA / "gap-coreference"
PARSE = len(PARSE_FEATURES)


def test_choice_features_compare_each_person_with_the_best_other_person():
    scores = np.array([2.0, 0.5, 1.0, -1.0])
    parse = np.zeros((4, PARSE))
    # One pronoun; rows 0 and 2 are two mentions of the same person.
    stacked = choice_features(scores, parse, [0, 0, 0, 0], ["Ann Lee", "Bo Chan", "Ann Lee", "Cy Ray"])
    assert stacked[:, 1].tolist() == [0.5, 2.0, 0.5, 2.0]  # best score of anyone else
    assert stacked[:, 2].tolist() == [1.5, -1.5, 0.5, -3.0]
    assert stacked[:, 3].tolist() == [1.0, 1.0, 1.0, 1.0]
    alone = choice_features(np.array([2.0]), np.zeros((1, PARSE)), [0], ["Ann Lee"])
    assert alone[0, :4].tolist() == [2.0, 0.0, 0.0, 0.0]  # nobody else to compare with


def test_a_candidate_that_does_not_stand_out_is_less_probable():
    dims = PARSE + 3
    pair = Logistic(np.zeros(dims), np.ones(dims), np.r_[np.zeros(dims - 1), 4.0], 0.0)  # cosine decides
    weights = np.zeros(4 + PARSE)
    weights[2] = 2.0  # what counts is the candidate's lead over the best other person
    model = CorefModel(pair, Logistic(np.zeros(4 + PARSE), np.ones(4 + PARSE), weights, -1.0), 0.8)
    features = np.zeros((2, dims))
    features[:, -1] = [0.9, 0.2]
    clear = model.probabilities(features, [0, 0], ["Ann Lee", "Bo Chan"])
    features[1, -1] = 0.85
    close = model.probabilities(features, [0, 0], ["Ann Lee", "Bo Chan"])
    assert clear[0] > 0.99 and close[0] < clear[0] and close[0] < model.threshold


def test_the_shipped_resolver_loads_and_round_trips(tmp_path):
    model = shipped_coref_model()
    assert model.pair.weights.shape == (PARSE + 2 * 768 + 1,)
    assert 0.5 <= model.threshold < 1.0
    validation = model.provenance["metrics"]["validation (tuned on)"]["overall"]
    assert validation["precision"] >= TARGET_PRECISION
    path = tmp_path / "coref.json"
    model.save(path)
    again = CorefModel.from_json(json.loads(path.read_text()))
    features = np.random.default_rng(0).normal(size=(3, PARSE + 2 * 768 + 1))
    assert np.allclose(again.probabilities(features, [0, 0, 1], ["a", "b", "a"]),
                       model.probabilities(features, [0, 0, 1], ["a", "b", "a"]))


def test_a_resolver_file_of_another_format_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="factcheck train coref"):
        CorefModel.from_json({"kind": "gradient-boosted trees", "trees": []})
    assert shipped_coref_model().to_json()["format"] == FORMAT


def test_the_bundled_encoder_is_the_checked_all_mpnet_base_v2(monkeypatch):
    monkeypatch.delenv("FACTCHECK_COREF_MODEL", raising=False)
    path = coref_model_path()
    assert WEIGHTS_SHA256[:12] in path
    config = json.loads((__import__("pathlib").Path(path) / "config.json").read_text())
    assert config["model_type"] == "mpnet" and config["hidden_size"] == 768


def test_gap_files_it_was_trained_or_tuned_on_are_refused(tmp_path):
    if not GAP.exists():
        pytest.skip("the GAP data is not beside the repository")
    model = shipped_coref_model()
    validation = GAP / "gap-validation.tsv"
    with pytest.raises(NotHeldOut, match="tuned"):
        check_held_out(model, validation, read_gap(validation))
    # The same training rows copied into another file are refused by their ids.
    header, *lines = (GAP / "gap-development.tsv").read_text(encoding="utf-8").splitlines()
    copied = tmp_path / "copy.tsv"
    copied.write_text("\n".join([header] + lines[:5]) + "\n", encoding="utf-8")
    with pytest.raises(NotHeldOut, match="rows the resolver was trained"):
        check_held_out(model, copied, read_gap(copied))


def test_on_held_out_gap_rows_the_resolver_keeps_its_precision(tmp_path):
    if not GAP.exists():
        pytest.skip("the GAP data is not beside the repository")
    header, *lines = (GAP / "gap-development.tsv").read_text(encoding="utf-8").splitlines()
    held_out = [line for line in lines if int(line.split("\t", 1)[0].rsplit("-", 1)[1]) > TRAIN_ROWS]
    path = tmp_path / "heldout.tsv"
    path.write_text("\n".join([header] + held_out) + "\n", encoding="utf-8")
    scores = evaluate_gap(shipped_coref_model(), path)
    assert scores["rows"] == 500
    # Precision first: the goal is 0.90; recall is what the resolver dares beyond that.
    assert scores["overall"]["precision"] >= 0.88
    assert scores["overall"]["f1"] >= 0.70
    assert 0.85 <= scores["bias"] <= 1.15
