"""``factcheck train embedder``: a tuned model folder with provenance, its own id and re-ranker.

Runs the real fine-tuning on a few pairs (1 epoch, batches of 2) so that it
stays a few seconds of CPU; the quality of the tuning is measured on the
CheckThat! dev split, not here.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from factcheck import create_app
from factcheck.cli import main
from factcheck.config import Settings, _default_model_path
from factcheck.matching import finetune
from factcheck.matching.embedder import Embedder, model_id_for
from factcheck.matching.rerank import file_sha256, reranker_for_model, shipped_reranker
from tests.test_eval_match import COLLECTION, QUERIES, QRELS, _tsv

BASE_ID = "sentence-transformers/all-MiniLM-L6-v2"
#: Training tweets: other wordings than the evaluation queries of test_eval_match, for four documents.
TRAIN_QUERIES = [
    ("t-1", "They repaint the Eiffel Tower every 7 years against rust"),
    ("t-2", "coffee will stunt your kid's growth!!"),
    ("t-3", "Oslo has banned private cars from the centre since 2019"),
    ("t-4", "lightning can't strike twice in one place, right?"),
]
TRAIN_QRELS = [("t-1", "d-1"), ("t-2", "d-2"), ("t-3", "d-3"), ("t-4", "d-6")]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("train-embedder")


@pytest.fixture(scope="module")
def files(folder):
    paths = {name: folder / name for name in ("docs.tsv", "train.tsv", "train.qrels", "dev.tsv", "dev.qrels")}
    paths["docs.tsv"].write_text(_tsv(COLLECTION, ["", "vclaim", "title"]), encoding="utf-8")
    paths["train.tsv"].write_text(_tsv(TRAIN_QUERIES, ["", "tweet_content"]), encoding="utf-8")
    paths["train.qrels"].write_text("".join(f"{q} 0 {d} 1\n" for q, d in TRAIN_QRELS), encoding="utf-8")
    paths["dev.tsv"].write_text(_tsv(QUERIES, ["", "tweet_content"]), encoding="utf-8")
    paths["dev.qrels"].write_text("".join(f"{q} 0 {d} 1\n" for q, d in QRELS), encoding="utf-8")
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture(scope="module")
def env(folder):
    import os

    from factcheck.db import upgrade

    url = f"sqlite:///{folder / 'user.db'}"
    upgrade(url)
    values = {k: None for k in os.environ if k.startswith("FACTCHECK_")}
    values.update({"FACTCHECK_DATABASE_URL": url, "FACTCHECK_INSTANCE_PATH": str(folder / "instance"),
                   # fp32 everywhere: the figures below must not depend on the CPU's bf16 support.
                   "FACTCHECK_EMBEDDING_VARIANT": "fp32"})
    return values


@pytest.fixture(scope="module")
def tuned(folder, env, files):
    """One tuning shared by the tests of this module (it is the slow part)."""
    # The folder name contains "minilm" and "l6" on purpose: the base model's id is guessed from such
    # names, and a tuned folder must not be taken for the base.
    out = folder / "all-minilm-l6-tuned"
    result = CliRunner().invoke(main, ["train", "embedder", "--collection", files["docs.tsv"], "--queries",
                                       files["train.tsv"], "--qrels", files["train.qrels"], "--out", str(out),
                                       "--epochs", "1", "--batch-size", "2", "--folds", "2", "--seed", "7"],
                                env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "model id factcheck-tuned/" in result.output
    return out


def _eval(env, files, queries, qrels, *extra):
    return CliRunner().invoke(main, ["eval", "match", "--collection", files["docs.tsv"], "--queries", queries,
                                     "--qrels", qrels, "--json", *extra], env=env)


def test_train_embedder_writes_a_loadable_model_with_provenance_and_its_own_id(tuned, files):
    provenance = json.loads((tuned / finetune.PROVENANCE_FILE).read_text(encoding="utf-8"))
    assert provenance["command"] == "factcheck train embedder" and provenance["seed"] == 7
    assert provenance["base_model"] == BASE_ID and provenance["pairs"] == 4
    assert provenance["trained_on_files"] == {"collection": file_sha256(files["docs.tsv"]),
                                              "queries": file_sha256(files["train.tsv"]),
                                              "qrels": file_sha256(files["train.qrels"])}
    assert provenance["config"]["epochs"] == 1 and provenance["config"]["batch_size"] == 2
    assert provenance["arguments"]["folds"] == 2 and provenance["arguments"]["seed"] == 7

    # Its vectors are stored under an id naming its weights, never under the base model's id.
    model_id = model_id_for(str(tuned))
    assert model_id == provenance["model_id"] != BASE_ID
    assert model_id.endswith(finetune.weights_sha256(tuned)[:16])

    embedder = Embedder(str(tuned), variant="fp32")
    assert embedder.model_id == model_id
    vectors = embedder.encode(["Goldfish only remember things for three seconds."])
    assert vectors.shape == (1, 384) and np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)
    # The tuning changed the weights (the same text no longer embeds as with the base model).
    base_vector = Embedder(_default_model_path(), variant="fp32").encode(
        ["Goldfish only remember things for three seconds."])
    assert not np.allclose(vectors, base_vector, atol=1e-4)


def test_tuned_folder_carries_a_cross_fitted_reranker(tuned, files):
    reranker = reranker_for_model(str(tuned))
    assert reranker is not shipped_reranker()
    p = reranker.provenance
    assert p["command"] == "factcheck train embedder" and p["cross_fitted_folds"] == 2
    assert p["embedding_model"] == model_id_for(str(tuned)) and p["embedding_variant"] == "fp32"
    # Every training query is scored once, by the fold model that did not see it.
    assert p["queries"] == 4 and p["positives"] == 4
    assert reranker.trained_on(file_sha256(files["train.tsv"]))
    # Any other model keeps the shipped parameters.
    assert reranker_for_model(_default_model_path()) is shipped_reranker()


def test_eval_match_with_model_uses_the_tuned_model_and_its_reranker(tuned, env, files):
    result = _eval(env, files, files["dev.tsv"], files["dev.qrels"], "--model", str(tuned))
    assert result.exit_code == 0, (result.output, result.exception)
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["embedding_model"] == model_id_for(str(tuned))
    assert figures["reranker"] == "factcheck train embedder"
    # q-d's document is not in the collection, so no method can exceed 3 of 4.
    assert figures["queries"] == 4 and 0 < figures["dense"]["map@5"] <= 0.75 and 0 < figures["map@5"] <= 0.75

    base = _eval(env, files, files["dev.tsv"], files["dev.qrels"])
    assert base.exit_code == 0, (base.output, base.exception)
    base_figures = json.loads(base.output.strip().splitlines()[-1])
    assert base_figures["embedding_model"] == BASE_ID and base_figures["reranker"] == "factcheck train matcher"


def test_eval_refuses_the_queries_the_model_was_tuned_on(tuned, env, files):
    result = _eval(env, files, files["train.tsv"], files["train.qrels"], "--model", str(tuned))
    assert result.exit_code == 1
    assert "trained on train.tsv" in result.output and "Traceback" not in result.output


def test_finetune_is_deterministic_given_the_seed():
    pairs = [finetune.Pair(q, text, d, dict((c[0], c[1]) for c in COLLECTION)[d])
             for (q, text), (_, d) in zip(TRAIN_QUERIES[:2], TRAIN_QRELS[:2])]
    config = finetune.TrainConfig(epochs=1, batch_size=2, seed=3)

    def tuned_vector(cfg):
        model = finetune.finetune(_default_model_path(), pairs, {}, cfg)
        return model.encode(["Honey never spoils."], convert_to_numpy=True)

    first, again = tuned_vector(config), tuned_vector(config)
    assert np.array_equal(first, again)


def test_app_starts_on_the_default_model_when_no_tuned_one_was_configured(tmp_path):
    # A tuned folder in the instance is not picked up by itself: only the setting chooses the model.
    (tmp_path / "instance" / "models" / "minilm-l6-checkthat").mkdir(parents=True)
    settings = Settings.from_env(environ={}, database_url=f"sqlite:///{tmp_path / 'app.db'}",
                                 instance_path=str(tmp_path / "instance"))
    app = create_app(settings)
    try:
        from factcheck.services.matching import embedder_for

        assert app.config["SETTINGS"].embedding_model == _default_model_path()
        embedder = embedder_for(app.config["SETTINGS"])
        assert embedder.model_id == BASE_ID
        assert reranker_for_model(embedder.model_path) is shipped_reranker()
    finally:
        app.extensions["factcheck.engine"].dispose()
