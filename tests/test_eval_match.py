"""``factcheck eval match`` on CheckThat!-format files written here, with metrics checkable by hand."""
from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import select

from factcheck.cli import main
from factcheck.db import make_engine, session_scope, upgrade
from factcheck.matching import clef
from factcheck.services import evaluation
from factcheck.matching.rerank import Reranker, file_sha256, shipped_reranker
from factcheck.models import FactCheck
from tests.conftest import SHARED_DATA

COLLECTION = [
    ("d-1", "The Eiffel Tower is repainted every seven years to protect it from rust.",
     "Is the Eiffel Tower repainted?"),
    ("d-2", "Drinking coffee stunts the growth of children.", "Does coffee stunt growth?"),
    ("d-3", 'The city of Oslo banned all private cars from its "centre" in 2019.', "Did Oslo ban cars?"),
    ("d-4", "Goldfish only remember things for three seconds.", "Goldfish memory"),
    ("d-5", "Honey never spoils and edible honey was found in Egyptian tombs.", "Does honey spoil?"),
    ("d-6", "Lightning never strikes the same place twice.", "Lightning myths"),
]
#: Three queries restate one document each; the fourth's relevant document is not in the collection.
QUERIES = [
    ("q-a", "Every seven years the Eiffel Tower gets repainted to protect it from rust"),
    ("q-b", "Goldfish can only remember things for three seconds, says a viral post"),
    ("q-c", 'Edible honey was found in Egyptian tombs because "honey never spoils"'),
    ("q-d", "Penguins mate for life."),
]
QRELS = [("q-a", "d-1"), ("q-b", "d-4"), ("q-c", "d-5"), ("q-d", "d-404")]


def _tsv(rows, header) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def files(tmp_path):
    paths = {"collection": tmp_path / "docs.tsv", "queries": tmp_path / "queries.tsv", "qrels": tmp_path / "q.qrels"}
    paths["collection"].write_text(_tsv(COLLECTION, ["", "vclaim", "title"]), encoding="utf-8")
    paths["queries"].write_text(_tsv(QUERIES, ["", "tweet_content"]), encoding="utf-8")
    paths["qrels"].write_text("".join(f"{q} 0 {d} 1\n" for q, d in QRELS), encoding="utf-8")
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture
def env(tmp_path):
    url = f"sqlite:///{tmp_path / 'user.db'}"
    upgrade(url)
    values = {k: None for k in os.environ if k.startswith("FACTCHECK_")}
    values.update({"FACTCHECK_DATABASE_URL": url, "FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance")})
    return values


def _run(env, files, *extra):
    return CliRunner().invoke(main, ["eval", "match", "--collection", files["collection"], "--queries",
                                     files["queries"], "--qrels", files["qrels"], *extra], env=env)


