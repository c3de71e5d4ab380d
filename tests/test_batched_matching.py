"""Batched matching returns what matching claim by claim returns, in statements that do not grow with the claims.

Each batched primitive (vector ``search_many`` on every backend, the lexical
``search_many``, ``features_many``, ``hybrid_candidates_many``) is compared
with its one-query counterpart on the demo library; the last test counts the
SQL statements an article's ingest sends for 5 and for 50 claims.
"""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import event, text

from factcheck.matching.index import ExactIndex, HnswIndex, IndexOptions, PgVectorIndex
from factcheck.matching.rerank import Candidate, QueryFeatures, features, features_many
from factcheck.services import matching as matching_service
from factcheck.services.articles import ingest_article
from factcheck.services.matching import KIND_FACT_CHECK, KIND_PASSAGE, LIBRARIES

QUERIES = [
    "Covid-19 is being spread by the new 5G phone masts.",
    "Inflation in Britain went above 11 percent in autumn 2022.",
    "Measles vaccination has prevented millions of deaths.",
    "The Eiffel Tower was sold twice by a con man in 1925.",
    "Drinking hot water cures the flu, doctors in Paris say.",
]


@pytest.fixture
def settings(demo_app):
    return demo_app.config["SETTINGS"]


@pytest.fixture
def embedder(settings):
    return matching_service.embedder_for(settings)


def _assert_same_hits(batched, single, tolerance=1e-5):
    assert [h.object_id for h in batched] == [h.object_id for h in single]
    assert [h.score for h in batched] == pytest.approx([h.score for h in single], abs=tolerance)


@pytest.mark.parametrize("backend", ["exact", "hnsw", "hnsw-reduced"])
def test_embedded_search_many_equals_search(demo_session, embedder, backend, tmp_path, monkeypatch):
    from factcheck.matching import index as index_module

    if backend == "exact":
        index = ExactIndex()
    elif backend == "hnsw":
        index = HnswIndex(IndexOptions(exact_max=0))
    else:  # the graph over principal components with its exact re-rank
        monkeypatch.setattr(index_module, "REDUCE_MIN_ROWS", 10)
        index = HnswIndex(IndexOptions(exact_max=0, hnsw_reduce_dim=16, hnsw_rerank=20))
    vectors = embedder.encode(QUERIES)
    for kind in LIBRARIES:
        names = dict(kind=kind, model_id=embedder.model_id, variant=embedder.variant)
        batched = index.search_many(demo_session, queries=vectors, k=7, **names)
        assert len(batched) == len(QUERIES)
        for vector, hits in zip(vectors, batched):
            _assert_same_hits(hits, index.search(demo_session, query=vector, k=7, **names))
        # One query, and a threshold, behave as in search.
        one = index.search_many(demo_session, queries=vectors[:1], k=3, min_score=0.3, **names)
        _assert_same_hits(one[0], index.search(demo_session, query=vectors[0], k=3, min_score=0.3, **names))


@pytest.mark.parametrize("reduced", [False, True])
def test_pgvector_search_many_equals_search_in_one_statement(demo_session, embedder, reduced, monkeypatch):
    if demo_session.get_bind().dialect.name != "postgresql":
        pytest.skip("pgvector runs on PostgreSQL (FACTCHECK_TEST_DB=postgres)")
    from factcheck.matching import index as index_module

    monkeypatch.setattr(index_module, "REDUCE_MIN_ROWS", 10)
    index = PgVectorIndex(IndexOptions(hnsw_reduce_dim=16 if reduced else 0, hnsw_rerank=20))
    names = dict(kind=KIND_FACT_CHECK, model_id=embedder.model_id, variant=embedder.variant)
    index.ensure_hnsw(demo_session, dim=embedder.dim, **names)
    demo_session.execute(text("SET enable_seqscan = off"))  # walk the graph even on a tiny table
    vectors = embedder.encode(QUERIES)
    single = [index.search(demo_session, query=v, k=5, **names) for v in vectors]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(demo_session.get_bind(), "before_cursor_execute", listener)
    try:
        batched = index.search_many(demo_session, queries=vectors, k=5, **names)
    finally:
        event.remove(demo_session.get_bind(), "before_cursor_execute", listener)
    assert len([s for s in statements if "LATERAL" in s]) == 1
    for hits, expected in zip(batched, single):
        _assert_same_hits(hits, expected)


def test_lexical_search_many_equals_search(demo_session, settings, embedder):
    lexical = matching_service.lexical_index(settings)
    for kind in LIBRARIES:
        names = dict(kind=kind, model_id=embedder.model_id, variant=embedder.variant,
                     texts=matching_service._lexical_texts(kind))
        batched = lexical.search_many(demo_session, queries=QUERIES + ["", "zzzz qqqq"], k=20, **names)
        assert batched[-2:] == [[], []]  # no words, or no word of the library
        for query, hits in zip(QUERIES, batched):
            assert hits == lexical.search(demo_session, text=query, k=20, **names)


