"""The newsroom's own published checks in the library, honest "no match", duplicates of articles and claims.

Real embedding model, demo library. The off-topic articles in ``tests/fixtures/offtopic`` were written for
these tests (film, technology, transport, football, a bakery, astronomy: subjects the demo library has no
fact-check about).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from factcheck.domain.errors import DuplicateArticle, ValidationFailed
from factcheck.models import Article, Claim, Embedding, Event, FactCheck, Match
from factcheck.services import articles as article_service
from factcheck.services import claims as claim_service
from factcheck.services import matching as matching_service
from factcheck.services import own_checks
from factcheck.services import users as user_service
from factcheck.services.matching import KIND_FACT_CHECK, KIND_PASSAGE
from tests.conftest import Browser

OFF_TOPIC = sorted((Path(__file__).parent / "fixtures" / "offtopic").glob("*.txt"))

CLAIM = "The Riverside tram depot in Easthaven flooded 14 times between 2015 and 2023, the city's engineers said."
ARTICLE = (
    "Easthaven's transport chief faced questions on Monday about the tram network. "
    f"{CLAIM} "
    "The council has promised a new drainage system before next winter."
)
AGAIN = (
    "Residents of the Riverside district met on Thursday to discuss the floods. "
    "The Riverside tram depot in Easthaven flooded 14 times between 2015 and 2023, according to the city's engineers. "
    "A petition for better drainage has gathered signatures."
)


@pytest.fixture
def settings(demo_app):
    return demo_app.config["SETTINGS"]


@pytest.fixture
def people(demo_session):
    make = user_service.create_user
    return {
        "checker": make(demo_session, email="checker@example.org", password="long-enough-pw", role="checker"),
        "editor": make(demo_session, email="editor@example.org", password="long-enough-pw", role="editor"),
    }


def _ingest(session, settings, text, title="Story", **extra):
    return article_service.ingest_article(session, settings=settings, data={"title": title, "text": text, **extra})


def _claim_with(claims, needle: str) -> Claim:
    return next(c for c in claims if needle in c.sentence)


def _publish(session, settings, people, claim: Claim, rating="False", summary="The depot flooded 6 times."):
    act = claim_service.transition
    act(session, claim_id=claim.id, action="take", user=people["checker"], settings=settings)
    claim_service.save_verdict(session, settings=settings, claim_id=claim.id, user=people["checker"],
                               data={"rating": rating, "summary": summary, "explanation": "Engineers' records."})
    act(session, claim_id=claim.id, action="submit", user=people["checker"], settings=settings,
        no_evidence_reason="The engineers' records are quoted in the verdict.")
    act(session, claim_id=claim.id, action="approve", user=people["editor"], settings=settings)
    return act(session, claim_id=claim.id, action="publish", user=people["editor"], settings=settings)


def _fact_check_matches(session, claim_id):
    return [v for v in matching_service.match_views(session, claim_id) if v.match.kind == KIND_FACT_CHECK]


def test_publishing_adds_the_check_to_the_library_and_a_repeat_finds_it_first(demo_session, settings, people):
    _article, claims = _ingest(demo_session, settings, ARTICLE, title="Tram depot")
    claim = _claim_with(claims, "tram depot")
    assert own_checks.own_check_of(demo_session, claim.id) is None
    _publish(demo_session, settings, people, claim)

    entry = own_checks.own_check_of(demo_session, claim.id)
    assert entry is not None and own_checks.is_own(entry)
    assert entry.claim_reviewed == claim.standalone_text
    assert (entry.rating, entry.summary, entry.publisher) == ("False", "The depot flooded 6 times.",
                                                              settings.organization_name)
    assert entry.url.endswith(f"/checks/{claim.id}") and entry.date_published is not None
    assert demo_session.exec(select(Embedding).where(Embedding.kind == KIND_FACT_CHECK,
                                                     Embedding.object_id == entry.id)).first() is not None
    # Its own claim is never matched against it.
    matching_service.rematch_claim(demo_session, settings=settings, claim=claim)
    assert entry.id not in {v.fact_check.id for v in _fact_check_matches(demo_session, claim.id)}

    # The same claim pasted again in a new article: the published check is the top suggestion, ours.
    _again, new_claims = _ingest(demo_session, settings, AGAIN, title="Floods meeting")
    repeat = _claim_with(new_claims, "tram depot")
    suggestions = _fact_check_matches(demo_session, repeat.id)
    assert suggestions, "the newsroom's own check must be suggested"
    top = suggestions[0]
    assert top.fact_check.id == entry.id and top.own
    assert top.calibrated and top.label == "likely same claim" and top.match.score >= 0.9

    # Search finds it by keyword and by meaning.
    for query in ("Riverside tram depot", "How many times has the tram depot in Easthaven been flooded?"):
        hits = matching_service.search_text(demo_session, settings=settings, text=query, kind=KIND_FACT_CHECK,
                                            k=5, threshold=matching_service.LIBRARY_SEARCH_THRESHOLD[KIND_FACT_CHECK])
        described = matching_service.describe_hits(demo_session, hits)
        assert described and described[0]["id"] == entry.id and described[0]["own"], query


def test_a_correction_updates_the_entry_and_unpublishing_removes_it(demo_session, settings, people):
    _article, claims = _ingest(demo_session, settings, ARTICLE, title="Tram depot")
    claim = _publish(demo_session, settings, people, _claim_with(claims, "tram depot"))
    entry_id = own_checks.own_check_of(demo_session, claim.id).id
    _again, new_claims = _ingest(demo_session, settings, AGAIN, title="Floods meeting")
    repeat = _claim_with(new_claims, "tram depot")
    assert any(v.fact_check.id == entry_id for v in _fact_check_matches(demo_session, repeat.id))

    claim_service.save_verdict(demo_session, settings=settings, claim_id=claim.id, user=people["editor"],
                               data={"rating": "Mostly false", "summary": "It flooded 9 times.", "explanation": "x"})
    claim_service.transition(demo_session, claim_id=claim.id, action="correct", user=people["editor"],
                             comment="New records", settings=settings)
    demo_session.expire_all()
    entry = demo_session.get(FactCheck, entry_id)
    assert (entry.rating, entry.summary) == ("Mostly false", "It flooded 9 times.")

    with pytest.raises(ValidationFailed):  # a reason is required
        claim_service.transition(demo_session, claim_id=claim.id, action="unpublish", user=people["editor"],
                                 settings=settings)
    claim_service.transition(demo_session, claim_id=claim.id, action="unpublish", user=people["editor"],
                             comment="Sources withdrawn", settings=settings)
    demo_session.expire_all()
    assert demo_session.get(Claim, claim.id).state == "approved"
    assert demo_session.get(FactCheck, entry_id) is None
    assert demo_session.exec(select(Match).where(Match.fact_check_id == entry_id)).first() is None
    assert demo_session.exec(select(Embedding).where(Embedding.kind == KIND_FACT_CHECK,
                                                     Embedding.object_id == entry_id)).first() is None
    matching_service.rematch_claim(demo_session, settings=settings, claim=demo_session.get(Claim, repeat.id))
    assert all(not v.own for v in _fact_check_matches(demo_session, repeat.id))
    actions = [e.action for e in demo_session.exec(select(Event).where(Event.claim_id == claim.id)
                                                   .order_by(Event.id)).all()]
    assert actions.count("own_check_added") == 1 and "own_check_updated" in actions
    assert actions.index("own_check_removed") > actions.index("own_check_updated")


def test_off_topic_articles_get_nearly_no_suggestions(demo_session, settings):
    """The issue's complaint: 8 unrelated fact-checks across six off-topic articles. Here at most 1."""
    assert len(OFF_TOPIC) == 6
    shown_fact_checks, shown_passages, claims_seen = [], [], 0
    for path in OFF_TOPIC:
        _article, claims = _ingest(demo_session, settings, path.read_text(encoding="utf-8"), title=path.stem)
        claims_seen += len(claims)
        for claim in claims:
            for view in matching_service.match_views(demo_session, claim.id):
                (shown_fact_checks if view.match.kind == KIND_FACT_CHECK else shown_passages).append(
                    (path.stem, claim.standalone_text, view.text, view.match.score))
    assert claims_seen >= 18  # the articles do carry checkable claims
    assert len(shown_fact_checks) <= 1, shown_fact_checks
    assert len(shown_passages) <= 2, shown_passages


