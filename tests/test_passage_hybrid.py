"""Source passages are ranked by the hybrid matcher: ranking, calibrated defaults, thresholds saved on the old scale.

Uses the real model on the demo library (SQLite, or PostgreSQL with FACTCHECK_TEST_DB=postgres).
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from factcheck.config import Settings
from factcheck.matching.rerank import METHOD, shipped_reranker
from factcheck.models import Claim, Event, Match, MatchSetting, utcnow
from factcheck.services import evidence_search, match_settings
from factcheck.services import library as library_service
from factcheck.services import matching as matching_service
from factcheck.services import users as user_service
from factcheck.services.matching import KIND_FACT_CHECK, KIND_PASSAGE
from tests.conftest import Browser

# Reports of other dams in the same words but with other names and figures: the dense model ranks
# them above the passage about the claim's own dam and figure, which only the shared rare name and
# number single out (BM25, and the re-ranker's number and name features).
CLAIM = "The Skarvik dam released 4,718 cubic metres of water per second during the flood of May 2031."
EVIDENCE = "Gauges below the Skarvik dam measured 4,718 cubic metres per second in May 2031."
DISTRACTORS = [
    "The Ostberg dam released 3,950 cubic metres of water per second during the flood of May 2029.",
    "The Kelby dam released 2,100 cubic metres of water per second during the flood of April 2031.",
    "The Norrvik dam released 1,380 cubic metres of water per second during the flood of June 2030.",
]


@pytest.fixture
def settings(demo_app):
    return demo_app.config["SETTINGS"]


@pytest.fixture
def admin(demo_session):
    return user_service.create_user(demo_session, email="admin@example.org", password="long-enough-pw", role="admin")


@pytest.fixture
def river_source(demo_session, settings):
    text = "\n\n".join(DISTRACTORS + [EVIDENCE])
    source = library_service.add_source(demo_session, settings=settings,
                                        data={"title": "Skarvik river gauges", "text": text})
    passages = library_service.passages_of(demo_session, source.id)
    [evidence] = [p for p in passages if "4,718" in p.text]
    assert evidence.text == EVIDENCE  # one paragraph per passage, so ranks compare single paragraphs
    return evidence


def _rank(hits, object_id) -> int | None:
    return next((i for i, hit in enumerate(hits) if hit.object_id == object_id), None)


def test_hybrid_ranks_the_passage_with_the_rare_number_above_dense_alone(demo_session, settings, river_source):
    vector = matching_service.embedder_for(settings).encode_one(CLAIM)
    dense = matching_service.search(demo_session, settings=settings, vector=vector, kind=KIND_PASSAGE, k=10)
    hybrid = matching_service.search(demo_session, settings=settings, vector=vector, kind=KIND_PASSAGE, k=10,
                                     text=CLAIM, threshold=0.0)
    assert {hit.method for hit in hybrid} == {METHOD} and {hit.method for hit in dense} == {"dense"}
    dense_rank, hybrid_rank = _rank(dense, river_source.id), _rank(hybrid, river_source.id)
    # Dense alone finds the passage but prefers the other dams' reports; the hybrid ranking puts it first.
    assert dense_rank is not None and dense_rank > 0
    assert hybrid_rank == 0
    # And with the library's default threshold the evidence is still suggested.
    suggested = matching_service.search_text(demo_session, settings=settings, text=CLAIM, kind=KIND_PASSAGE)
    assert suggested and suggested[0].object_id == river_source.id


def test_claim_matching_stores_hybrid_passage_suggestions(demo_session, settings, river_source):
    claim = Claim(sentence=CLAIM, standalone_text=CLAIM, span_start=0, span_end=len(CLAIM))
    demo_session.add(claim)
    demo_session.commit()
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    passages = demo_session.exec(select(Match).where(Match.claim_id == claim.id, Match.kind == KIND_PASSAGE)
                                 .order_by(Match.score.desc())).all()
    assert passages[0].passage_id == river_source.id and passages[0].method == METHOD
    # Passages are never linked automatically by default.
    assert all(m.status == "suggested" and m.score >= settings.passage_threshold for m in passages)


def test_rematching_rescores_an_old_dense_suggestion_on_the_new_scale(demo_session, settings, river_source):
    claim = Claim(sentence=CLAIM, standalone_text=CLAIM, span_start=0, span_end=len(CLAIM))
    demo_session.add(claim)
    demo_session.commit()
    old = Match(claim_id=claim.id, kind=KIND_PASSAGE, passage_id=river_source.id, score=0.7542, method="dense")
    demo_session.add(old)
    demo_session.commit()
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    demo_session.expire_all()
    again = demo_session.get(Match, old.id)
    assert again.status == "suggested" and again.method == METHOD and again.score < 0.7542


@pytest.mark.parametrize("text", ["Our bakery sells sourdough bread every Saturday morning.",
                                  "The new stadium will open next spring."])
def test_unrelated_claim_gets_no_passage_at_the_default_threshold(demo_session, settings, river_source, text):
    vector = matching_service.embedder_for(settings).encode_one(text)
    best = matching_service.hybrid_candidates(demo_session, settings=settings, kind=KIND_PASSAGE, text=text,
                                              vector=vector).ranked()[0]
    # The best of unrelated passages can still clear the probability threshold (its features are partly
    # relative to the other candidates); the cosine floor is what keeps it out.
    assert best.candidate.dense < matching_service.MIN_COSINE[KIND_PASSAGE]
    assert matching_service.search_text(demo_session, settings=settings, text=text, kind=KIND_PASSAGE) == []


def test_default_passage_threshold_is_the_recorded_calibration(settings):
    record = evidence_search.PASSAGE_THRESHOLD_CALIBRATION
    assert Settings().passage_threshold == record["threshold"] == settings.passage_threshold
    assert record["provenance"]["data"] == "climate-fever.dev.jsonl" and record["cv"]["folds"] >= 2
    # The threshold holds for the re-ranker it was set on: after 'factcheck train matcher' changes the
    # shipped parameters, recalibrate (python -m factcheck.services.evidence_search calibrate FILE).
    assert record["provenance"]["reranker_sha256"] == evidence_search.reranker_sha256(shipped_reranker()), \
        "the shipped re-ranker changed since the passage threshold was calibrated"


def test_threshold_keeping_keeps_the_asked_share():
    scores = [0.5, 0.4, 0.3, 0.2, 0.1]
    assert evidence_search.threshold_keeping(scores, 0.8) == 0.2  # 4 of 5 reach it
    assert evidence_search.threshold_keeping(scores, 0.79) == 0.2
    assert evidence_search.threshold_keeping(scores, 1.0) == 0.1
    assert evidence_search.threshold_keeping([0.00667], 0.9) == 0.0066  # rounded down, so it still keeps it
    assert evidence_search.threshold_keeping([], 0.9) == 0.0


def test_passage_defaults(demo_session, settings):
    passages = match_settings.library_settings(demo_session, settings=settings, library=KIND_PASSAGE)
    assert passages.id is None and passages.suggest_threshold == settings.passage_threshold
    assert passages.same_claim_threshold == match_settings.NEVER and not match_settings.auto_links(passages)
    assert 0.0 < settings.passage_threshold < settings.fact_check_threshold


def _store_as_an_older_version_did(session, library: str, suggest: float, same_claim: float) -> MatchSetting:
    """A row and change event saved before thresholds recorded their scale, as migration 0007 leaves them."""
    when = utcnow() - timedelta(days=30)
    row = MatchSetting(library=library, suggest_threshold=suggest, same_claim_threshold=same_claim,
                       auto_link_max_age_days=90, updated_at=when,
                       scale=match_settings.scale_from_change_log([], library))
    session.add(row)
    session.add(Event(action="match_settings_changed", created_at=when, detail=json.dumps(
        {"library": library, "previous": {}, "current": {"suggest_threshold": suggest}})))
    session.commit()
    return row


def test_passage_thresholds_saved_as_cosines_are_not_applied(demo_session, settings, admin):
    _store_as_an_older_version_did(demo_session, KIND_PASSAGE, 0.4, 0.9)
    in_force = match_settings.library_settings(demo_session, settings=settings, library=KIND_PASSAGE)
    assert (in_force.suggest_threshold, in_force.same_claim_threshold, in_force.auto_link_max_age_days) == (
        settings.passage_threshold, match_settings.NEVER, 90)
    assert list(match_settings.rows_on_older_scale(demo_session)) == [KIND_PASSAGE]
    assert match_settings.rows_on_older_scale(demo_session)[KIND_PASSAGE].scale == "cosine"
    # A fact-check row of the same age holds uncalibrated re-ranker scores: not applied either.
    _store_as_an_older_version_did(demo_session, KIND_FACT_CHECK, 0.6, 0.9)
    assert match_settings.library_settings(demo_session, settings=settings,
                                           library=KIND_FACT_CHECK).suggest_threshold == settings.fact_check_threshold

    # Saving once stores the row on the new scale; from then on it applies.
    match_settings.update_library_settings(demo_session, settings=settings, library=KIND_PASSAGE,
                                           actor_id=admin.id, data={"suggest_threshold": "0.02"})
    demo_session.expire_all()
    in_force = match_settings.library_settings(demo_session, settings=settings, library=KIND_PASSAGE)
    assert in_force.id is not None
    assert (in_force.suggest_threshold, in_force.same_claim_threshold, in_force.auto_link_max_age_days) == (
        0.02, match_settings.NEVER, 90)
    assert list(match_settings.rows_on_older_scale(demo_session)) == [KIND_FACT_CHECK]
    assert demo_session.exec(select(MatchSetting).where(MatchSetting.library == KIND_PASSAGE)).one().scale == METHOD
    event = demo_session.exec(select(Event).where(Event.action == "match_settings_changed")
                              .order_by(Event.id.desc())).first()
    detail = json.loads(event.detail)
    assert (detail["scale"], detail["previous_scale"], detail["previous"]["suggest_threshold"]) == (
        METHOD, "cosine", 0.4)


def test_admin_page_says_when_passage_thresholds_are_on_the_old_scale(demo_app, demo_session, settings, admin):
    _store_as_an_older_version_did(demo_session, KIND_PASSAGE, 0.4, 0.9)
    browser = Browser(demo_app)
    browser.login("admin@example.org", "long-enough-pw")
    page = browser.get("/admin/matching").get_data(as_text=True)
    assert "cosine similarities" in page and "so they are not applied" in " ".join(page.split())
    assert "must also be at least 0.4 similar in meaning" in " ".join(page.split())
    # The passage form shows the thresholds in force (the defaults), not the cosines.
    assert 'id="passage-suggest_threshold" name="suggest_threshold" type="number" step="any" min="0"' in page
    assert f'value="{settings.passage_threshold}"' in page
    form = {"suggest_threshold": str(settings.passage_threshold), "same_claim_threshold": "1.0",
            "auto_link_max_age_days": "90"}
    assert browser.post("/admin/matching/passage", form).status_code == 303
    page = browser.get("/admin/matching").get_data(as_text=True)
    assert "cosine similarities" not in page


def test_evidence_panel_suggests_the_passage_found_by_its_number(demo_app, demo_session, river_source):
    checker = user_service.create_user(demo_session, email="checker@example.org", password="long-enough-pw",
                                       role="checker")
    # The checker holds the claim: only they (or an editor) may link its evidence.
    claim = Claim(sentence=CLAIM, standalone_text=CLAIM, span_start=0, span_end=len(CLAIM), state="in_progress",
                  assignee_id=checker.id)
    demo_session.add(claim)
    demo_session.commit()
    browser = Browser(demo_app)
    browser.login("checker@example.org", "long-enough-pw")
    fragment = browser.get(f"/library/evidence/claims/{claim.id}", htmx=True).get_data(as_text=True)
    assert fragment.index(f'id="suggestion-{river_source.id}"') == fragment.index('id="suggestion-')
    assert f"<mark>{EVIDENCE}</mark>" in fragment and "Use as evidence" in fragment


def test_scale_of_a_row_saved_before_rows_stored_it():
    """Used by migration 0007's twin in imports of older exports: the latest change event decides."""
    newer = json.dumps({"library": KIND_PASSAGE, "scale": METHOD})
    older = json.dumps({"library": KIND_PASSAGE, "current": {"suggest_threshold": 0.4}})
    other = json.dumps({"library": KIND_FACT_CHECK, "scale": "something else"})
    assert match_settings.scale_from_change_log([other, newer, older], KIND_PASSAGE) == METHOD
    assert match_settings.scale_from_change_log([older, newer], KIND_PASSAGE) == "cosine"
    assert match_settings.scale_from_change_log(["not json", other], KIND_PASSAGE) == "cosine"
    assert match_settings.scale_from_change_log([older], KIND_FACT_CHECK) == METHOD