def test_features_many_equals_features_per_query():
    texts = ["Covid-19 is spread by 5G masts, says Ofcom.", "Inflation in Britain hit 11.1% in October 2022.",
             "Measles vaccines saved 56 million lives since 2000, the WHO says.", "", "the of and",
             "Britain's inflation rate rose to 11.1 percent.", "5G masts do not spread Covid-19."]
    rng = np.random.default_rng(1)
    queries, lists = [], []
    for n, query in enumerate(QUERIES + ["", "A claim with 3 numbers: 4, 5,000 and 6.5 in London."]):
        size = [0, 1, 3, 7][n % 4]
        candidates = [Candidate(object_id=int(i), text=texts[i], dense=float(rng.uniform(-0.2, 0.9)),
                                dense_rank=None if rng.random() < 0.3 else int(r),
                                lexical=0.0 if rng.random() < 0.3 else float(rng.uniform(0, 12)),
                                lexical_rank=None if rng.random() < 0.3 else int(r))
                      for r, i in enumerate(rng.choice(len(texts), size=size, replace=False))]
        queries.append(QueryFeatures(query))
        lists.append(candidates)
    batched = features_many(queries, lists)
    assert len(batched) == len(queries)
    for query, candidates, matrix in zip(queries, lists, batched):
        expected = features(query, candidates)
        assert matrix.shape == expected.shape
        np.testing.assert_allclose(matrix, expected, rtol=1e-12, atol=1e-12)


def test_hybrid_candidates_many_equals_one_by_one(demo_session, settings, embedder):
    vectors = embedder.encode(QUERIES)
    for kind in (KIND_FACT_CHECK, KIND_PASSAGE):
        batched = matching_service.hybrid_candidates_many(demo_session, settings=settings, kind=kind,
                                                          texts=QUERIES, vectors=vectors)
        for query, vector, found in zip(QUERIES, vectors, batched):
            single = matching_service.hybrid_candidates(demo_session, settings=settings, kind=kind, text=query,
                                                        vector=vector)
            assert [i for i, _ in found.dense] == [i for i, _ in single.dense]
            assert [c for _, c in found.dense] == pytest.approx([c for _, c in single.dense], abs=1e-5)
            assert found.lexical == single.lexical
            assert [c.object_id for c in found.candidates] == [c.object_id for c in single.candidates]
            np.testing.assert_allclose(found.features, single.features, atol=1e-5)
            assert [(r.candidate.object_id, round(r.score, 4)) for r in found.ranked()] == \
                [(r.candidate.object_id, round(r.score, 4)) for r in single.ranked()]


def _article(claims: int) -> str:
    """An article of ``claims`` distinct check-worthy sentences (figures, places, years)."""
    towns = ["Leeds", "Bristol", "Cardiff", "Glasgow", "Norwich", "Exeter", "Derby", "York", "Bath", "Hull"]
    topics = ["unemployment rate", "number of measles cases", "average rent", "crime rate", "inflation rate"]
    sentences = [f"The {topics[i % len(topics)]} in {towns[i % len(towns)]} rose by {11 + 3 * i} percent "
                 f"in {1990 + i}, according to official figures published by the council."
                 for i in range(claims)]
    return "\n\n".join(sentences)


def test_ingest_sends_the_same_statements_for_5_and_50_claims(demo_session, settings):
    """Statements as the application sends them (SQLAlchemy ``before_execute``: an insert of many rows
    is one). On PostgreSQL the driver also sends the same number of statements to the server; SQLite
    runs a many-row insert with RETURNING row by row inside that one call, so there only the
    application's count is compared."""
    engine = demo_session.get_bind()

    def statements_for(claims: int) -> tuple[int, int, int]:
        sent, executed = [], []
        on_execute = lambda *args: sent.append(args[1])  # noqa: E731
        on_cursor = lambda *args: executed.append(args[2])  # noqa: E731
        # Warm the in-process indexes first: following the table is per transaction, not per claim.
        ingest_article(demo_session, settings=settings, data={"title": "warm", "text": _article(2)},
                      confirm_duplicate=True)  # warmed once per size: the same text twice
        event.listen(engine, "before_execute", on_execute)
        event.listen(engine, "before_cursor_execute", on_cursor)
        try:
            _, stored = ingest_article(demo_session, settings=settings,
                                       data={"title": f"{claims} claims", "text": _article(claims)})
        finally:
            event.remove(engine, "before_execute", on_execute)
            event.remove(engine, "before_cursor_execute", on_cursor)
        return len(stored), len(sent), len(executed)

    few_claims, few, few_executed = statements_for(5)
    many_claims, many, many_executed = statements_for(50)
    assert few_claims >= 4 and many_claims >= 40  # the extractor kept (nearly) every sentence
    assert few == many
    if engine.dialect.name == "postgresql":
        assert few_executed == many_executed
