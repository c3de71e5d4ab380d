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


def _runs(store: Store, queries: list[tuple[str, str]], progress=None):
    """Yield (query id, HybridCandidates) for each query, embedding queries in batches."""

    embedder = embedder_for(store.settings)
    vectors = embedder.encode([text for _, text in queries])
    for (query_id, text), vector in zip(queries, vectors):
        store.session.rollback()  # one unit of work per query, as in the app
        yield query_id, hybrid_candidates(store.session, settings=store.settings, kind=KIND_FACT_CHECK, text=text,
                                          vector=vector, leg_k=LEG_K)
        if progress is not None:
            progress(1)


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
             progress=None) -> dict:
    """Metrics of the full method and of each leg alone, from one run over the queries.

    ``model`` (default: the configured one) is the embedding model; the
    re-ranker is the one trained for it (``reranker_for_model``).
    """
    if model:
        settings = dataclasses.replace(settings, embedding_model=model)
    reranker = reranker_for_model(settings.embedding_model)
    check_not_trained_on(reranker, queries, qrels, model=settings.embedding_model)
    documents, relevant = clef.read_collection(collection), clef.read_qrels(qrels)
    query_rows = [(q, text) for q, text in clef.read_queries(queries) if q in relevant]
    rankings: dict[str, dict[str, list[str]]] = {"full": {}, "bm25": {}, "dense": {}}
    with temporary_store(settings, documents, progress=progress) as store:
        model_id = embedder_for(store.settings).model_id
        for query_id, run in _runs(store, query_rows, progress=progress):
            ids = store.doc_ids
            rankings["full"][query_id] = [ids[r.candidate.object_id] for r in run.ranked(reranker)]
            rankings["bm25"][query_id] = [ids[i] for i, _ in run.lexical]
            rankings["dense"][query_id] = [ids[i] for i, _ in run.dense]
    result = {"method": reranker.method, **clef.metrics(rankings["full"], relevant)}
    result["bm25"] = clef.metrics(rankings["bm25"], relevant)
    result["dense"] = clef.metrics(rankings["dense"], relevant)
    result["queries"] = len(query_rows)
    result["documents"] = len(documents)
    result["embedding_model"] = model_id
    result["reranker"] = reranker.provenance.get("command", "unknown")
    return result


def train(settings: Settings, *, collection: str, queries: str, qrels: str, seed: int = SEED,
          progress=None) -> Reranker:
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
    provenance = {
        **_file_provenance(collection, queries, qrels),
        "embedding_model": embedder.model_id, "embedding_variant": embedder.variant,
        "queries": len(query_rows), "pairs": int(len(y)), "positives": int(y.sum()), "seed": seed,
        "command": "factcheck train matcher",
    }
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
