"""Every vector index backend returns exact search's top results on the demo library.

HNSW (usearch) is exercised directly and through EmbeddedIndex past its exact
limit, including persistence and following another process's changes;
pgvector's HNSW index runs on PostgreSQL (FACTCHECK_TEST_DB=postgres).
"""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlmodel import Session, select

from factcheck.cli import main
from factcheck.db import make_engine
from factcheck.matching.index import (PROJECTION_SAMPLE, EmbeddedIndex, ExactIndex, HnswIndex, IndexOptions,
                                      PgVectorIndex, fit_projection)
from factcheck.models import Embedding
from factcheck.services import library as library_service
from factcheck.services import matching as matching_service
from factcheck.services.matching import KIND_FACT_CHECK, KIND_PASSAGE

QUERIES = [
    "Covid-19 is being spread by the new 5G phone masts.",
    "Inflation in Britain went above 11 percent in autumn 2022.",
    "Measles vaccination has prevented millions of deaths.",
]
#: The graph may store bfloat16 vectors (IndexOptions.hnsw_dtype): scores are good to ~0.005.
HNSW_TOLERANCE = 6e-3
#: HNSW is approximate even on a few dozen vectors (usearch leaves the odd node unreached): about
#: 1 query in 1,000 misses a top-5 neighbour there, so one miss in the 30 slots a check covers is allowed.
HNSW_RECALL = 0.95
NEW = "The Riverside bridge in Easthaven was closed for 40 days in 2023 because of cracks in its steel cables."


@pytest.fixture
def settings(demo_app):
    return demo_app.config["SETTINGS"]


@pytest.fixture
def embedder(settings):
    return matching_service.embedder_for(settings)


def _same_as_exact(session, embedder, backend, k=5, tolerance=1e-4, min_recall=1.0):
    """The backend's top ``k`` against exact search's, for every demo query and kind.

    An exact backend (``min_recall`` 1) must return exact search's list. A graph is
    approximate: every hit must be real and carry its true score, the best hit must
    be exact search's, and at least ``min_recall`` of the top-``k`` slots must hold a
    true top-``k`` neighbour (a near-tie within ``tolerance`` counts as one).
    """
    exact = ExactIndex()
    slots = right = 0
    for kind in (KIND_FACT_CHECK, KIND_PASSAGE):
        for query in QUERIES:
            args = dict(kind=kind, model_id=embedder.model_id, variant=embedder.variant,
                        query=embedder.encode_one(query), k=k)
            expected = exact.search(session, **args)
            found = backend.search(session, **args)
            if min_recall >= 1.0:
                assert [h.object_id for h in found] == [h.object_id for h in expected], (kind, query)
                assert [h.score for h in found] == pytest.approx([h.score for h in expected], abs=tolerance)
                continue
            true_score = {h.object_id: h.score for h in exact.search(session, **{**args, "k": 10_000})}
            assert len(found) == len(expected) and len({h.object_id for h in found}) == len(found), (kind, query)
            assert [h.score for h in found] == pytest.approx(
                [true_score[h.object_id] for h in found], abs=tolerance), (kind, query)
            assert found[0].object_id == expected[0].object_id, (kind, query)
            slots += len(expected)
            right += sum(true_score[h.object_id] >= expected[-1].score - tolerance for h in found)
    assert right >= min_recall * slots, f"recall@{k} {right}/{slots}"


def test_hnsw_and_embedded_index_agree_with_exact(demo_session, embedder, tmp_path):
    options = IndexOptions(exact_max=0, folder=str(tmp_path / "graphs"))
    _same_as_exact(demo_session, embedder, HnswIndex(options), tolerance=HNSW_TOLERANCE, min_recall=HNSW_RECALL)
    embedded = EmbeddedIndex(options)
    assert embedded.backend(demo_session, kind=KIND_FACT_CHECK, model_id=embedder.model_id,
                            variant=embedder.variant) is embedded.hnsw
    _same_as_exact(demo_session, embedder, embedded, tolerance=HNSW_TOLERANCE, min_recall=HNSW_RECALL)


