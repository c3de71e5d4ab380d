"""Services against a real database: articles, the claim workflow, the event log and users.

Runs on SQLite by default and on PostgreSQL with ``FACTCHECK_TEST_DB=postgres``.
"""
from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from factcheck.domain.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from factcheck.domain.ratings import parse_rating_scale
from factcheck.models import (
    ApiToken,
    Article,
    Claim,
    Embedding,
    Event,
    Evidence,
    FactCheck,
    Match,
    Verdict,
)
from factcheck.services import articles as article_service
from factcheck.services import claims as claim_service
from factcheck.services import library as library_service
from factcheck.services import publishing as publishing_service
from factcheck.services import users as user_service

HARBOUR = ("  Port authority reports record year\r\n\r\n"
           "The port of Easthaven handled 4.2 million containers in 2023, up from 3.1 million in 2019, "
           "the port authority said on Monday.\r\n"
           "Harbour master Lena Ortiz said dredging had cut the average waiting time for ships to 11 hours.\r\n"
           "\r\nThe mayor, who was elected in 2021, said “the harbour employs 3,400 people”, "
           "up 12% on the year before.\n")

PORT_SOURCE = {
    "title": "Easthaven Port Authority annual report 2023",
    "url": "https://port.example/annual-report-2023",
    "publisher": "Easthaven Port Authority",
    "text": ("The port handled 4.2 million twenty-foot equivalent units (TEU) in 2023, compared with "
             "3.1 million TEU in 2019.\n\nDredging of the main channel was completed in March 2023. "
             "The average waiting time for vessels fell from 19 hours to 11 hours."),
}