def test_nothing_matches_is_said_plainly_on_the_claim_page(demo_app, demo_session, settings, people):
    _article, claims = _ingest(demo_session, settings, OFF_TOPIC[0].read_text(encoding="utf-8"), title="x")
    browser = Browser(demo_app)
    browser.login("checker@example.org", "long-enough-pw")
    quiet = next(c for c in claims if not _fact_check_matches(demo_session, c.id))
    page = browser.get(f"/claims/{quiet.id}").get_data(as_text=True)
    assert "Nothing in the library matches this claim" in page


def test_duplicate_articles_are_flagged_before_anything_is_stored(demo_session, settings):
    first, claims = _ingest(demo_session, settings, ARTICLE, title="Tram depot", url="https://news.example/tram")
    before = len(demo_session.exec(select(Claim)).all())
    cases = [
        dict(text=ARTICLE, url="https://news.example/tram"),  # same URL
        dict(text=ARTICLE),  # same text
        dict(text="  " + ARTICLE.replace("Monday", "Monday,").upper() + "\n"),  # same words
        dict(text=ARTICLE + " Photo: city archive."),  # nearly the same text
    ]
    for case in cases:
        with pytest.raises(DuplicateArticle) as raised:
            _ingest(demo_session, settings, title="Again", **case)
        assert raised.value.earlier_id == first.id
    assert len(demo_session.exec(select(Claim)).all()) == before
    second, second_claims = article_service.ingest_article(demo_session, settings=settings, confirm_duplicate=True,
                                                           data={"title": "Again", "text": ARTICLE})
    assert second.duplicate_of_id == first.id and len(second_claims) == len(claims)
    # A different article is not a duplicate.
    other, _ = _ingest(demo_session, settings, AGAIN, title="Floods meeting")
    assert other.duplicate_of_id is None