def test_hnsw_graph_is_saved_loaded_and_follows_other_processes(demo_session, settings, embedder, tmp_path):
    options = IndexOptions(exact_max=0, folder=str(tmp_path / "graphs"))
    names = dict(kind=KIND_FACT_CHECK, model_id=embedder.model_id, variant=embedder.variant)
    size = HnswIndex(options).rebuild(demo_session, **names)
    assert size == len(demo_session.exec(select(Embedding.id).where(Embedding.kind == KIND_FACT_CHECK)).all())
    assert len(list((tmp_path / "graphs").glob("*.usearch"))) == 1

    # A new process loads the saved graph, then catches up with a fact-check added and one replaced elsewhere.
    later = HnswIndex(options)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as other:
            new = library_service.add_fact_check(other, settings=settings, data={
                "claim_reviewed": NEW, "rating": "True", "url": "https://other.example/bridge"})
            replaced = other.exec(select(Embedding).where(Embedding.kind == KIND_FACT_CHECK)
                                  .order_by(Embedding.id)).first()
            matching_service.store_embeddings(other, embedder=embedder, kind=KIND_FACT_CHECK,
                                              ids=[replaced.object_id], vectors=embedder.encode([QUERIES[1]]))
            other.commit()
    finally:
        engine.dispose()
    demo_session.rollback()
    query = embedder.encode_one(NEW)
    assert later.search(demo_session, query=query, k=1, **names)[0].object_id == new.id
    top = later.search(demo_session, query=embedder.encode_one(QUERIES[1]), k=1, **names)[0]
    assert top.object_id == replaced.object_id and top.score == pytest.approx(1.0, abs=HNSW_TOLERANCE)
    _same_as_exact(demo_session, embedder, later, tolerance=HNSW_TOLERANCE, min_recall=HNSW_RECALL)


def test_rebuild_index_command(demo_app, settings, embedder, monkeypatch, tmp_path):
    env = {"FACTCHECK_DATABASE_URL": settings.database_url, "FACTCHECK_INSTANCE_PATH": settings.instance_path,
           "FACTCHECK_EMBEDDING_VARIANT": settings.embedding_variant}
    result = CliRunner().invoke(main, ["embeddings", "rebuild-index"], env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    # Both backends: the BM25 postings of both libraries are saved for the next process.
    assert "BM25 index of 39 texts" in result.output
    assert len(list((tmp_path / "instance" / "vector-index").glob("bm25-*.npz"))) == 2
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            if engine.dialect.name == "postgresql":
                assert "pgvector HNSW index" in result.output
                names = session.execute(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE "
                                             "'ix_embedding_hnsw_%'")).scalars().all()
                assert len(names) == 2  # fact-checks and passages
            else:
                assert "HNSW graph of" in result.output
                assert len(list((tmp_path / "instance" / "vector-index").glob("*.usearch"))) == 2
    finally:
        engine.dispose()


def test_pgvector_hnsw_index_agrees_with_exact(demo_session, embedder):
    if demo_session.get_bind().dialect.name != "postgresql":
        pytest.skip("pgvector runs on PostgreSQL (FACTCHECK_TEST_DB=postgres)")
    index = PgVectorIndex()
    for kind in (KIND_FACT_CHECK, KIND_PASSAGE):
        index.ensure_hnsw(demo_session, kind=kind, model_id=embedder.model_id, variant=embedder.variant,
                          dim=embedder.dim)
    # A tiny table would otherwise be scanned and sorted; the HNSW index returns rows in distance order.
    demo_session.execute(text("SET enable_seqscan = off"))
    demo_session.execute(text("SET enable_sort = off"))
    plan = index.explain(demo_session, kind=KIND_FACT_CHECK, model_id=embedder.model_id, variant=embedder.variant,
                         query=embedder.encode_one(QUERIES[0]), k=5)
    assert "ix_embedding_hnsw_fact_check" in plan
    _same_as_exact(demo_session, embedder, index)


