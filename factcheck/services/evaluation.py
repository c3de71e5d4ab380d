"""Evaluate matching on CheckThat! files, and train the re-ranker on them.

Both run the app's own matching code (``services.matching.hybrid_candidates``, so this module lives
beside the services it drives)
against a temporary SQLite store that holds only the benchmark collection:
never the user's database. A collection document becomes a fact-check whose
``claim_reviewed`` is the document text and whose ``summary`` is its title.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import numpy as np
from sqlmodel import Session

from factcheck.config import Settings
from factcheck.domain.errors import ValidationFailed
from factcheck.matching import clef
from factcheck.matching.rerank import (FEATURES, METHOD, Candidate, QueryFeatures, Reranker, features, file_sha256,
                                       reranker_for_model)
from factcheck.coref.reported import reported_contents
from factcheck.services.matching import KIND_FACT_CHECK, embedder_for, hybrid_candidates, store_embeddings

SEED = 20201

#: Pool size per leg for evaluation: the full method re-ranks the top ``POOL`` of each
#: leg exactly as the app does; the legs alone are scored on their top 100.
LEG_K = 100


@dataclasses.dataclass
class Store:
    """A throw-away database holding one collection, and its settings."""

    settings: Settings
    session: Session
    doc_ids: dict[int, str]  # fact-check id -> collection id


#: Collections at least this large have their vectors cached (smaller ones embed faster than they hash).
CACHE_MIN_DOCUMENTS = 1000


def _cache_file(model: str, variant: str, documents: list[clef.Document]) -> Path | None:
    """Where a collection's vectors are cached: keyed by the model's weights, the variant and the texts.

    Re-running an evaluation (base vs. tuned, several seeds) then embeds a
    10,000-claim collection once per model instead of every time.
    """
    from factcheck.matching.finetune import weights_sha256

    if len(documents) < CACHE_MIN_DOCUMENTS:
        return None
    weights = weights_sha256(model) if Path(model).is_dir() else model
    digest = hashlib.sha256("\n".join([weights, variant, *(d.text for d in documents)]).encode()).hexdigest()
    return Path(tempfile.gettempdir()) / "factcheck-eval-cache" / f"{digest[:32]}.npy"


@contextmanager
def temporary_store(settings: Settings, documents: list[clef.Document], *, progress=None,
                    cache: bool = True) -> Iterator[Store]:
    """Migrate a fresh SQLite file, load and embed the collection; removed afterwards.

    ``cache``: reuse (or save) the collection's vectors under the system's temporary folder.
    """
    from sqlmodel import Session as SqlSession

    from factcheck.db import make_engine, upgrade
    from factcheck.models import FactCheck

    folder = Path(tempfile.mkdtemp(prefix="factcheck-eval-"))
    url = f"sqlite:///{folder / 'eval.db'}"
    engine = None
    try:
        upgrade(url)
        engine = make_engine(url)
        settings = dataclasses.replace(settings, database_url=url, instance_path=str(folder / "instance"))
        embedder = embedder_for(settings)
        with SqlSession(engine, expire_on_commit=False) as session:
            fact_checks = [FactCheck(claim_reviewed=d.text, summary=d.title, rating="unknown",
                                     url=f"https://collection.invalid/{quote(d.id, safe='')}") for d in documents]
            session.add_all(fact_checks)
            session.flush()
            batch = 256
            cache = _cache_file(settings.embedding_model, embedder.variant, documents) if cache else None
            cached = np.load(cache) if cache is not None and cache.exists() else None
            parts = []
            for start in range(0, len(fact_checks), batch):
                chunk = fact_checks[start:start + batch]
                vectors = (cached[start:start + batch] if cached is not None
                           else embedder.encode([fc.claim_reviewed for fc in chunk]))
                parts.append(vectors)
                store_embeddings(session, embedder=embedder, kind=KIND_FACT_CHECK,
                                 ids=[fc.id for fc in chunk], vectors=vectors)
                if progress is not None:
                    progress(len(chunk))
            if cache is not None and cached is None and parts:
                cache.parent.mkdir(parents=True, exist_ok=True)
                np.save(cache, np.vstack(parts))
            session.commit()
            yield Store(settings, session, {fc.id: d.id for fc, d in zip(fact_checks, documents)})
    finally:
        if engine is not None:
            engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def _runs(store: Store, queries: list[tuple[str, str]], progress=None, *,
          exclude_of: dict[str, set[int]] | None = None):
    """Yield (query id, HybridCandidates) for each query, embedding queries in batches.

    ``exclude_of``: object ids to search each query without (the open-set run leaves out its gold documents).
    """
    if not queries:
        return
    embedder = embedder_for(store.settings)
    vectors = embedder.encode([text for _, text in queries])
    for (query_id, text), vector in zip(queries, vectors):
        store.session.rollback()  # one unit of work per query, as in the app
        exclude = frozenset((exclude_of or {}).get(query_id, ()))
        yield query_id, hybrid_candidates(store.session, settings=store.settings, kind=KIND_FACT_CHECK, text=text,
                                          vector=vector, leg_k=LEG_K, exclude=exclude)
        if progress is not None:
            progress(1)


def gold_object_ids(store: Store, relevant: dict[str, set[str]]) -> dict[str, set[int]]:
    """Each query's relevant documents as the store's object ids (what the open-set run leaves out)."""
    object_of = {doc_id: object_id for object_id, doc_id in store.doc_ids.items()}
    return {query_id: {object_of[d] for d in docs if d in object_of} for query_id, docs in relevant.items()}


def shown(ranked_scores: list[tuple], *, threshold: float, k: int, calibration=None) -> list[str]:
    """What the claim page would show: of the candidates best first, the top ``k`` whose calibrated
    probability reaches ``threshold``. Candidates are (doc, probability, ...) (``calibrated_runs``), or
    (doc, raw score, features) with a ``calibration`` that gives the probability from those alone."""
    if calibration is None:
        return [doc for doc, probability, *_ in ranked_scores[:k] if probability >= threshold]
    return [doc for doc, raw, row in ranked_scores[:k] if calibration.probability(raw, row) >= threshold]


def calibrated_runs(runs: dict[str, list[tuple]], calibration, *, queries: dict[str, str],
                    documents: dict[str, str], k: int, pair_logits=None) -> dict[str, list[tuple[str, float]]]:
    """Each query's top ``k`` (doc, raw score, features) as (doc, probability of "same claim"), as the app
    computes it (``LibraryCalibration.probabilities``: verifier, then the same-claim classifier for the
    plausible candidates), in one call for all queries."""
    flat = [(q, doc, raw, row) for q, ranked in runs.items() for doc, raw, row in ranked[:k]]
    out: dict[str, list[tuple[str, float]]] = {q: [] for q in runs}
    if not flat:
        return out
    probabilities = calibration.probabilities([raw for _, _, raw, _ in flat], np.stack([row for *_, row in flat]),
                                              [(queries[q], documents[doc]) for q, doc, _, _ in flat],
                                              pair_logits=pair_logits)
    for (q, doc, _, _), p in zip(flat, probabilities):
        out[q].append((doc, float(p)))
    return out


def better_runs(first: dict[str, list[tuple[str, float]]],
                second: dict[str, list[tuple[str, float]]]) -> dict[str, list[tuple[str, float]]]:
    """Two readings' (doc, probability) lists per query as one: each document once with its higher
    probability, best first (what ``services.matching`` shows for a claim read twice)."""
    merged = {}
    for q, ranked in first.items():
        best: dict[str, float] = {}
        for doc, probability in ranked + second.get(q, []):
            best[doc] = max(best.get(doc, probability), probability)
        merged[q] = sorted(best.items(), key=lambda item: -item[1])
    return merged


def open_set_figures(normal: dict[str, list[tuple]], removed: dict[str, list[tuple]],
                     relevant: dict[str, set[str]], *, threshold: float, k: int, calibration=None) -> dict:
    """Hit rate on the normal run and false suggestions on the run without the gold documents.

    ``shown_recall``: share of queries whose relevant document is among the
    suggestions shown. ``abstain_rate``: share of queries (gold removed, so any
    suggestion is wrong) with nothing shown; ``false_suggestion_rate`` is its
    complement.
    """
    figures: dict = {"threshold": round(threshold, 4)}
    if normal:
        hits = [bool(set(shown(ranked, threshold=threshold, k=k, calibration=calibration)) & relevant[q])
                for q, ranked in normal.items()]
        figures["shown_recall"] = round(float(np.mean(hits)), 4)
        figures["shown_per_query"] = round(float(np.mean(
            [len(shown(r, threshold=threshold, k=k, calibration=calibration)) for r in normal.values()])), 4)
    if removed:
        counts = [len(shown(r, threshold=threshold, k=k, calibration=calibration)) for r in removed.values()]
        figures["abstain_rate"] = round(float(np.mean([c == 0 for c in counts])), 4)
        figures["false_suggestion_rate"] = round(1 - figures["abstain_rate"], 4)
        figures["false_per_query"] = round(float(np.mean(counts)), 4)
    return figures


def check_not_trained_on(reranker: Reranker, *paths, model: str | None = None) -> None:
    """Refuse to evaluate on files the re-ranker, or the fine-tuned embedding model, was trained on.

    Files are compared by SHA-256, so a renamed copy is refused too.
    """
    from factcheck.matching.finetune import read_provenance

    tuned = (read_provenance(model) or {}) if model else {}
    tuned_files = tuned.get("trained_on_files", {})
    for path in paths:
        digest = file_sha256(path)
        if reranker.trained_on(digest):
            trained = "re-ranker"
        elif digest in (tuned_files.get("queries"), tuned_files.get("qrels")):
            trained = "fine-tuned embedding model"
        else:
            continue
        raise ValidationFailed(
            f"The {trained} was trained on {Path(path).name} (same SHA-256): evaluating on it would "
            "report training accuracy. Evaluate on a held-out split.", {"queries": "trained on"})


def evaluate(settings: Settings, *, collection: str, queries: str, qrels: str, model: str | None = None,
             remove_gold: bool = False, progress=None) -> dict:
    """Metrics of the full method and of each leg alone, from one run over the queries.

    ``model`` (default: the configured one) is the embedding model; the
    re-ranker is the one trained for it (``reranker_for_model``). Next to the
    ranking metrics: ``shown_recall`` under the default thresholds (what the
    claim page would show). With ``remove_gold``, a second run searches every
    query with its relevant documents left out of the collection, where any
    suggestion shown is a false one: ``open_set`` gives its ``abstain_rate``.
    """
    from factcheck.matching import calibration as calibration_module

    if model:
        settings = dataclasses.replace(settings, embedding_model=model)
    reranker = reranker_for_model(settings.embedding_model)
    check_not_trained_on(reranker, queries, qrels, model=settings.embedding_model)
    calibration = calibration_module.for_library(KIND_FACT_CHECK)
    check_not_calibrated_on(queries, qrels)
    documents, relevant = clef.read_collection(collection), clef.read_qrels(qrels)
    query_rows = [(q, text) for q, text in clef.read_queries(queries) if q in relevant]
    rankings: dict[str, dict[str, list[str]]] = {"full": {}, "bm25": {}, "dense": {}}
    scored: dict[str, list[tuple[str, float]]] = {}
    removed: dict[str, list[tuple[str, float]]] = {}
    with temporary_store(settings, documents, progress=progress) as store:
        model_id = embedder_for(store.settings).model_id
        ids = store.doc_ids
        for query_id, run in _runs(store, query_rows, progress=progress):
            ranked = run.ranked(reranker)
            scored[query_id] = [(ids[r.candidate.object_id], r.score, r.features) for r in ranked]
            rankings["full"][query_id] = [doc for doc, *_ in scored[query_id]]
            rankings["bm25"][query_id] = [ids[i] for i, _ in run.lexical]
            rankings["dense"][query_id] = [ids[i] for i, _ in run.dense]
        if remove_gold:
            for query_id, run in _runs(store, query_rows, progress=progress,
                                       exclude_of=gold_object_ids(store, relevant)):
                removed[query_id] = [(ids[r.candidate.object_id], r.score, r.features) for r in run.ranked(reranker)]
        # A query in reported speech is also searched for what it reports; only what is shown uses it
        # (the ranking metrics above are of the wording as written).
        contents = reported_contents([text for _, text in query_rows])
        reported_rows = [(q, contents[text]) for q, text in query_rows if contents.get(text)]
        reported_scored = {q: [(ids[r.candidate.object_id], r.score, r.features) for r in run.ranked(reranker)]
                           for q, run in _runs(store, reported_rows)}
        reported_removed = ({q: [(ids[r.candidate.object_id], r.score, r.features) for r in run.ranked(reranker)]
                             for q, run in _runs(store, reported_rows, exclude_of=gold_object_ids(store, relevant))}
                            if remove_gold else {})
    result = {"method": reranker.method, **clef.metrics(rankings["full"], relevant)}
    result["bm25"] = clef.metrics(rankings["bm25"], relevant)
    result["dense"] = clef.metrics(rankings["dense"], relevant)
    result["queries"] = len(query_rows)
    result["documents"] = len(documents)
    result["embedding_model"] = model_id
    result["reranker"] = reranker.provenance.get("command", "unknown")
    threshold, k = settings.fact_check_threshold, settings.match_top_k
    if calibration is not None:
        texts = {"queries": dict(query_rows), "documents": {d.id: d.text for d in documents}}
        normal_p = calibrated_runs(scored, calibration, k=k, **texts)
        removed_p = calibrated_runs(removed, calibration, k=k, **texts)
        if reported_rows:  # the reported-speech reading, as the app does (``matching.suggestions_for_claims``)
            texts["queries"] = dict(reported_rows)
            normal_p = better_runs(normal_p, calibrated_runs(reported_scored, calibration, k=k, **texts))
            removed_p = better_runs(removed_p, calibrated_runs(reported_removed, calibration, k=k, **texts))
        figures = open_set_figures(normal_p, removed_p, relevant, threshold=threshold, k=k)
        result["reported_speech_queries"] = len(reported_rows)
        result["shown_recall"] = figures["shown_recall"]
        result["shown_per_query"] = figures["shown_per_query"]
        result["suggest_threshold"] = threshold
        if remove_gold:
            result["open_set"] = {name: figures[name]
                                  for name in ("abstain_rate", "false_suggestion_rate", "false_per_query")}
    return result


def check_not_calibrated_on(*paths) -> None:
    """Refuse to report figures on files the shipped calibration (and its default thresholds) was fitted on."""
    from factcheck.matching import calibration as calibration_module

    fitted = set(calibration_module.shipped_document().get("provenance", {}).get("fitted_on_sha256", {}).values())
    for path in paths:
        if file_sha256(path) in fitted:
            raise ValidationFailed(
                f"The calibration and its default thresholds were fitted on {Path(path).name} (same SHA-256): "
                "figures on it would not be held out. Evaluate on another split.", {"queries": "calibrated on"})


def train(settings: Settings, *, collection: str, queries: str, qrels: str, seed: int = SEED,
          progress=None, extra_pairs: tuple[np.ndarray, np.ndarray] | None = None) -> Reranker:
    """Fit the re-ranker on the candidates the app's own legs propose for the training queries.

    A standardised L2-regularised logistic regression (lbfgs, which is
    deterministic; the seed fixes everything else). Queries whose relevant
    document no leg proposes still count: their candidates are all negatives.
    """
    random.seed(seed)
    np.random.seed(seed)
    documents, relevant = clef.read_collection(collection), clef.read_qrels(qrels)
    query_rows = [(q, text) for q, text in clef.read_queries(queries) if q in relevant]
    if not query_rows:
        raise ValidationFailed("No query has a relevant document in the qrels.", {"qrels": "empty"})
    with temporary_store(settings, documents, progress=progress) as store:
        embedder = embedder_for(store.settings)
        x, y = _training_rows(store, query_rows, relevant, progress)
    decisions = 0
    if extra_pairs is not None and len(extra_pairs[1]):
        # The newsroom's checkers' decisions (``matching.decided_pairs``), beside the public pairs.
        x, y = np.vstack([x, extra_pairs[0]]), np.concatenate([y, extra_pairs[1].astype(int)])
        decisions = int(len(extra_pairs[1]))
    provenance = {
        **_file_provenance(collection, queries, qrels),
        "embedding_model": embedder.model_id, "embedding_variant": embedder.variant,
        "queries": len(query_rows), "pairs": int(len(y)), "positives": int(y.sum()), "seed": seed,
        "command": "factcheck train matcher" + (" --with-decisions" if decisions else ""),
    }
    if decisions:
        provenance["newsroom_decisions"] = decisions
    return _fit(x, y, seed, provenance)


def train_cross_fitted(settings: Settings, *, collection: str, queries: str, qrels: str,
                       fold_models: list[tuple[str, list[str]]], embedding_model_id: str, seed: int = SEED,
                       progress=None) -> Reranker:
    """Fit the re-ranker for a fine-tuned embedding model on out-of-fold candidates only.

    ``fold_models`` pairs each fold's query ids with a model fine-tuned
    without them: every training row then carries the dense score a tuned
    model gives a claim it has not seen, as it will in the newsroom. (Rows
    from the model tuned on all queries would overstate the dense leg, and the
    re-ranker would trust it too much.)
    """
    random.seed(seed)
    np.random.seed(seed)
    documents, relevant = clef.read_collection(collection), clef.read_qrels(qrels)
    all_rows = dict((q, text) for q, text in clef.read_queries(queries) if q in relevant)
    x_parts, y_parts, variant, scored = [], [], None, 0
    for model, query_ids in fold_models:
        fold_rows = [(q, all_rows[q]) for q in query_ids if q in all_rows]
        scored += len(fold_rows)
        # Fold models are thrown away afterwards: caching their vectors would only fill /tmp.
        with temporary_store(dataclasses.replace(settings, embedding_model=model), documents,
                             progress=progress, cache=False) as store:
            variant = embedder_for(store.settings).variant
            x, y = _training_rows(store, fold_rows, relevant, progress)
        x_parts.append(x)
        y_parts.append(y)
    x, y = np.vstack(x_parts), np.concatenate(y_parts)
    provenance = {
        **_file_provenance(collection, queries, qrels),
        "embedding_model": embedding_model_id, "embedding_variant": variant,
        "queries": scored, "pairs": int(len(y)), "positives": int(y.sum()), "seed": seed,
        "cross_fitted_folds": len(fold_models), "command": "factcheck train embedder",
    }
    return _fit(x, y, seed, provenance)


def _training_rows(store: Store, query_rows: list[tuple[str, str]], relevant: dict[str, set[str]],
                   progress=None) -> tuple[np.ndarray, np.ndarray]:
    text_of = dict(query_rows)
    x_parts, y_parts = [np.zeros((0, len(FEATURES)))], [[]]
    for query_id, run in _runs(store, query_rows, progress=progress):
        labels = [store.doc_ids[c.object_id] in relevant[query_id] for c in run.candidates]
        x_parts.append(run.features)
        y_parts.append(labels)
        # The same query against a library that lacks its fact-check: in a newsroom most claims
        # have no earlier fact-check, and the scores must say so (see _without_relevant).
        absent = _without_relevant(run.candidates, labels)
        x_parts.append(features(QueryFeatures(text_of[query_id]), absent))
        y_parts.append([False] * len(absent))
    return np.vstack(x_parts), np.concatenate([np.asarray(part, dtype=int) for part in y_parts])


def _fit(x: np.ndarray, y: np.ndarray, seed: int, provenance: dict) -> Reranker:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=5000, random_state=seed).fit((x - mean) / scale, y)
    return Reranker(mean, scale, model.coef_[0].astype(float), float(model.intercept_[0]), provenance, METHOD)


def _file_provenance(collection: str, queries: str, qrels: str) -> dict:
    return {
        "trained_on_files": {"collection": file_sha256(collection), "queries": file_sha256(queries),
                             "qrels": file_sha256(qrels)},
        "file_names": {name: f"{Path(path).parent.name}/{Path(path).name}"
                       for name, path in (("collection", collection), ("queries", queries), ("qrels", qrels))},
    }


def _without_relevant(candidates: list[Candidate], labels: list[bool]) -> list[Candidate]:
    """The candidates as both legs would rank them had the relevant documents never been in the library.

    Every CheckThat! query has a relevant document, so trained on those alone
    the model learns that the top candidate is usually right, and gives an
    unrelated claim's best (poor) candidate a high probability. Adding each
    query once more without its relevant documents, re-ranked, teaches the
    scores to depend on how good the best candidate is, not only on its rank.
    """
    kept = [c for c, relevant in zip(candidates, labels) if not relevant]

    def reranked(rank_of):
        ranks = sorted(rank_of(c) for c in kept if rank_of(c) is not None)
        return {r: new for new, r in enumerate(ranks)}

    dense, lexical = reranked(lambda c: c.dense_rank), reranked(lambda c: c.lexical_rank)
    return [dataclasses.replace(c, dense_rank=dense.get(c.dense_rank), lexical_rank=lexical.get(c.lexical_rank))
            for c in kept]


def write_reranker(reranker: Reranker, path: str | Path) -> None:
    Path(path).write_text(json.dumps(reranker.to_json(), indent=2) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ calibration

#: Thresholds the calibration file describes (hit rate and false suggestions of each).
THRESHOLD_GRID = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))
#: Candidates per query the calibration is fitted on: what the claim page can show.
CALIBRATION_TOP_K = 5
#: The default "suggest" threshold is the lowest whose false-suggestion rate on the fitting split is at most this.
MAX_FALSE_SUGGESTIONS = 0.05
#: The default "same claim" (auto-link) threshold: at most this share of claims without a fact-check linked.
MAX_FALSE_LINKS = 0.01


def _scored_runs(store: Store, query_rows, reranker, *, exclude_of=None, progress=None):
    ids = store.doc_ids
    return {query_id: [(ids[r.candidate.object_id], r.score, r.features) for r in run.ranked(reranker)]
            for query_id, run in _runs(store, query_rows, progress=progress, exclude_of=exclude_of)}


#: The second stage (verifier + same-claim classifier) decides candidates the first verifier gives at least
#: this: on held-out training tweets 99% of right fact-checks and ~70% of all top-5 candidates reach it
#: (CheckThat! tweets are close to their library; an unrelated newsroom article's candidates mostly do not).
PAIR_FLOOR = 0.02


def fit_fact_check_calibration(settings: Settings, *, collection: str, fit_queries: str, fit_qrels: str,
                               measure_queries: str, measure_qrels: str, progress=None,
                               same_claim_adapter: str | Path | None = None,
                               same_claim_out: str | Path | None = None, with_same_claim: bool = False) -> dict:
    """Fit the fact-check calibration on one split and describe its thresholds on another.

    Both splits are searched twice: as they are, and with each query's gold
    documents left out (the open-set run, where any suggestion is false). The
    verifier (``calibration.Verifier``; Platt scaling of the score is kept for
    comparison) is fitted on the top ``CALIBRATION_TOP_K`` candidates of both
    runs of the fitting split. With the same-claim classifier
    (``matching.same_claim``): it is fine-tuned on three quarters of the fitting
    split's queries (or read from ``same_claim_adapter``), and the second
    verifier, which adds its logit, is fitted on the other quarter's candidates
    that reach ``PAIR_FLOOR``; the default thresholds are then chosen on that
    quarter (on the whole fitting split without the classifier). The table of
    hit rates and false suggestions per threshold is measured on the other split.
    """
    from factcheck.lora_classifier import TunedClassifier, adapter_sha256
    from factcheck.matching import same_claim
    from factcheck.matching.calibration import (SAME_CLAIM_INPUT, VERIFIER_INPUTS, LibraryCalibration, Platt,
                                                Verifier, verifier_to_json)

    reranker = reranker_for_model(settings.embedding_model)
    documents = clef.read_collection(collection)
    document_texts = {d.id: d.text for d in documents}
    splits = {"fit": (fit_queries, fit_qrels), "measure": (measure_queries, measure_qrels)}
    runs: dict[str, tuple[dict, dict, dict, dict]] = {}
    with temporary_store(settings, documents, progress=progress) as store:
        for name, (queries, qrels) in splits.items():
            relevant = clef.read_qrels(qrels)
            rows = [(q, text) for q, text in clef.read_queries(queries) if q in relevant]
            normal = _scored_runs(store, rows, reranker, progress=progress)
            removed = _scored_runs(store, rows, reranker, exclude_of=gold_object_ids(store, relevant),
                                   progress=progress)
            runs[name] = (normal, removed, relevant, dict(rows))
        embedder = embedder_for(store.settings)
    normal, removed, relevant, query_texts = runs["fit"]

    def top_pairs(query_ids):
        raw, rows, labels, pairs = [], [], [], []
        for run, from_normal in ((normal, True), (removed, False)):
            for query_id in query_ids:
                for doc, score, row in run[query_id][:CALIBRATION_TOP_K]:
                    raw.append(score)
                    rows.append(row)
                    labels.append(from_normal and doc in relevant[query_id])
                    pairs.append((query_texts[query_id], document_texts[doc]))
        return raw, np.asarray(rows), labels, pairs

    raw, rows, labels, _pairs = top_pairs(list(normal))
    platt = Platt.fit(raw, labels, seed=SEED)
    verifier = Verifier.fit(rows, labels, seed=SEED)
    calibrated = LibraryCalibration(KIND_FACT_CHECK, platt, 0.0, 0.0, verifier=verifier)
    choose_on, pair_logits, pair_item = list(normal), None, None
    if with_same_claim:
        learn, held = same_claim.split_queries(normal)
        if same_claim_adapter:
            folder = Path(same_claim_adapter)
            classifier = TunedClassifier.load(folder, name=same_claim.CACHE_NAME)
        else:
            texts, pair_labels = same_claim.training_pairs(learn, queries=query_texts, documents=document_texts,
                                                           relevant=relevant, normal=normal, removed=removed)
            classifier = same_claim.train(texts, pair_labels)
            folder = Path(same_claim_out) if same_claim_out else same_claim.shipped_adapter()
            classifier.save(folder)

        def pair_logits(pairs):
            return classifier.logits([same_claim.pair_text(claim, candidate) for claim, candidate in pairs])

        held_raw, held_rows, held_labels, held_pairs = top_pairs(held)
        first = np.asarray(verifier.probability(held_raw, held_rows))
        past = np.flatnonzero(first >= PAIR_FLOOR)
        pair_verifier = Verifier.fit(held_rows[past], np.asarray(held_labels)[past], seed=SEED,
                                     inputs=(*VERIFIER_INPUTS, SAME_CLAIM_INPUT),
                                     pair_logits=pair_logits([held_pairs[i] for i in past]))
        sha256 = adapter_sha256(folder)
        calibrated = LibraryCalibration(KIND_FACT_CHECK, platt, 0.0, 0.0, verifier=verifier,
                                        pair_verifier=pair_verifier, pair_floor=PAIR_FLOOR,
                                        pair_classifier={"adapter": same_claim.ADAPTER_FOLDER, "sha256": sha256})
        choose_on = held
        pair_item = {"verifier": verifier_to_json(pair_verifier), "floor": PAIR_FLOOR,
                     "classifier": {"adapter": same_claim.ADAPTER_FOLDER, "sha256": sha256,
                                    "trained_on_queries": len(learn), "config": dataclasses.asdict(classifier.config),
                                    "train_top_k": same_claim.TRAIN_TOP_K},
                     "fitted_on_queries": len(held), "pairs": int(past.size),
                     "positives": int(np.asarray(held_labels)[past].sum())}

    def table(name, query_ids=None):
        normal, removed, relevant, texts = runs[name]
        query_ids = list(normal) if query_ids is None else query_ids
        chosen = {q: normal[q] for q in query_ids}, {q: removed[q] for q in query_ids}
        normal_p, removed_p = (calibrated_runs(run, calibrated, queries=texts, documents=document_texts,
                                               k=CALIBRATION_TOP_K, pair_logits=pair_logits) for run in chosen)
        return [open_set_figures(normal_p, removed_p, relevant, threshold=t, k=CALIBRATION_TOP_K)
                for t in THRESHOLD_GRID]

    fitted, measured = table("fit", choose_on), table("measure")
    suggest = next((row["threshold"] for row in fitted if row["false_suggestion_rate"] <= MAX_FALSE_SUGGESTIONS),
                   THRESHOLD_GRID[-1])
    same_claim_threshold = next((row["threshold"] for row in fitted if row["threshold"] >= suggest
                                 and row["false_suggestion_rate"] <= MAX_FALSE_LINKS), THRESHOLD_GRID[-1])
    for row in measured:
        row["hit_rate"] = row.pop("shown_recall")
    result = {
        "platt": {"a": round(platt.a, 6), "b": round(platt.b, 6)},
        "verifier": verifier_to_json(verifier),
        "suggest": suggest, "same_claim": same_claim_threshold,
        "pairs": len(labels), "positives": int(sum(labels)),
        "fit_split_table": fitted,
        "thresholds_chosen_on": (f"the {len(choose_on)} fitting-split queries the same-claim classifier did not "
                                 "learn on" if pair_item else "the fitting split"),
        "table": measured,
        "measured_on": f"{Path(measure_queries).parent.name} split (queries {Path(measure_queries).name}), "
                       f"each query also searched with its gold fact-checks removed",
        "fitted_on": f"{Path(fit_queries).parent.name} split",
        "files_sha256": {"collection": file_sha256(collection), "fit_queries": file_sha256(fit_queries),
                         "fit_qrels": file_sha256(fit_qrels), "measure_queries": file_sha256(measure_queries),
                         "measure_qrels": file_sha256(measure_qrels)},
        "embedding_model": embedder.model_id, "embedding_variant": embedder.variant,
    }
    if pair_item:
        result["pair_verifier"] = pair_item
    return result


def fit_passage_calibration(settings: Settings, *, climate_fever_path: str, folds: int = 5, progress=None) -> dict:
    """Fit the passage calibration on CLIMATE-FEVER, with every figure held out by claim.

    A passage's label is whether it is one of the claim's SUPPORTS/REFUTES
    sentences. The file is also the evidence benchmark, so the table (share of
    relevant top-5 passages shown, suggestions per claim, their precision) is
    cross-validated by claim: each fold's claims are scored with a calibration
    fitted on the others. The shipped parameters are fitted on the whole file.
    Passages under the cosine floor (``matching.MIN_COSINE``) are never shown
    and are left out.
    """
    from factcheck.matching.calibration import Platt
    from factcheck.services import evidence_search
    from factcheck.services.matching import KIND_PASSAGE, MIN_COSINE

    floor = MIN_COSINE[KIND_PASSAGE]
    k = CALIBRATION_TOP_K
    runs = evidence_search.climate_fever_runs(climate_fever_path, settings=settings, k=k, progress=progress)[2]

    def pairs(subset):
        raw, labels = [], []
        for run in subset:
            for evidence, score, cosine in run.full[:k]:
                if cosine >= floor:
                    raw.append(score)
                    labels.append(evidence in run.relevant)
        return raw, labels

    fold_of = [evidence_search._fold(run.claim_id, folds) for run in runs]
    held_out: list[tuple[float, bool, int]] = []  # (held-out probability, relevant, run index)
    for fold in range(folds):
        platt = Platt.fit(*pairs([r for r, f in zip(runs, fold_of) if f != fold]), seed=SEED)
        for index, (run, f) in enumerate(zip(runs, fold_of)):
            if f == fold:
                held_out.extend((platt.probability(score), evidence in run.relevant, index)
                                for evidence, score, cosine in run.full[:k] if cosine >= floor)
    relevant_in_top = sum(1 for run in runs for evidence, *_ in run.full[:k] if evidence in run.relevant)
    rows = []
    for threshold in THRESHOLD_GRID:
        kept = [(relevant, index) for p, relevant, index in held_out if p >= threshold]
        hits = sum(1 for relevant, _ in kept if relevant)
        rows.append({"threshold": threshold, "hit_rate": round(hits / relevant_in_top, 4) if relevant_in_top else 0.0,
                     "shown_per_claim": round(len(kept) / len(runs), 4),
                     "precision": round(hits / len(kept), 4) if kept else 0.0,
                     "claims_with_any_shown": round(len({i for _, i in kept}) / len(runs), 4)})
    raw, labels = pairs(runs)
    platt = Platt.fit(raw, labels, seed=SEED)
    # Default: the highest threshold still showing 80% of the relevant passages the ranking puts in the top 5.
    suggest = max((row["threshold"] for row in rows if row["hit_rate"] >= 0.8), default=THRESHOLD_GRID[0])
    embedder = embedder_for(settings)
    return {
        "platt": {"a": round(platt.a, 6), "b": round(platt.b, 6)},
        "suggest": suggest, "same_claim": 1.0, "pairs": len(labels), "positives": int(sum(labels)),
        "table": rows, "min_cosine": floor,
        "measured_on": f"{Path(climate_fever_path).name}, {folds}-fold cross-validation by claim",
        "fitted_on": Path(climate_fever_path).name,
        "files_sha256": {"climate_fever": file_sha256(climate_fever_path)},
        "embedding_model": embedder.model_id, "embedding_variant": embedder.variant,
    }


def fit_calibration(settings: Settings, *, collection: str, fit_queries: str, fit_qrels: str, measure_queries: str,
                    measure_qrels: str, climate_fever_path: str, progress=None, **same_claim_options) -> dict:
    """The whole calibration file: both libraries, with provenance (``same_claim_options``: see
    ``fit_fact_check_calibration``)."""
    from factcheck.services.evidence_search import reranker_sha256

    fact_check = fit_fact_check_calibration(settings, collection=collection, fit_queries=fit_queries,
                                            fit_qrels=fit_qrels, measure_queries=measure_queries,
                                            measure_qrels=measure_qrels, progress=progress, **same_claim_options)
    passage = fit_passage_calibration(settings, climate_fever_path=climate_fever_path)
    return {
        "method": "calibrated-v1",
        "libraries": {KIND_FACT_CHECK: fact_check, "passage": passage},
        "provenance": {
            "command": "factcheck train calibration",
            "reranker_sha256": reranker_sha256(),
            "seed": SEED,
            # Files the default thresholds were chosen on: evaluations on them are refused.
            "fitted_on_sha256": {"fit_queries": fact_check["files_sha256"]["fit_queries"],
                                 "fit_qrels": fact_check["files_sha256"]["fit_qrels"]},
        },
    }