def _count(session, model, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def _counts(session) -> dict[str, int]:
    return {m.__name__: _count(session, m) for m in (Article, Claim, Embedding, Match, Event)}


def _new_claim(session, text: str, **fields) -> Claim:
    claim = Claim(sentence=text, standalone_text=text, span_start=0, span_end=len(text), **fields)
    session.add(claim)
    session.commit()
    session.refresh(claim)
    return claim


def _events(session, claim_id: int, action: str | None = None) -> list[Event]:
    session.expire_all()
    statement = select(Event).where(Event.claim_id == claim_id)
    if action:
        statement = statement.where(Event.action == action)
    return list(session.exec(statement.order_by(Event.id)).all())


def _verdict(session, settings, claim_id, user, rating="Mostly true", summary="Largely right."):
    return claim_service.save_verdict(session, settings=settings, claim_id=claim_id, user=user,
                                      data={"rating": rating, "summary": summary,
                                            "explanation": "See the linked sources."})


def _act(session, claim_id, action, user, **kwargs) -> Claim:
    return claim_service.transition(session, claim_id=claim_id, action=action, user=user, **kwargs)


def _to_review(session, settings, users, text="The port handled 4.2 million containers in 2023.",
               checker="checker") -> Claim:
    claim = _new_claim(session, text)
    _act(session, claim.id, "take", users[checker])
    _verdict(session, settings, claim.id, users[checker])
    _evidence(session, claim.id, users[checker])
    return _act(session, claim.id, "submit", users[checker])


def _evidence(session, claim_id, user):
    return claim_service.add_evidence(session, claim_id=claim_id, user=user, data={
        "url": "https://port.example/stats", "quote": "4.2 million containers", "stance": "supports"})


def _published(session, settings, users, **kwargs) -> Claim:
    claim = _to_review(session, settings, users, **kwargs)
    _act(session, claim.id, "approve", users["editor"])
    return _act(session, claim.id, "publish", users["editor"])


# --- ingesting articles ---------------------------------------------------------------

def test_ingest_article_creates_claims_whose_spans_slice_the_stored_text(session, settings, users):
    article, claims = article_service.ingest_article(
        session, settings=settings, actor_id=users["checker"].id,
        data={"title": "  Port record ", "text": HARBOUR, "url": "https://news.example/port",
              "outlet": "Easthaven Herald", "published_at": "2024-02-28"})
    assert len(claims) >= 2
    article_id = article.id
    session.expire_all()
    stored = session.get(Article, article_id)
    assert stored.text == HARBOUR  # byte for byte, CRLFs and leading spaces included
    assert stored.title == "Port record"
    assert stored.published_at == date(2024, 2, 28)
    assert stored.created_by_id == users["checker"].id
    rows = article_service.claims_of(session, article_id)
    assert {c.id for c in rows} == {c.id for c in claims}
    for claim in rows:
        assert stored.text[claim.span_start:claim.span_end] == claim.sentence
        assert claim.state == "new" and claim.assignee_id is None
        assert claim.standalone_text
    sentences = [c.sentence for c in rows]
    assert any("4.2 million containers" in s for s in sentences)
    assert any("Lena Ortiz" in s for s in sentences)
    # Every claim is embedded, and the ingest is logged.
    embedded = session.exec(select(Embedding.object_id).where(Embedding.kind == "claim")).all()
    assert set(embedded) == {c.id for c in rows}
    logged = session.exec(select(Event).where(Event.action == "article_ingested")).all()
    assert len(logged) == 1 and json.loads(logged[0].detail)["article_id"] == article_id
    # Highlighting reproduces the article exactly.
    segments = article_service.highlighted_segments(stored.text, rows)
    assert "".join(text for text, _ in segments) == stored.text


@pytest.mark.parametrize("data,field", [
    ({"title": "Empty", "text": ""}, "text"),
    ({"title": "Blank", "text": "   \n\t  "}, "text"),
    ({"title": "Bad URL", "text": HARBOUR, "url": "not a url"}, "url"),
    ({"title": "Bad scheme", "text": HARBOUR, "url": "javascript:alert(1)"}, "url"),
    ({"title": "", "text": HARBOUR}, "title"),
    ({"text": HARBOUR}, "title"),
    ({"title": "Bad date", "text": HARBOUR, "published_at": "yesterday"}, "published_at"),
])
def test_invalid_article_writes_nothing(session, settings, data, field):
    before = _counts(session)
    with pytest.raises(ValidationFailed) as info:
        article_service.ingest_article(session, settings=settings, data=data)
    assert field in info.value.errors
    session.rollback()
    assert _counts(session) == before


def test_over_long_article_writes_nothing(session, settings):
    small = replace(settings, max_article_chars=100)
    before = _counts(session)
    with pytest.raises(ValidationFailed) as info:
        article_service.ingest_article(session, settings=small, data={"title": "Long", "text": HARBOUR})
    assert info.value.errors == {"text": "too long"}
    assert "100" in str(info.value)
    session.rollback()
    assert _counts(session) == before
    # Exactly at the limit is fine.
    text = HARBOUR[:100]
    article, _ = article_service.ingest_article(session, settings=small, data={"title": "Edge", "text": text})
    assert session.get(Article, article.id).text == text


def test_failure_while_embedding_leaves_no_half_ingested_article(session, settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model crashed")

    # Fails after the article and its claims were flushed: the rollback must undo them.
    monkeypatch.setattr(article_service, "store_embeddings", broken)
    before = _counts(session)
    with pytest.raises(RuntimeError):
        article_service.ingest_article(session, settings=settings, data={"title": "Port", "text": HARBOUR})
    assert _counts(session) == before


# --- taking claims ---------------------------------------------------------------------

def test_take_next_follows_priority_order(session, users):
    today = date.today()
    spec = [  # label, priority, due date, checkworthiness
        ("p0-low", 0, None, 0.2),
        ("p0-high", 0, None, 0.9),
        ("p2-no-due", 2, None, 0.99),
        ("p2-due-later", 2, today + timedelta(days=5), 0.1),
        ("p2-due-soon", 2, today + timedelta(days=1), 0.1),
        ("p3", 3, None, 0.0),
        ("p0-due", 0, today + timedelta(days=2), 0.0),
        ("p0-high-twin", 0, None, 0.9),
    ]
    ids = {}
    for label, priority, due, worth in spec:
        ids[label] = _new_claim(session, f"Claim {label} about 42 things.", priority=priority,
                                due_date=due, checkworthiness=worth).id
    # Closed and taken claims are not in the pool.
    _new_claim(session, "Rejected claim with priority 3.", priority=3, state="rejected")
    _new_claim(session, "Taken claim with priority 3.", priority=3, state="in_progress",
               assignee_id=users["checker2"].id)

    taken = []
    while (claim := claim_service.take_next(session, user=users["checker"])) is not None:
        assert claim.state == "in_progress" and claim.assignee_id == users["checker"].id
        taken.append(claim.id)
    expected = ["p3", "p2-due-soon", "p2-due-later", "p2-no-due", "p0-due", "p0-high", "p0-high-twin", "p0-low"]
    assert taken == [ids[label] for label in expected]
    for claim_id in taken:
        events = _events(session, claim_id, "take")
        assert [(e.from_state, e.to_state, e.actor_id) for e in events] == [
            ("new", "in_progress", users["checker"].id)]


def test_priority_set_by_an_editor_moves_a_claim_to_the_front(session, settings, users):
    first = _new_claim(session, "An ordinary claim about 10 schools.")
    urgent = _new_claim(session, "A claim that becomes urgent about 20 hospitals.")
    edited = claim_service.edit_claim(session, settings=settings, claim_id=urgent.id, user=users["editor"],
                                      data={"priority": 3, "due_date": date.today().isoformat()})
    assert edited.priority == 3
    assert json.loads(_events(session, urgent.id, "claim_edited")[0].detail)["changes"]["priority"] == [0, 3]
    assert claim_service.take_next(session, user=users["checker"]).id == urgent.id
    assert claim_service.take_next(session, user=users["checker"]).id == first.id


def test_a_checker_cannot_reprioritise_a_claim_they_do_not_hold(session, settings, users):
    claim = _new_claim(session, "A claim about 3 bridges.")
    with pytest.raises(Forbidden):
        claim_service.edit_claim(session, settings=settings, claim_id=claim.id, user=users["checker"],
                                 data={"priority": 3})
    session.rollback()
    assert session.get(Claim, claim.id).priority == 0


def test_take_next_returns_none_when_the_pool_is_empty(session, users):
    assert claim_service.take_next(session, user=users["checker"]) is None
    claim = _new_claim(session, "The only claim about 7 ferries.")
    assert claim_service.take_next(session, user=users["checker"]).id == claim.id
    assert claim_service.take_next(session, user=users["checker2"]) is None
    assert _count(session, Event, Event.action == "take") == 1


def test_two_checkers_never_get_the_same_claim(session, users):
    first = _new_claim(session, "First claim about 1 harbour.")
    second = _new_claim(session, "Second claim about 2 harbours.")
    a = claim_service.take_next(session, user=users["checker"])
    b = claim_service.take_next(session, user=users["checker2"])
    assert {a.id, b.id} == {first.id, second.id}
    assert a.assignee_id == users["checker"].id and b.assignee_id == users["checker2"].id


def test_concurrent_take_next_assigns_each_claim_once(app, session):
    n = 6
    engine = app.extensions["factcheck.engine"]
    claim_ids = [_new_claim(session, f"Concurrent claim number {i} about {i * 11} ships.").id for i in range(n)]
    checkers = [user_service.create_user(session, email=f"racer{i}@example.org", password="correct horse battery",
                                         role="checker") for i in range(2 * n)]
    session.commit()

    barrier = threading.Barrier(len(checkers))
    results: dict[int, int | None] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(user):
        with Session(engine, expire_on_commit=False) as own:
            try:
                barrier.wait(timeout=30)
                claim = claim_service.take_next(own, user=user)
                with lock:
                    results[user.id] = claim.id if claim else None
            except Conflict:
                with lock:
                    results[user.id] = None
            except BaseException as exc:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(exc)

    threads = [threading.Thread(target=worker, args=(u,)) for u in checkers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == [], [repr(e) for e in errors]

    won = [cid for cid in results.values() if cid is not None]
    assert sorted(won) == sorted(claim_ids)  # every claim handed out, none twice
    session.expire_all()
    for user_id, claim_id in results.items():
        if claim_id is not None:
            claim = session.get(Claim, claim_id)
            assert claim.assignee_id == user_id and claim.state == "in_progress"
    takes = session.exec(select(Event).where(Event.action == "take")).all()
    assert Counter(e.claim_id for e in takes) == Counter(claim_ids)
    assert {(e.claim_id, e.actor_id) for e in takes} == {(c, u) for u, c in results.items() if c is not None}


# --- the workflow through services --------------------------------------------------------

def test_full_workflow_from_article_to_publication(session, settings, users):
    checker, editor = users["checker"], users["editor"]
    article, claims = article_service.ingest_article(
        session, settings=settings, actor_id=checker.id,
        data={"title": "Port record", "text": HARBOUR, "url": "https://news.example/port",
              "outlet": "Easthaven Herald", "published_at": "2024-02-28"})
    claim = next(c for c in claims if "4.2 million" in c.sentence)
    source = library_service.add_source(session, settings=settings, data=PORT_SOURCE, actor_id=checker.id)
    passage = library_service.passages_of(session, source.id)[0]
    assert source.text[passage.span_start:passage.span_end] == passage.text

    _act(session, claim.id, "take", checker)
    by_url = claim_service.add_evidence(session, claim_id=claim.id, user=checker, data={
        "url": "https://port.example/press/2024-01", "quote": "4.2 million TEU", "stance": "supports"})
    by_passage = claim_service.add_evidence(session, claim_id=claim.id, user=checker, data={
        "passage_id": passage.id, "stance": "supports", "note": "Annual report"})
    assert by_passage.quote == passage.text and by_url.quote == "4.2 million TEU"
    verdict = _verdict(session, settings, claim.id, checker, rating="mostly TRUE")
    assert (verdict.rating, verdict.rating_value, verdict.version) == ("Mostly true", 4, 1)
    _act(session, claim.id, "submit", checker)
    _act(session, claim.id, "approve", editor)
    assert claim_service.published_verdict(session, claim.id) is None
    published = _act(session, claim.id, "publish", editor)

    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.state == "published" and published.state == "published"
    assert claim.published_at is not None
    assert claim.checker_id == checker.id
    final = claim_service.published_verdict(session, claim.id)
    assert final is not None and final.id == verdict.id and final.published_at is not None
    assert [e.id for e in claim_service.evidence_of(session, claim.id)] == [by_url.id, by_passage.id]

    transitions = [(e.action, e.from_state, e.to_state, e.actor_id)
                   for e in _events(session, claim.id) if e.from_state]
    assert transitions == [
        ("take", "new", "in_progress", checker.id),
        ("submit", "in_progress", "in_review", checker.id),
        ("approve", "in_review", "approved", editor.id),
        ("publish", "approved", "published", editor.id),
    ]
    others = Counter(e.action for e in _events(session, claim.id) if not e.to_state)
    assert others["evidence_added"] == 2 and others["verdict_saved"] == 1

    # The public side: the published check and its ClaimReview.
    check = publishing_service.get_published(session, claim.id)
    assert check.verdict.id == verdict.id and check.corrections == []
    review = publishing_service.claim_review(check, settings=settings, review_url="https://fc.example/c/1")
    scale = parse_rating_scale(settings.rating_scale)
    assert review["claimReviewed"] == claim.standalone_text
    assert review["reviewRating"]["alternateName"] == "Mostly true"
    assert (review["reviewRating"]["bestRating"], review["reviewRating"]["worstRating"]) == (scale.best, scale.worst)
    assert review["itemReviewed"]["appearance"]["url"] == "https://news.example/port"
    assert review["itemReviewed"]["datePublished"] == "2024-02-28"


def test_evidence_needs_a_url_or_passage(session, users):
    claim = _new_claim(session, "A claim about 9 cranes.")
    _act(session, claim.id, "take", users["checker"])
    for data, field in [({"stance": "supports"}, "url"),
                        ({"url": "ftp://x.example/a", "stance": "supports", "quote": "q"}, "url"),
                        ({"url": "https://x.example/a", "stance": "maybe", "quote": "q"}, "stance"),
                        ({"url": "https://x.example/a", "stance": "supports"}, "quote"),
                        ({"passage_id": 987654, "stance": "supports"}, "passage_id")]:
        with pytest.raises(ValidationFailed) as info:
            claim_service.add_evidence(session, claim_id=claim.id, user=users["checker"], data=data)
        assert field in info.value.errors
    session.rollback()
    # Someone who does not hold the claim cannot add evidence.
    with pytest.raises(Forbidden):
        claim_service.add_evidence(session, claim_id=claim.id, user=users["checker2"],
                                   data={"url": "https://x.example/a", "quote": "q", "stance": "refutes"})
    session.rollback()
    assert _count(session, Evidence) == 0


def test_checker_cannot_approve_or_publish_their_own_claim(session, settings, users):
    claim = _to_review(session, settings, users)
    for action in ("approve", "publish", "send_back"):
        with pytest.raises(Forbidden):
            _act(session, claim.id, action, users["checker"], comment="Looks good to me.")
        session.rollback()
    assert session.get(Claim, claim.id).state == "in_review"


def test_editor_cannot_approve_a_claim_they_checked(session, settings, users):
    claim = _to_review(session, settings, users, checker="editor")
    with pytest.raises(Forbidden):
        _act(session, claim.id, "approve", users["editor"])
    session.rollback()
    assert session.get(Claim, claim.id).state == "in_review"
    assert _act(session, claim.id, "approve", users["editor2"]).state == "approved"


def test_send_back_returns_the_claim_to_its_checker_with_the_comment(session, settings, users):
    claim = _to_review(session, settings, users)
    with pytest.raises(ValidationFailed):
        _act(session, claim.id, "send_back", users["editor"], comment="  ")
    session.rollback()
    assert session.get(Claim, claim.id).state == "in_review"

    _act(session, claim.id, "send_back", users["editor"], comment="Source 2 is from 2019; find the 2023 figure.")
    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.state == "in_progress" and claim.assignee_id == users["checker"].id
    comments = claim_service.comments_of(session, claim.id)
    assert len(comments) == 1
    assert comments[0].author_id == users["editor"].id
    assert "Source 2 is from 2019; find the 2023 figure." in comments[0].body
    event = _events(session, claim.id, "send_back")[-1]
    assert (event.from_state, event.to_state, event.actor_id) == ("in_review", "in_progress", users["editor"].id)
    assert json.loads(event.detail)["comment"] == "Source 2 is from 2019; find the 2023 figure."
    # The checker can work on it again and resubmit; the draft is the same version.
    verdict = _verdict(session, settings, claim.id, users["checker"], summary="Updated with the 2023 figure.")
    assert verdict.version == 1
    assert _act(session, claim.id, "submit", users["checker"]).state == "in_review"


def test_send_back_after_approval(session, settings, users):
    claim = _to_review(session, settings, users)
    _act(session, claim.id, "approve", users["editor"])
    _act(session, claim.id, "send_back", users["editor2"], comment="Headline overstates it.")
    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.state == "in_progress" and claim.assignee_id == users["checker"].id


def test_correction_creates_version_two_and_keeps_version_one(session, settings, users):
    claim = _published(session, settings, users)
    v1 = claim_service.published_verdict(session, claim.id)
    v1_id, v1_published_at, v1_summary = v1.id, v1.published_at, v1.summary

    with pytest.raises(InvalidTransition):  # nothing to publish yet
        _act(session, claim.id, "correct", users["editor"], comment="Nothing changed.")
    session.rollback()
    with pytest.raises(Forbidden):  # a checker cannot touch a published verdict
        _verdict(session, settings, claim.id, users["checker"], rating="Mixed")
    session.rollback()

    draft = _verdict(session, settings, claim.id, users["editor"], rating="Mixed", summary="Half the boxes were empty.")
    assert draft.version == 2 and draft.published_at is None
    # Until the correction is published the public verdict is still version 1.
    assert claim_service.published_verdict(session, claim.id).id == v1_id
    with pytest.raises(ValidationFailed):
        _act(session, claim.id, "correct", users["editor"], comment="")
    session.rollback()
    _act(session, claim.id, "correct", users["editor"], comment="The port counted empty containers.")

    session.expire_all()
    history = claim_service.verdict_history(session, claim.id)
    assert [v.version for v in history] == [1, 2]
    first, second = history
    assert first.id == v1_id and first.summary == v1_summary and first.rating == "Mostly true"
    assert first.published_at == v1_published_at and first.correction_note is None
    assert second.rating == "Mixed" and second.published_at is not None
    assert second.correction_note == "The port counted empty containers."
    assert claim_service.published_verdict(session, claim.id).id == second.id
    assert session.get(Claim, claim.id).state == "published"
    event = _events(session, claim.id, "correct")[-1]
    assert (event.from_state, event.to_state) == ("published", "published")
    check = publishing_service.get_published(session, claim.id)
    assert check.first_published_verdict.id == v1_id
    assert [v.id for v in check.corrections] == [second.id]


def test_reject_records_the_reason_and_reopen_clears_it(session, users):
    claim = _new_claim(session, "A claim about 5 lighthouses.")
    _act(session, claim.id, "take", users["checker"])
    with pytest.raises(ValidationFailed):
        _act(session, claim.id, "reject", users["editor"])
    session.rollback()
    _act(session, claim.id, "reject", users["editor"], comment="Opinion, not a checkable claim.")
    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.state == "rejected" and claim.rejection_reason == "Opinion, not a checkable claim."
    assert claim.assignee_id is None
    event = _events(session, claim.id, "reject")[-1]
    assert (event.from_state, event.to_state, event.actor_id) == ("in_progress", "rejected", users["editor"].id)
    assert json.loads(event.detail)["comment"] == "Opinion, not a checkable claim."
    with pytest.raises(Forbidden):
        _act(session, claim.id, "reopen", users["checker"])
    session.rollback()
    _act(session, claim.id, "reopen", users["editor"])
    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.state == "new" and claim.rejection_reason is None


def _fact_check(session, **fields) -> FactCheck:
    data = {"claim_reviewed": "The port is the busiest in Europe.", "rating": "False",
            "summary": "Rotterdam handles far more.", "url": "https://other.example/port-busiest",
            "publisher": "Other Checkers"} | fields
    fc = FactCheck(**data)
    session.add(fc)
    session.commit()
    session.refresh(fc)
    return fc


def test_duplicate_of_a_fact_check_inherits_its_verdict(session, users):
    fc = _fact_check(session)
    claim = _new_claim(session, "Easthaven is the busiest port in Europe.")
    assert claim_service.inherited_verdict(session, claim) is None
    with pytest.raises(ValidationFailed):
        _act(session, claim.id, "mark_duplicate", users["editor"])
    session.rollback()
    _act(session, claim.id, "mark_duplicate", users["editor"], duplicate_of_fact_check_id=fc.id)
    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.state == "duplicate" and claim.duplicate_of_fact_check_id == fc.id
    inherited = claim_service.inherited_verdict(session, claim)
    assert (inherited.rating, inherited.summary, inherited.url, inherited.source) == (
        "False", "Rotterdam handles far more.", "https://other.example/port-busiest", "Other Checkers")
    event = _events(session, claim.id, "mark_duplicate")[-1]
    assert (event.from_state, event.to_state) == ("new", "duplicate")
    assert json.loads(event.detail)["duplicate_of_fact_check_id"] == fc.id
    # Reopening forgets the duplicate link.
    _act(session, claim.id, "reopen", users["editor"])
    session.expire_all()
    claim = session.get(Claim, claim.id)
    assert claim.duplicate_of_fact_check_id is None
    assert claim_service.inherited_verdict(session, claim) is None


def test_duplicate_of_a_published_claim_inherits_its_verdict(session, settings, users):
    original = _published(session, settings, users)
    claim = _new_claim(session, "The port moved 4.2 million containers last year.")
    _act(session, claim.id, "mark_duplicate", users["editor"], duplicate_of_claim_id=original.id)
    inherited = claim_service.inherited_verdict(session, session.get(Claim, claim.id))
    assert inherited.rating == "Mostly true" and inherited.source == f"claim #{original.id}"


def test_duplicate_targets_are_validated(session, users):
    fc = _fact_check(session)
    other = _new_claim(session, "Another claim about 8 tugboats.")
    claim = _new_claim(session, "A claim about 8 tugboats.")
    for kwargs in ({"duplicate_of_claim_id": claim.id},
                   {"duplicate_of_claim_id": 999999},
                   {"duplicate_of_fact_check_id": 999999},
                   {"duplicate_of_claim_id": other.id, "duplicate_of_fact_check_id": fc.id}):
        with pytest.raises(ValidationFailed):
            _act(session, claim.id, "mark_duplicate", users["editor"], **kwargs)
        session.rollback()
    assert session.get(Claim, claim.id).state == "new"
    assert _events(session, claim.id) == []


def test_unknown_rating_is_rejected_with_the_valid_names(session, settings, users):
    claim = _new_claim(session, "A claim about 6 docks.")
    _act(session, claim.id, "take", users["checker"])
    with pytest.raises(ValidationFailed) as info:
        _verdict(session, settings, claim.id, users["checker"], rating="Pants on fire")
    assert info.value.errors == {"rating": "unknown"}
    for name in parse_rating_scale(settings.rating_scale).names():
        assert name in str(info.value)
    session.rollback()
    assert _count(session, Verdict) == 0
    with pytest.raises(InvalidTransition):  # and so there is nothing to submit
        _act(session, claim.id, "submit", users["checker"])


def test_unknown_action_and_claim(session, users):
    claim = _new_claim(session, "A claim about 4 quays.")
    with pytest.raises(ValidationFailed):
        _act(session, claim.id, "delete", users["editor"])
    with pytest.raises(NotFound):
        _act(session, 999999, "take", users["checker"])


def test_available_actions_service_uses_the_stored_facts(session, settings, users):
    claim = _new_claim(session, "A claim about 2 canals.")
    _act(session, claim.id, "take", users["checker"])
    actions = {a.value for a in claim_service.available_actions(session, claim, users["checker"])}
    assert "submit" not in actions and "release" in actions
    _verdict(session, settings, claim.id, users["checker"])
    actions = {a.value for a in claim_service.available_actions(session, claim, users["checker"])}
    assert "submit" in actions


# --- the event log ------------------------------------------------------------------------

def test_event_log_is_append_only(app, session, users):
    claim = _new_claim(session, "A claim about 1 pier.")
    _act(session, claim.id, "take", users["checker"])
    event_id = _events(session, claim.id)[0].id

    event = session.get(Event, event_id)
    event.to_state = "published"
    session.add(event)
    with pytest.raises(RuntimeError, match="append-only"):
        session.commit()
    session.rollback()

    event = session.get(Event, event_id)
    session.delete(event)
    with pytest.raises(RuntimeError, match="append-only"):
        session.commit()
    session.rollback()

    # A different session sees the event untouched.
    with Session(app.extensions["factcheck.engine"]) as other:
        stored = other.get(Event, event_id)
        assert (stored.action, stored.from_state, stored.to_state) == ("take", "new", "in_progress")
    # Appending still works.
    _act(session, claim.id, "release", users["checker"])
    assert [e.action for e in _events(session, claim.id)] == ["take", "release"]


# --- users and tokens ---------------------------------------------------------------------

def test_create_user_normalises_and_refuses_duplicates(session):
    user = user_service.create_user(session, email="  Reporter@Example.ORG ", password="long-enough", role="editor",
                                    name="  Rita ")
    assert (user.email, user.role, user.name) == ("reporter@example.org", "editor", "Rita")
    assert user.password_hash != "long-enough"
    with pytest.raises(Conflict):
        user_service.create_user(session, email="reporter@example.org", password="another-one", role="checker")
    with pytest.raises(Conflict):
        user_service.create_user(session, email="REPORTER@example.org", password="another-one", role="checker")


@pytest.mark.parametrize("kwargs,field", [
    ({"email": "a@example.org", "password": "short", "role": "checker"}, "password"),
    ({"email": "a@example.org", "password": "1234567", "role": "checker"}, "password"),
    ({"email": "a@example.org", "password": "long-enough", "role": "owner"}, "role"),
    ({"email": "not-an-email", "password": "long-enough", "role": "checker"}, "email"),
])
def test_create_user_validation(session, kwargs, field):
    with pytest.raises(ValidationFailed) as info:
        user_service.create_user(session, **kwargs)
    assert field in info.value.errors
    assert _count(session, user_service.User) == 0


def test_authenticate(session):
    user = user_service.create_user(session, email="a@example.org", password="right-password", role="checker")
    assert user_service.authenticate(session, email="A@example.org ", password="right-password").id == user.id
    assert user_service.authenticate(session, email="a@example.org", password="wrong-password") is None
    assert user_service.authenticate(session, email="a@example.org", password="") is None
    assert user_service.authenticate(session, email="nobody@example.org", password="right-password") is None
    user_service.set_active(session, user_id=user.id, active=False)
    assert user_service.authenticate(session, email="a@example.org", password="right-password") is None


def test_tokens_create_verify_revoke(session, users):
    checker = users["checker"]
    token = user_service.create_token(session, user=checker, name="laptop")
    second = user_service.create_token(session, user=checker, name="script")
    assert token != second and token.startswith("fc_")
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == checker.id)).all()
    assert len(rows) == 2 and all(token not in (r.token_hash, r.name) for r in rows)

    assert user_service.user_for_token(session, token).id == checker.id
    session.expire_all()
    used = session.exec(select(ApiToken).where(ApiToken.name == "laptop")).one()
    assert used.last_used_at is not None
    assert user_service.user_for_token(session, token + "x") is None
    assert user_service.user_for_token(session, "") is None

    other = user_service.create_token(session, user=users["editor"])
    assert user_service.revoke_tokens(session, user=checker) == 2
    assert user_service.user_for_token(session, token) is None
    assert user_service.user_for_token(session, second) is None
    assert user_service.user_for_token(session, other).id == users["editor"].id
    assert user_service.revoke_tokens(session, user=checker) == 0

    # A deactivated user's token stops working.
    user_service.set_active(session, user_id=users["editor"].id, active=False)
    assert user_service.user_for_token(session, other) is None


def test_set_role(session, users):
    assert user_service.set_role(session, user_id=users["checker"].id, role="editor").role == "editor"
    with pytest.raises(ValidationFailed):
        user_service.set_role(session, user_id=users["checker"].id, role="king")
    with pytest.raises(NotFound):
        user_service.set_role(session, user_id=999999, role="editor")


def test_approved_verdict_cannot_change_without_sending_back(session, settings, users):
    claim = _to_review(session, settings, users)
    _act(session, claim.id, "approve", users["editor"])
    with pytest.raises(InvalidTransition, match="send the claim back"):
        _verdict(session, settings, claim.id, users["editor"], rating="True")
    assert claim_service.latest_verdict(session, claim.id).rating == "Mostly true"


def test_checker_who_is_an_editor_cannot_edit_the_verdict_in_review(session, settings, users):
    claim = _new_claim(session, "The bridge cost 40 million euros in 2021.")
    _act(session, claim.id, "take", users["editor2"])
    _verdict(session, settings, claim.id, users["editor2"])
    _evidence(session, claim.id, users["editor2"])
    _act(session, claim.id, "submit", users["editor2"])
    with pytest.raises(Forbidden):
        _verdict(session, settings, claim.id, users["editor2"], rating="True")
    # Another editor reviewing it may adjust the draft.
    assert _verdict(session, settings, claim.id, users["editor"], rating="True").rating == "True"


def test_event_log_refuses_raw_sql_updates_and_deletes(session, settings, users):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    claim = _new_claim(session, "Exports rose 12 percent in 2024.")
    _act(session, claim.id, "take", users["checker"])
    for statement in ("UPDATE event SET action = 'forged'", "DELETE FROM event"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert [e.action for e in _events(session, claim.id)][-1] == "take"


def test_take_next_never_hands_out_claims_that_are_not_checkable(session, users):
    claim = _new_claim(session, "Prices will surely rise next year.")
    claim.checkable = False
    claim.claim_type = "prediction"
    session.add(claim)
    session.commit()
    assert claim_service.take_next(session, user=users["checker"]) is None
    assert claim_service.queue_counts(session, user=users["checker"])["pool"] == 0
    assert claim_service.queue(session, user=users["checker"], include_not_checkable=True)[0].id == claim.id


def test_submit_needs_evidence_or_a_reason_why_none_is_needed(session, settings, users):
    checker = users["checker"]
    claim = _new_claim(session, "The mayor resigned on 3 May 2024.")
    _act(session, claim.id, "take", checker)
    _verdict(session, settings, claim.id, checker)
    with pytest.raises(ValidationFailed) as info:
        _act(session, claim.id, "submit", checker)
    assert info.value.errors == {"no_evidence_reason": "required"}
    with pytest.raises(ValidationFailed):
        _act(session, claim.id, "submit", checker, no_evidence_reason="   ")
    assert session.get(Claim, claim.id).state == "in_progress"
    _act(session, claim.id, "submit", checker, no_evidence_reason="The mayor's own statement is the claim.")
    assert session.get(Claim, claim.id).state == "in_review"
    event = _events(session, claim.id, "submit")[-1]
    assert json.loads(event.detail)["no_evidence_reason"] == "The mayor's own statement is the claim."
    assert any("[No evidence needed]" in c.body for c in claim_service.comments_of(session, claim.id))


def test_published_evidence_changes_only_with_a_correction(session, settings, users):
    from factcheck.domain.errors import InvalidTransition

    editor = users["editor"]
    claim = _to_review(session, settings, users, text="The port handled 4.1 million containers in 2022.")
    _act(session, claim.id, "approve", editor)
    _act(session, claim.id, "publish", editor)
    [kept] = claim_service.evidence_of(session, claim.id)
    with pytest.raises(InvalidTransition, match="only with a correction"):
        claim_service.remove_evidence(session, claim_id=claim.id, evidence_id=kept.id, user=editor)
    with pytest.raises(InvalidTransition, match="only with a correction"):
        _evidence(session, claim.id, editor)
    session.rollback()
    _verdict(session, settings, claim.id, editor, rating="Mostly false", summary="The 2022 figure was 3.9m.")
    added = _evidence(session, claim.id, editor)  # a correction is being prepared: now it may change
    claim_service.remove_evidence(session, claim_id=claim.id, evidence_id=kept.id, user=editor)
    assert [e.id for e in claim_service.evidence_of(session, claim.id)] == [added.id]


def test_reviewer_sees_the_submitted_verdict_and_what_changed(session, settings, users):
    from factcheck.services import review

    checker, editor = users["checker"], users["editor"]
    claim = _new_claim(session, "The port handled 4.0 million containers in 2021.")
    _act(session, claim.id, "take", checker)
    _verdict(session, settings, claim.id, checker, rating="Mostly true", summary="Close to the port's figure.")
    _evidence(session, claim.id, checker)
    _act(session, claim.id, "submit", checker)
    first = review.submission(session, claim.id)
    assert first.previous is None and not any(c.changed for c in first.changes)
    assert first.submitted.summary == "Close to the port's figure."
    _act(session, claim.id, "send_back", editor, comment="Which year?")
    _verdict(session, settings, claim.id, checker, rating="Mostly true", summary="Close to the port's 2021 figure.")
    _act(session, claim.id, "submit", checker)
    second = review.submission(session, claim.id)
    changes = {c.name: c for c in second.changes}
    assert not changes["rating"].changed and changes["summary"].changed
    assert ("ins", "2021 ") in changes["summary"].parts
    assert review.word_diff("a b c", "a x c") == [("same", "a "), ("del", "b"), ("ins", "x"), ("same", " c")]