def test_pgvector_reduced_index_reranks_exactly_and_follows_new_rows(demo_session, settings, embedder,
                                                                      monkeypatch):
    """Past REDUCE_MIN_ROWS the pgvector graph walks principal components; scores come from full vectors."""
    if demo_session.get_bind().dialect.name != "postgresql":
        pytest.skip("pgvector runs on PostgreSQL (FACTCHECK_TEST_DB=postgres)")
    from factcheck.matching import index as index_module
    from factcheck.models import VectorProjection

    monkeypatch.setattr(index_module, "REDUCE_MIN_ROWS", 10)  # the demo library has 39 fact-checks
    names = dict(kind=KIND_FACT_CHECK, model_id=embedder.model_id, variant=embedder.variant)
    full_name = PgVectorIndex(IndexOptions(hnsw_reduce_dim=0)).ensure_hnsw(demo_session, dim=embedder.dim, **names)
    index = PgVectorIndex(IndexOptions(hnsw_reduce_dim=16, hnsw_rerank=20))
    filled = []
    name = index.ensure_hnsw(demo_session, dim=embedder.dim, progress=filled.append, **names)
    library_size = len(demo_session.exec(select(Embedding.id).where(Embedding.kind == KIND_FACT_CHECK)).all())
    assert name == f"{full_name}_r16" and sum(filled) == library_size

    def count(sql: str) -> int:
        return demo_session.execute(text(sql)).scalar_one()

    assert count("SELECT count(*) FROM embedding WHERE kind = 'fact_check' AND reduced IS NULL") == 0
    assert count("SELECT count(*) FROM embedding WHERE kind = 'passage' AND reduced IS NOT NULL") == 0
    assert count("SELECT count(*) FROM vectorprojection") == 1
    indexes = demo_session.execute(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE "
                                        "'ix_embedding_hnsw_fact_check%'")).scalars().all()
    assert indexes == [name]  # the full-dimension index made while the library was small is gone
    projection = demo_session.exec(select(VectorProjection)).one()
    assert (projection.dim, projection.reduced_dim, projection.fitted_on) == (embedder.dim, 16, library_size)

    demo_session.execute(text("SET enable_seqscan = off"))  # as in the test above
    demo_session.execute(text("SET enable_sort = off"))
    assert name in index.explain(demo_session, query=embedder.encode_one(QUERIES[0]), k=5, **names)
    _same_as_exact(demo_session, embedder, index, min_recall=HNSW_RECALL)

    # A fact-check stored from now on is projected as it is written, and found.
    new = library_service.add_fact_check(demo_session, settings=settings, data={
        "claim_reviewed": NEW, "rating": "True", "url": "https://other.example/bridge"})
    demo_session.commit()
    assert count(f"SELECT count(*) FROM embedding WHERE kind = 'fact_check' AND object_id = {new.id} "
                 "AND reduced IS NOT NULL") == 1
    top = index.search(demo_session, query=embedder.encode_one(NEW), k=3, **names)[0]
    assert top.object_id == new.id and top.score == pytest.approx(1.0, abs=1e-4)

    # A row written by a process that had not seen the projection yet is searched exactly meanwhile...
    demo_session.execute(text(f"UPDATE embedding SET reduced = NULL WHERE kind = 'fact_check' "
                              f"AND object_id = {new.id}"))
    demo_session.commit()
    assert index.search(demo_session, query=embedder.encode_one(NEW), k=3, **names)[0].object_id == new.id
    # ...and the next rebuild-index fills it in, keeping the projection.
    index.ensure_hnsw(demo_session, dim=embedder.dim, **names)
    assert count("SELECT count(*) FROM embedding WHERE kind = 'fact_check' AND reduced IS NULL") == 0
    assert count("SELECT count(*) FROM vectorprojection") == 1


