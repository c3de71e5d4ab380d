"""Hybrid matching in the app: per-library thresholds, automatic links and their safeguards, the admin page.

Uses the real model on the demo library (SQLite, or PostgreSQL with FACTCHECK_TEST_DB=postgres).
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from flask import render_template
from sqlmodel import Session, select

from factcheck.db import make_engine
from factcheck.models import Claim, Embedding, Event, Match, MatchSetting
from factcheck.services import library as library_service
from factcheck.services import match_settings
from factcheck.services import matching as matching_service
from factcheck.services import users as user_service
from factcheck.services.matching import KIND_FACT_CHECK, KIND_PASSAGE
from tests.conftest import Browser

RECENT = "The Harbour Line ferry between Westport and Kelby was cancelled for all of December 2026."
RECENT_PARAPHRASE = "All Harbour Line ferries between Westport and Kelby were cancelled in December 2026."


@pytest.fixture
def settings(demo_app):
    return demo_app.config["SETTINGS"]


@pytest.fixture
def admin(demo_session):
    return user_service.create_user(demo_session, email="admin@example.org", password="long-enough-pw", role="admin")


def _claim(session, text: str) -> Claim:
    claim = Claim(sentence=text, standalone_text=text, span_start=0, span_end=len(text))
    session.add(claim)
    session.commit()
    return claim


def _fact_check(session, settings, text: str, published: date | None, url: str):
    return library_service.add_fact_check(session, settings=settings, data={
        "claim_reviewed": text, "rating": "False", "url": url, "publisher": "Checkers",
        "date_published": published.isoformat() if published else None})


def _link_at(session, settings, admin, threshold: float, max_age_days: int = 730) -> None:
    match_settings.update_library_settings(session, settings=settings, library=KIND_FACT_CHECK, actor_id=admin.id,
                                           data={"suggest_threshold": 0.05, "same_claim_threshold": threshold,
                                                 "auto_link_max_age_days": max_age_days})


def _fact_check_matches(session, claim_id):
    session.expire_all()
    return session.exec(select(Match).where(Match.claim_id == claim_id, Match.kind == KIND_FACT_CHECK)).all()


def test_same_claim_is_linked_automatically_and_can_be_undone(demo_app, demo_session, settings, admin):
    target = _fact_check(demo_session, settings, RECENT, date.today() - timedelta(days=10), "https://c.example/ferry")
    _link_at(demo_session, settings, admin, 0.4)
    claim = _claim(demo_session, RECENT_PARAPHRASE)
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    [linked] = [m for m in _fact_check_matches(demo_session, claim.id) if m.fact_check_id == target.id]
    assert (linked.status, linked.method, linked.decided_by_id) == ("confirmed", "calibrated-v1", None)
    assert linked.score >= 0.4
    event = demo_session.exec(select(Event).where(Event.action == "match_auto_linked")).one()
    assert json.loads(event.detail)["method"] == "calibrated-v1" and event.claim_id == claim.id
    # The claim page says the app made this link and nobody has checked it yet.
    [view] = [v for v in matching_service.match_views(demo_session, claim.id) if v.match.id == linked.id]
    assert view.auto_linked
    with demo_app.test_request_context():
        assert "linked automatically" in render_template("claims/_match.html", m=view, claim=claim, allowed={})

    # A checker undoes it; matching the claim again does not link it again.
    matching_service.decide_match(demo_session, claim_id=claim.id, match_id=linked.id, user=admin,
                                  decision="suggested")
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    again = next(m for m in _fact_check_matches(demo_session, claim.id) if m.fact_check_id == target.id)
    assert again.id == linked.id and again.status == "suggested"
    assert not next(v for v in matching_service.match_views(demo_session, claim.id) if v.match.id == linked.id).auto_linked


@pytest.mark.parametrize("case", ["short claim", "old fact-check", "undated fact-check"])
def test_safeguards_only_suggest(demo_session, settings, admin, case):
    published = {"old fact-check": date.today() - timedelta(days=800), "undated fact-check": None}.get(
        case, date.today() - timedelta(days=10))
    target = _fact_check(demo_session, settings, RECENT, published, "https://c.example/ferry")
    _link_at(demo_session, settings, admin, 0.1)
    text = "Harbour Line ferries cancelled." if case == "short claim" else RECENT_PARAPHRASE
    claim = _claim(demo_session, text)
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    matches = _fact_check_matches(demo_session, claim.id)
    top = next(m for m in matches if m.fact_check_id == target.id)
    assert top.score >= 0.1  # high enough to link, were it not for the safeguard
    assert all(m.status == "suggested" for m in matches)


def test_thresholds_default_from_settings_and_are_per_library(demo_session, settings, admin):
    fact_checks = match_settings.library_settings(demo_session, settings=settings, library=KIND_FACT_CHECK)
    passages = match_settings.library_settings(demo_session, settings=settings, library=KIND_PASSAGE)
    assert fact_checks.suggest_threshold == settings.fact_check_threshold
    assert passages.suggest_threshold == settings.passage_threshold
    assert not match_settings.auto_links(passages)
    _link_at(demo_session, settings, admin, 0.95, max_age_days=30)
    stored = demo_session.exec(select(MatchSetting)).all()
    assert [(s.library, s.same_claim_threshold, s.auto_link_max_age_days) for s in stored] == [
        (KIND_FACT_CHECK, 0.95, 30)]
    from factcheck.domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as error:
        match_settings.update_library_settings(demo_session, settings=settings, library=KIND_PASSAGE,
                                               actor_id=admin.id, data={"suggest_threshold": "0.9",
                                                                        "same_claim_threshold": "0.5"})
    assert "same_claim_threshold" in error.value.errors


def test_unrelated_claim_scores_low(demo_session, settings):
    """The re-ranker's probability reflects absolute similarity, not just being the best candidate."""
    hits = matching_service.search_text(demo_session, settings=settings, text="Our bakery sells sourdough bread "
                                        "every Saturday morning.", kind=KIND_FACT_CHECK, threshold=0.0)
    assert hits and hits[0].score < 0.2