def test_api_answers_409_with_the_earlier_article_unless_confirmed(demo_app, demo_session, people):
    token = user_service.create_token(demo_session, user=people["checker"], name="t")
    client = demo_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "Tram depot", "text": ARTICLE, "url": "https://news.example/tram"}
    assert client.post("/api/v1/articles", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/articles", json=body, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["duplicate_of"]["reason"] == "same address"
    confirmed = client.post("/api/v1/articles", json={**body, "confirm_duplicate": True}, headers=headers)
    assert confirmed.status_code == 201
    assert client.post("/api/v1/articles", json={**body, "confirm_duplicate": "yes"},
                       headers=headers).status_code == 422


def test_web_form_offers_the_earlier_copy_and_a_confirmation(demo_app, demo_session, settings, people):
    browser = Browser(demo_app)
    browser.login("checker@example.org", "long-enough-pw")
    form = {"title": "Tram depot", "text": ARTICLE, "language": "en"}
    assert browser.post("/articles/new", data=form).status_code == 303
    first = demo_session.exec(select(Article)).all()[-1]
    page = browser.post("/articles/new", data=form)
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert f"/articles/{first.id}" in html and 'name="confirm_duplicate"' in html
    assert browser.post("/articles/new", data={**form, "confirm_duplicate": "1"}).status_code == 303


def test_open_claims_that_state_the_same_claim_are_suggested_as_duplicates(demo_session, settings):
    _a, claims = _ingest(demo_session, settings, ARTICLE, title="Tram depot")
    _b, again = _ingest(demo_session, settings, AGAIN, title="Floods meeting")
    first, repeat = _claim_with(claims, "tram depot"), _claim_with(again, "tram depot")
    found = matching_service.possible_duplicate_claims(demo_session, settings=settings, claim=repeat)
    assert found and found[0][0].id == first.id and found[0][1] >= 0.9
    others = [c for c in again if c.id != repeat.id]
    for other in others:
        assert first.id not in {c.id for c, _ in matching_service.possible_duplicate_claims(
            demo_session, settings=settings, claim=other)}


def test_confirming_goes_through_a_side_by_side_view_and_is_undoable(demo_app, demo_session, settings, people):
    from factcheck.services import match_settings

    # Never link automatically here (a restated claim scores 0.99): a checker decides.
    match_settings.update_library_settings(demo_session, settings=settings, library=KIND_FACT_CHECK, actor_id=None,
                                           data={"same_claim_threshold": "1.0"})
    _article, claims = _ingest(demo_session, settings, ARTICLE, title="Tram depot")
    _publish(demo_session, settings, people, _claim_with(claims, "tram depot"))
    _again, new_claims = _ingest(demo_session, settings, AGAIN, title="Floods meeting")
    repeat = _claim_with(new_claims, "tram depot")
    match = _fact_check_matches(demo_session, repeat.id)[0].match

    browser = Browser(demo_app)
    browser.login("editor@example.org", "long-enough-pw")  # the claim is new: editors may decide its matches
    claim_page = browser.get(f"/claims/{repeat.id}").get_data(as_text=True)
    compare_url = f"/claims/{repeat.id}/matches/{match.id}/compare"
    assert compare_url in claim_page and "published by us" in claim_page
    page = browser.get(compare_url).get_data(as_text=True)
    assert "<mark>depot</mark>" in page and "<mark>Riverside</mark>" in page
    assert "False" in page and settings.organization_name in page and "Confirm: same claim" in page

    assert browser.post(f"/claims/{repeat.id}/matches/{match.id}", data={"status": "confirmed"}).status_code == 303
    demo_session.expire_all()
    confirmed = demo_session.get(Match, match.id)
    assert confirmed.status == "confirmed" and len(confirmed.decision_features) == 13
    x, y = matching_service.decided_pairs(demo_session)
    assert x.shape == (1, 13) and list(y) == [1]

    history = browser.get(f"/claims/{repeat.id}").get_data(as_text=True)
    assert 'name="from" value="history"' in history
    undo = browser.post(f"/claims/{repeat.id}/matches/{match.id}", data={"status": "suggested", "from": "history"})
    assert undo.status_code == 303
    demo_session.expire_all()
    undone = demo_session.get(Match, match.id)
    assert (undone.status, undone.decision_features) == ("suggested", None)
    assert matching_service.decided_pairs(demo_session)[0].shape == (0, 13)
    events = demo_session.exec(select(Event).where(Event.claim_id == repeat.id,
                                                   Event.action.like("match_%")).order_by(Event.id)).all()
    assert [e.action for e in events][-2:] == ["match_confirmed", "match_suggested"]
    assert json.loads(events[-1].detail)["previous"] == "confirmed"


@pytest.mark.parametrize("text", [
    # bare, in someone else's reported speech, and reworded in a campaigners' claim
    "Flood risk dominated the council meeting on Thursday. The Riverside tram depot in Easthaven flooded 14 times "
    "between 2015 and 2023. Repairs are planned.",
    "Flood risk dominated the council meeting on Thursday. Councillor Jo Hart told residents that the Riverside "
    "tram depot in Easthaven had flooded 14 times between 2015 and 2023. Repairs are planned.",
    "Flood risk dominated the council meeting on Thursday. Campaigners claimed the tram depot at Riverside had "
    "been flooded 14 times in eight years. Repairs are planned.",
])
def test_a_published_claim_is_recognised_however_the_new_article_attributes_it(demo_session, settings, people, text):
    _article, claims = _ingest(demo_session, settings, ARTICLE, title="Tram depot")
    claim = _publish(demo_session, settings, people, _claim_with(claims, "tram depot"))
    entry = own_checks.own_check_of(demo_session, claim.id)
    _again, new_claims = _ingest(demo_session, settings, text, title="Again")
    suggestions = _fact_check_matches(demo_session, _claim_with(new_claims, "depot").id)
    assert suggestions and suggestions[0].fact_check.id == entry.id and suggestions[0].own


def test_an_open_claim_reported_by_someone_else_is_suggested_as_a_duplicate(demo_session, settings):
    # The same claim, each article attributing it to a different person in reported speech.
    first_text = ("Flood risk dominated the council meeting. At a packed meeting in the town hall on Tuesday, "
                  "Councillor Jo Hart of the Residents' Alliance told more than 200 people that the Riverside tram "
                  "depot in Easthaven had flooded 14 times between 2015 and 2023. Repairs are planned.")
    second_text = ("Residents met on Thursday. The Riverside tram depot in Easthaven flooded 14 times between 2015 "
                   "and 2023, a leaflet handed out by campaigners outside the station on Wednesday morning claimed. "
                   "A petition has started.")
    _a, claims = _ingest(demo_session, settings, first_text, title="Council meeting")
    _b, again = _ingest(demo_session, settings, second_text, title="Residents meeting")
    first, repeat = _claim_with(claims, "tram depot"), _claim_with(again, "tram depot")
    found = matching_service.possible_duplicate_claims(demo_session, settings=settings, claim=repeat)
    assert found and found[0][0].id == first.id