def _low_rank(n: int, seed: int, dim: int = 384, rank: int = 24):
    """Unit vectors shaped like sentence embeddings: a few strong directions plus noise (seeded)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(0).standard_normal((rank, dim))
    vectors = (rng.standard_normal((n, rank)) / np.arange(1, rank + 1) ** 0.5) @ basis
    vectors += 0.3 * rng.standard_normal((n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype("float32")


def _store_vectors(session, vectors, first_object_id: int) -> None:
    for i, vector in enumerate(vectors):
        session.add(Embedding(kind=KIND_FACT_CHECK, object_id=first_object_id + i, model_id="synthetic",
                              variant="fp32", dim=vector.size, vector=vector))
    session.commit()


def test_reduced_graph_reranks_exactly_and_survives_a_restart(session, tmp_path):
    """Past REDUCE_MIN_ROWS the graph runs on principal components; scores come from the full vectors."""
    _store_vectors(session, _low_rank(2_500, seed=1), first_object_id=1)
    names = dict(kind=KIND_FACT_CHECK, model_id="synthetic", variant="fp32")
    options = IndexOptions(exact_max=0, hnsw_reduce_dim=48, hnsw_rerank=60, folder=str(tmp_path / "graphs"))
    queries = _low_rank(30, seed=2)

    def agreement(index) -> float:
        shared = 0
        for query in queries:
            expected = ExactIndex().search(session, query=query, k=10, **names)
            found = index.search(session, query=query, k=10, **names)
            # Re-scored with the full vectors (kept in float16): exact scores, not the reduced space's.
            by_id = {h.object_id: h.score for h in expected}
            for hit in found:
                if hit.object_id in by_id:
                    assert hit.score == pytest.approx(by_id[hit.object_id], abs=2e-3)
            assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)
            shared += len(by_id.keys() & {h.object_id for h in found})
        return shared / (10 * len(queries))

    first = HnswIndex(options)
    graph = first.refreshed(session, **names)
    assert graph.projection is not None and graph.projection.shape == (384, 48)
    # int8 coordinates, scaled so the fitting batch spans [-1, 1] (usearch's int8 range).
    assert "I8" in str(graph.index.dtype) and graph.scale > 1.0
    assert np.abs(graph._reduced(_low_rank(2_500, seed=1))).max() == pytest.approx(1.0)
    assert agreement(first) >= 0.95
    first.rebuild(session, **names)  # saves the graph, its projection and the full vectors

    _store_vectors(session, _low_rank(50, seed=3), first_object_id=10_000)  # added by "another process"
    restarted = HnswIndex(options)
    graph = restarted.refreshed(session, **names)
    assert graph.projection is not None and len(graph) == 2_550
    assert "I8" in str(graph.index.dtype) and graph.scale == first.refreshed(session, **names).scale
    assert agreement(restarted) >= 0.95
    newcomer = _low_rank(50, seed=3)[7]
    assert restarted.search(session, query=newcomer, k=1, **names)[0].object_id == 10_007


def test_small_batches_keep_the_full_dimension(session, tmp_path):
    _store_vectors(session, _low_rank(200, seed=4), first_object_id=1)
    index = HnswIndex(IndexOptions(exact_max=0, hnsw_reduce_dim=48))
    graph = index.refreshed(session, kind=KIND_FACT_CHECK, model_id="synthetic", variant="fp32")
    assert graph.projection is None and graph.index.ndim == 384


def test_index_options_come_from_the_environment(tmp_path):
    options = IndexOptions.from_env(str(tmp_path), environ={
        "FACTCHECK_INDEX_HNSW_M": "32", "FACTCHECK_INDEX_PG_M": "12", "FACTCHECK_INDEX_PG_EF_CONSTRUCTION": "64",
        "FACTCHECK_INDEX_PG_EF_SEARCH": "200", "FACTCHECK_INDEX_HNSW_REDUCED_DTYPE": "bf16"})
    assert (options.hnsw_m, options.pg_m, options.pg_ef_construction, options.pg_ef_search) == (32, 12, 64, 200)
    assert options.hnsw_reduced_dtype == "bf16" and options.folder == str(tmp_path / "vector-index")
    defaults = IndexOptions.from_env(environ={})
    assert (defaults.hnsw_m, defaults.hnsw_ef_construction, defaults.hnsw_ef_search) == (32, 48, 384)
    assert defaults.hnsw_reduced_dtype == "i8" and defaults.folder == ""


def _recall(session, index, queries, names, k=10) -> float:
    """Share of exact search's top ``k`` the index finds, over ``queries``."""
    shared = 0
    for query in queries:
        expected = {h.object_id for h in ExactIndex().search(session, query=query, k=k, **names)}
        shared += len(expected & {h.object_id for h in index.search(session, query=query, k=k, **names)})
    return shared / (k * len(queries))