def test_lexical_leg_follows_another_process(demo_session, settings):
    """A fact-check added elsewhere is found by name by the next unit of work (BM25 follows the table)."""
    text = "Zyxoflux tablets cure baldness in a week, claims a post by Orlamund Pharma."
    vector = matching_service.embedder_for(settings).encode_one(text)
    search = dict(settings=settings, kind=KIND_FACT_CHECK, text=text, vector=vector)
    before = matching_service.hybrid_candidates(demo_session, **search)
    assert not any("Zyxoflux" in c.text for c in before.candidates)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as other:
            new = _fact_check(other, settings, "Zyxoflux tablets cure baldness.", None, "https://c.example/zyx")
    finally:
        engine.dispose()
    demo_session.rollback()
    result = matching_service.hybrid_candidates(demo_session, **search)
    assert result.lexical[0][0] == new.id
    assert result.ranked()[0].candidate.object_id == new.id


def test_variant_warnings_name_vectors_of_another_variant(demo_session, settings):
    assert matching_service.variant_warnings(demo_session, settings=settings) == []
    for row in demo_session.exec(select(Embedding).where(Embedding.kind == KIND_PASSAGE)).all():
        row.variant = "int8"
        demo_session.add(row)
    demo_session.commit()
    [warning] = matching_service.variant_warnings(demo_session, settings=settings)
    assert warning.startswith("passage:") and "int8" in warning and "reindex" in warning


# --- the admin page ----------------------------------------------------------------------

def test_admin_page_is_admin_only_and_csrf_protected(demo_app, demo_session, settings, admin):
    for email, role in (("checker@example.org", "checker"), ("editor@example.org", "editor")):
        user_service.create_user(demo_session, email=email, password="long-enough-pw", role=role)
        browser = Browser(demo_app)
        browser.login(email, "long-enough-pw")
        assert browser.get("/admin/matching").status_code == 403
        assert browser.post("/admin/matching/fact_check", {"suggest_threshold": "0.1"}).status_code == 403
    assert Browser(demo_app).get("/admin/matching").status_code in (302, 303)  # to the login page

    browser = Browser(demo_app)
    browser.login("admin@example.org", "long-enough-pw")
    page = browser.get("/admin/matching")
    assert page.status_code == 200 and "Same claim" in page.get_data(as_text=True)
    form = {"suggest_threshold": "0.45", "same_claim_threshold": "0.97", "auto_link_max_age_days": "365"}
    assert browser.client.post("/admin/matching/fact_check", data=form).status_code == 400  # no CSRF token
    assert browser.post("/admin/matching/fact_check", form).status_code == 303
    bad = browser.post("/admin/matching/passage", form | {"same_claim_threshold": "2"})
    assert bad.status_code == 422 and "between 0 and 1" in bad.get_data(as_text=True)
    demo_session.expire_all()
    stored = match_settings.library_settings(demo_session, settings=settings, library=KIND_FACT_CHECK)
    assert (stored.suggest_threshold, stored.same_claim_threshold, stored.auto_link_max_age_days,
            stored.updated_by_id) == (0.45, 0.97, 365, admin.id)
    assert match_settings.library_settings(demo_session, settings=settings, library=KIND_PASSAGE).id is None
