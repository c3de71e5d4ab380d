"""``factcheck eval checkworthiness`` on small fixture files, against hand-computed measures.

A fake model scores each sentence with a number fixed per text, so the
rankings (and so the expected measures) can be worked out by hand.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from click.testing import CliRunner

from factcheck.checkworthiness import embedding
from factcheck.checkworthiness import model as model_module
from factcheck.cli import main

SCORES: dict[str, float] = {}


class FakeModel:
    threshold = 0.5
    embedding_model = "fake"

    def __init__(self, provenance: dict | None = None):
        self.provenance = provenance or {}
        self.domains: list[str] = []

    def scores(self, features, vectors, *, texts=None, domain="prose"):
        # The texts must come with the vectors, in order: the tweets domain reads them.
        assert texts is not None and [SCORES[text] for text in texts] == list(vectors[:, 0])
        self.domains.append(domain)
        return vectors[:, 0]


class FakeEmbedder:
    @staticmethod
    def encode(texts):
        return np.array([[SCORES[text]] for text in texts])


@pytest.fixture
def fake_model(monkeypatch):
    holder = {"model": FakeModel()}
    monkeypatch.setattr(model_module, "shipped_model", lambda: holder["model"])
    monkeypatch.setattr(embedding, "embedder_for_model", lambda model, configured, batch_size=64: FakeEmbedder())
    return holder


def _sentences(rows: list[tuple[float, int]], name: str) -> list[tuple[str, int]]:
    """Give each (score, label) a unique text and remember its score."""
    out = []
    for index, (score, label) in enumerate(rows):
        text = f"{name} sentence {index} says something."
        SCORES[text] = score
        out.append((text, label))
    return out


def run(tmp_path, *args):
    return CliRunner().invoke(main, ["eval", "checkworthiness", *map(str, args)],
                              env={"FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance")})


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_debates_average_per_document_over_documents_with_a_positive(tmp_path, fake_model):
    documents = {
        # ranked labels 1,0,1,0,1: AP (1 + 2/3 + 3/5) / 3; R = 3, top 3 hold 2.
        "a": [(0.9, 1), (0.8, 0), (0.7, 1), (0.2, 0), (0.1, 1)],
        # ranked 0,1,0,0: AP 1/2; R = 1, top 1 holds none.
        "b": [(0.3, 1), (0.9, 0), (0.2, 0), (0.1, 0)],
        # no positive: left out of every average
        "c": [(0.5, 0), (0.4, 0), (0.3, 0)],
    }
    paths = []
    for name, rows in documents.items():
        path = tmp_path / f"2019010{len(paths)}_{name}.tsv"
        path.write_text("".join(f"{i + 1}\tSPEAKER\t{text}\t{label}\n"
                                for i, (text, label) in enumerate(_sentences(rows, name))))
        paths.append(path)
    result = run(tmp_path, "--format", "clef-debates", *paths, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    measures = last_json(result.output)
    assert list(measures) == ["map", "p@5", "p@10", "r-precision"]
    assert measures["map"] == pytest.approx(((1 + 2 / 3 + 3 / 5) / 3 + 1 / 2) / 2, abs=1e-6)
    assert measures["p@5"] == pytest.approx((3 / 5 + 1 / 5) / 2)
    assert measures["p@10"] == pytest.approx((3 / 10 + 1 / 10) / 2)
    assert measures["r-precision"] == pytest.approx((2 / 3 + 0) / 2, abs=1e-6)
    # Debates are scored in their own domain (the shipped model's falls back to prose).
    assert fake_model["model"].domains == ["debates"] * 3


def test_tweets_rank_the_whole_file(tmp_path, fake_model):
    rows = _sentences([(0.9, 1), (0.8, 1), (0.7, 0), (0.6, 1), (0.5, 0), (0.4, 0)], "tweet")
    path = tmp_path / "dev.tsv"
    path.write_text("topic_id\ttweet_id\ttweet_url\ttweet_text\tclaim\tcheck_worthiness\n" + "".join(
        f"covid-19\t{i}\thttp://t/{i}\t{text}\t1\t{label}\n" for i, (text, label) in enumerate(rows)))
    result = run(tmp_path, "--format", "clef-tweets", path, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    # ranked 1,1,0,1,0,0: AP (1 + 1 + 3/4) / 3
    assert last_json(result.output) == pytest.approx({"map": 2.75 / 3, "p@5": 3 / 5, "p@10": 3 / 10}, abs=1e-6)
    assert fake_model["model"].domains == ["tweets"]


def test_claimbuster_reports_f1_at_the_model_threshold(tmp_path, fake_model):
    rows = _sentences([(0.9, 1), (0.6, 0), (0.4, 1), (0.1, 0)], "cb")
    path = tmp_path / "cb.json"
    path.write_text(json.dumps([{"sentence_id": i, "label": label, "text": text}
                                for i, (text, label) in enumerate(rows)]))
    result = run(tmp_path, "--format", "claimbuster", path, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    # threshold 0.5 predicts the first two: 1 true positive of 2 predicted, of 2 positives.
    assert fake_model["model"].domains == ["prose"]  # as the app scores articles
    assert last_json(result.output) == pytest.approx(
        {"f1": 0.5, "precision": 0.5, "recall": 0.5, "ap": (1 + 2 / 3) / 2}, abs=1e-6)
    assert "f1" in result.output and "0.5000" in result.output


def test_refuses_a_file_the_model_was_trained_on(tmp_path, fake_model):
    rows = _sentences([(0.9, 1), (0.1, 0)], "seen")
    path = tmp_path / "train.json"
    path.write_text(json.dumps([{"sentence_id": i, "label": label, "text": text}
                                for i, (text, label) in enumerate(rows)]))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    fake_model["model"] = FakeModel({"trained_on": [{"file": "claimbuster/train.json", "sha256": digest}]})
    result = run(tmp_path, "--format", "claimbuster", path, "--json")
    assert result.exit_code == 1
    assert "which the model was trained on" in result.output


def test_tweets_take_one_file(tmp_path, fake_model):
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    first.write_text("h\n")
    second.write_text("h\n")
    assert run(tmp_path, "--format", "clef-tweets", first, second).exit_code == 2


def test_shipped_model_evaluates_a_debate(tmp_path):
    path = tmp_path / "20261122_speech.tsv"
    lines = ["Thank you all so much for coming tonight.",
             "Unemployment fell to 3.5 percent last year, the lowest rate in 50 years.",
             "We are going to have a wonderful time."]
    path.write_text("".join(f"{i + 1}\tSPEAKER\t{text}\t{int(i == 1)}\n" for i, text in enumerate(lines)))
    result = run(tmp_path, "--format", "clef-debates", path, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    # The statistic ranks first: every measure is at its best for this document.
    assert last_json(result.output) == {"map": 1.0, "p@5": 0.2, "p@10": 0.1, "r-precision": 1.0}


def test_shipped_model_evaluates_tweets_with_its_tweet_domain(tmp_path):
    """The shipped tweets domain ranks a statistic-laden tweet above chatter,
    from a file that is not the training data (which is not needed to score)."""
    tweets = ["lol this is so boring, staying in all day #COVID19 https://t.co/abc",
              ("BREAKING: 2,500 new coronavirus cases and 63 deaths reported in Italy today, "
               "health ministry says https://t.co/xyz"),
              "Stay safe everyone and wash your hands @friend"]
    path = tmp_path / "tweets.tsv"
    path.write_text("topic_id\ttweet_id\ttweet_url\ttweet_text\tclaim\tcheck_worthiness\n" + "".join(
        f"covid-19\t{i}\thttp://t/{i}\t{text}\t{int(i == 1)}\t{int(i == 1)}\n" for i, text in enumerate(tweets)))
    result = run(tmp_path, "--format", "clef-tweets", path, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    assert last_json(result.output) == {"map": 1.0, "p@5": 0.2, "p@10": 0.1}