def test_default_graph_shape_finds_the_nearest_neighbours(session):
    """The default M / efC / ef / re-rank (a roomy M, a small efC) on a reduced int8 graph."""
    _store_vectors(session, _low_rank(4_000, seed=5), first_object_id=1)
    names = dict(kind=KIND_FACT_CHECK, model_id="synthetic", variant="fp32")
    index = HnswIndex(IndexOptions(exact_max=0))
    graph = index.refreshed(session, **names)
    assert graph.projection is not None and graph.projection.shape == (384, IndexOptions().hnsw_reduce_dim)
    assert graph.index.connectivity == IndexOptions().hnsw_m
    assert graph.index.expansion_add == IndexOptions().hnsw_ef_construction
    assert _recall(session, index, _low_rank(40, seed=6), names) >= 0.97
    # The build says where its time went (bench/vector_index.py prints it).
    assert {"read", "decode", "fit", "project", "insert"} <= graph.seconds.keys()


def test_graph_saved_with_older_settings_loads_then_rebuilds_with_the_new_ones(session, tmp_path):
    """A graph saved under other M / efC (earlier defaults) is loaded as it was; rebuild-index renews it."""
    _store_vectors(session, _low_rank(2_500, seed=7), first_object_id=1)
    names = dict(kind=KIND_FACT_CHECK, model_id="synthetic", variant="fp32")
    folder = str(tmp_path / "graphs")
    HnswIndex(IndexOptions(exact_max=0, hnsw_m=24, hnsw_ef_construction=96, hnsw_ef_search=256,
                           folder=folder)).rebuild(session, **names)
    current = HnswIndex(IndexOptions(exact_max=0, folder=folder))
    graph = current.refreshed(session, **names)
    assert graph.index.connectivity == 24 and len(graph) == 2_500  # loaded, not rebuilt
    queries = _low_rank(30, seed=8)
    assert _recall(session, current, queries, names) >= 0.95  # searched with the current ef and re-rank
    current.rebuild(session, **names)
    renewed = HnswIndex(IndexOptions(exact_max=0, folder=folder)).refreshed(session, **names)
    assert renewed.index.connectivity == IndexOptions().hnsw_m and len(renewed) == 2_500
    assert _recall(session, current, queries, names) >= 0.95


def test_principal_axes_are_those_of_the_svd_on_at_most_the_sample():
    rng = np.random.default_rng(9)
    spread = np.linspace(3.0, 0.1, 32)
    vectors = (rng.standard_normal((PROJECTION_SAMPLE + 500, 32)) * spread + 0.5).astype(np.float32)
    mean, axes = fit_projection(vectors, 8)
    assert axes.shape == (32, 8) and axes.dtype == np.float32 and axes.flags.c_contiguous
    sample = vectors[:PROJECTION_SAMPLE]
    assert mean == pytest.approx(sample.mean(axis=0), abs=1e-5)
    _, _, expected = np.linalg.svd(sample - sample.mean(axis=0), full_matrices=False)
    # The same axes, in the same order, up to sign.
    assert np.abs(np.sum(expected[:8].T * axes, axis=0)) == pytest.approx(np.ones(8), abs=1e-4)
    # Rows past the sample are not used.
    _, tail = fit_projection(np.concatenate([sample, 100 * vectors[PROJECTION_SAMPLE:]]), 8)
    assert np.array_equal(tail, axes)