def test_eval_match_reports_each_method_from_one_run(env, files):
    result = _run(env, files, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    figures = json.loads(lines[-1])
    # 3 of 4 queries find their document first; the 4th's document is not in the collection.
    expected = dict.fromkeys(clef.CUTOFFS, 0.75)
    assert {k: figures[k] for k in clef.CUTOFFS} == expected
    assert figures["bm25"] == expected and figures["dense"] == expected
    assert figures["method"] == "hybrid-v1" and figures["queries"] == 4 and figures["documents"] == 6
    assert any(line.split()[:2] == ["hybrid-v1", "0.7500"] for line in lines)  # the readable table
    # The temporary store is not the user's database.
    engine = make_engine(env["FACTCHECK_DATABASE_URL"])
    with session_scope(engine) as session:
        assert session.exec(select(func.count(FactCheck.id))).one() == 0
    engine.dispose()


def test_eval_refuses_queries_the_reranker_was_trained_on(env, files, monkeypatch):
    shipped = shipped_reranker()
    trained_here = Reranker(shipped.mean, shipped.scale, shipped.weights, shipped.bias,
                            {"trained_on_files": {"queries": file_sha256(files["queries"])}})
    monkeypatch.setattr(evaluation, "reranker_for_model", lambda model: trained_here)
    result = _run(env, files)
    assert result.exit_code == 1
    assert "re-ranker was trained on queries.tsv" in result.output and "Traceback" not in result.output


def test_shipped_reranker_records_its_training_files():
    provenance = shipped_reranker().provenance
    assert provenance["seed"] and provenance["command"] == "factcheck train matcher"
    train = SHARED_DATA / "clef2020-t2-claim-retrieval" / "train"
    if not train.exists():
        pytest.skip("the CheckThat! data is not beside the repository")
    assert shipped_reranker().trained_on(file_sha256(train / "tweets.queries.tsv"))
    assert not shipped_reranker().trained_on(file_sha256(train.parent / "dev" / "tweets.queries.tsv"))


def test_metrics_by_hand():
    qrels = {"a": {"x", "y"}, "b": {"z"}, "c": {"w"}}
    rankings = {"a": ["x", "n", "y"], "b": ["n", "n2", "z"]}  # "c" returned nothing
    m = clef.metrics(rankings, qrels)
    # a: AP@1 = 1/1, AP@3 = (1/1 + 2/3) / 2; b: first hit at rank 3; c: nothing.
    assert m["map@1"] == round((1.0 + 0 + 0) / 3, 4)
    assert m["map@3"] == round(((1 + 2 / 3) / 2 + (1 / 3) + 0) / 3, 4)
    assert m["mrr"] == round((1 + 1 / 3 + 0) / 3, 4)
    assert m["p@1"] == round(1 / 3, 4)
    assert m["recall@10"] == round((1 + 1 + 0) / 3, 4)


def test_readers_keep_string_ids_and_quoted_fields(files):
    docs = clef.read_collection(files["collection"])
    assert docs[2].id == "d-3" and '"centre"' in docs[2].text and docs[2].title == "Did Oslo ban cars?"
    assert clef.read_queries(files["queries"])[0][0] == "q-a"
    assert clef.read_qrels(files["qrels"])["q-d"] == {"d-404"}


def test_remove_gold_reports_abstention_next_to_shown_recall(env, files):
    result = _run(env, files, "--remove-gold", "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    figures = json.loads(result.output.strip().splitlines()[-1])
    # Normal run: the three restated documents are shown (calibrated "likely same claim"); q-d has none.
    assert figures["shown_recall"] == 0.75
    # Gold removed: what is left is unrelated, and nothing is shown for any query.
    assert figures["open_set"]["abstain_rate"] == 1.0 and figures["open_set"]["false_per_query"] == 0.0
    assert "abstain_rate 1.0000" in result.output and "shown_recall 0.7500" in result.output
    # The ranking metrics are those of the normal run.
    assert figures["map@5"] == 0.75


def test_open_set_figures_by_hand():
    class Identity:
        @staticmethod
        def probability(raw, features=None):
            return raw

    relevant = {"a": {"x"}, "b": {"y"}}
    normal = {"a": [("x", 0.9, None), ("n", 0.2, None)], "b": [("n", 0.6, None), ("y", 0.4, None)]}
    removed = {"a": [("n", 0.2, None)], "b": [("n", 0.6, None), ("m", 0.55, None)]}
    figures = evaluation.open_set_figures(normal, removed, relevant, calibration=Identity, threshold=0.5, k=5)
    assert figures["shown_recall"] == 0.5  # a's x shown; b's y under the threshold
    assert figures["abstain_rate"] == 0.5 and figures["false_suggestion_rate"] == 0.5
    assert figures["false_per_query"] == 1.0  # (0 + 2) / 2
    assert evaluation.open_set_figures(normal, removed, relevant, calibration=Identity, threshold=0.5,
                                       k=1)["false_per_query"] == 0.5


def test_eval_refuses_queries_the_calibration_was_fitted_on(env, files, monkeypatch):
    from factcheck.matching import calibration

    document = dict(calibration.shipped_document())
    document["provenance"] = {"fitted_on_sha256": {"fit_queries": file_sha256(files["queries"])}}
    monkeypatch.setattr(calibration, "shipped_document", lambda: document)
    result = _run(env, files)
    assert result.exit_code == 1 and "calibration and its default thresholds were fitted on" in result.output
