"""``factcheck eval evidence``: pooled evidence ranking and stance macro-F1 on CLIMATE-FEVER files."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from factcheck.cli import main
from factcheck.config import Settings
from factcheck.services.evidence_search import ndcg_at, recall_at, score_stance
from factcheck.stance import climate_fever
from tests.test_stance import FIXTURE, write_fixture


def test_ndcg_and_recall():
    assert ndcg_at(["a", "b", "c"], {"a"}, 5) == 1.0
    assert ndcg_at(["x", "a"], {"a"}, 5) == pytest.approx(1 / 1.5849625)
    assert ndcg_at(["x", "y"], {"a"}, 5) == 0.0
    assert ndcg_at(["a", "x", "b"], {"a", "b"}, 5) == pytest.approx((1 + 0.5) / (1 + 1 / 1.5849625))
    assert recall_at(["a", "x", "b", "y", "z", "c"], {"a", "b", "c"}, 5) == pytest.approx(2 / 3)


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "tiny.jsonl"
    write_fixture(path)
    return path


def test_train_then_eval_never_scores_a_model_on_its_own_training_file(data, tmp_path):
    model = tmp_path / "stance.json"
    env = {"FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance"), "FACTCHECK_STANCE_MODEL": str(model)}
    trained = CliRunner().invoke(main, ["train", "stance", "--data", str(data), "--out", str(model)], env=env)
    assert trained.exit_code == 0, trained.output
    assert "CV macro-F1" in trained.output and f"Wrote {model}" in trained.output
    assert json.loads(model.read_text())["provenance"]["data"] == "tiny.jsonl"

    result = CliRunner().invoke(main, ["eval", "evidence", "--format", "climate-fever", str(data), "--json"],
                                env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "ndcg@5" in result.stdout and "stance macro-F1 (40 pairs)" in result.stdout
    report = json.loads(result.stdout.strip().splitlines()[-1])
    relevant_claims = sum(any(label != "NOT_ENOUGH_INFO" for _, label in evidences) for _, evidences in FIXTURE)
    assert report["claims"] == len(FIXTURE) and report["claims_ranked"] == relevant_claims
    assert report["pool"] == sum(len(evidences) for _, evidences in FIXTURE)
    # Each claim's own sentences are close paraphrases: a working retriever finds most of them.
    assert report["ndcg@5"] > 0.6 and report["recall@5"] > 0.6
    # The full method is the app's hybrid ranking; each leg alone is scored from the same run.
    assert report["methods"] == ["hybrid-v1"]
    for leg in ("bm25", "dense"):
        assert set(report[leg]) == {"ndcg@5", "recall@5"} and 0 < report[leg]["ndcg@5"] <= 1
        # ...and printed in the table too.
        assert f"{leg} alone: ndcg@5 / recall@5 {report[leg]['ndcg@5']:.3f} / {report[leg]['recall@5']:.3f}" \
            in " ".join(result.stdout.split())
    # The model was trained on this file, so its cross-validated predictions are scored.
    assert report["stance_basis"].startswith("cross-validated")
    assert report["stance_macro_f1"] == pytest.approx(json.loads(model.read_text())["cv"]["macro_f1"], abs=1e-4)


def test_a_model_trained_elsewhere_is_scored_as_shipped(data):
    settings = Settings.from_env(environ={})
    f1, basis, pairs = score_stance(data, climate_fever.load(data), settings)
    assert basis == "shipped model" and pairs == 40 and 0 <= f1 <= 1


def test_a_malformed_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"claim_id": "1", "claim": "x"}\n')
    result = CliRunner().invoke(main, ["eval", "evidence", "--format", "climate-fever", str(bad)],
                                env={"FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.exit_code == 1 and "line 1: not a CLIMATE-FEVER record" in result.output
