"""The JSON API (/api/v1): token auth, the whole workflow, bad input, publication.

Everything runs through ``app.test_client()`` with real services, a real
database and the real embedding model.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select

from factcheck.domain.ratings import parse_rating_scale
from factcheck.models import Article, Claim, Event, Evidence, FactCheck, Verdict
from factcheck.services import claims as claim_service
from factcheck.services.users import create_token, revoke_tokens, set_active
from tests.conftest import make_user

MMR_URL = "https://factcheck.example/demo/mmr-vaccine-autism"

# A local news story; one sentence repeats the demo library's "The MMR vaccine causes autism."
MEASLES_ARTICLE = """Measles returns to Millbrook as vaccination rates fall

By Anna Kowalski

MILLBROOK — Health officials confirmed 14 new measles cases in Millbrook County last week, \
the highest weekly total since 2019. The county health department said only 81% of children \
starting school this year had received both doses of the MMR vaccine, down from 92% five years ago.

At a packed school board meeting on Tuesday, parent activist Mark Ellison told the audience that \
the MMR vaccine causes autism. Several parents applauded.

Dr. Priya Nair, the county's medical officer, said studies involving millions of children had \
found no link between the vaccine and autism. "Measles killed more than 100,000 people worldwide \
in 2022, most of them children under five," Nair said.

The World Health Organization says two doses of the vaccine are about 97% effective at preventing \
measles. Nair added that the clinic on Main Street will offer free vaccinations on Saturdays \
through the end of March.

The school board voted 5-2 on Tuesday to send reminder letters to families whose children are \
behind on their shots.
"""

# Two checkable sentences, nothing in the (empty) library to match.
HARBOUR_ARTICLE = """Port authority reports record year

The port of Easthaven handled 4.2 million containers in 2023, up from 3.1 million in 2019, \
the port authority said on Monday.
Harbour master Lena Ortiz said dredging had cut the average waiting time for ships to 11 hours.
"""

BRIDGE_CLAIM = "The Riverside bridge in Easthaven was closed for 40 days in 2023 because of cracks in its steel cables."


def _auth(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _count(session, model, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


class Api:
    """A test client that speaks JSON and checks that the API never fails with a 500."""

    def __init__(self, app):
        self.client = app.test_client()

    def call(self, method: str, url: str, token: str | None = None, **kwargs):
        headers = {**_auth(token), **kwargs.pop("headers", {})}
        response = self.client.open(f"/api/v1{url}", method=method, headers=headers, **kwargs)
        assert response.status_code != 500, response.get_data(as_text=True)
        if response.status_code != 204:
            assert response.is_json, response.get_data(as_text=True)
        return response

    def get(self, url, token=None, **kwargs):
        return self.call("GET", url, token, **kwargs)

    def post(self, url, token=None, **kwargs):
        return self.call("POST", url, token, **kwargs)

    def put(self, url, token=None, **kwargs):
        return self.call("PUT", url, token, **kwargs)

    def act(self, claim_id: int, token: str, action: str, **fields):
        return self.post(f"/claims/{claim_id}/transitions", token, json={"action": action, **fields})


@pytest.fixture
def api(app):
    return Api(app)


@pytest.fixture
def demo_api(demo_app):
    return Api(demo_app)


@pytest.fixture
def tokens(session, users):
    return {name: create_token(session, user=user, name="tests") for name, user in users.items()}


def _post_article(api: Api, token: str, text: str, title: str = "A story", **extra) -> dict:
    response = api.post("/articles", token, json={"title": title, "text": text, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _publish(api: Api, claim_id: int, checker: str, editor: str, rating: str = "False") -> dict:
    """Take a specific claim, write a verdict and take it through review to publication."""
    assert api.act(claim_id, checker, "take").status_code == 200
    assert api.post(f"/claims/{claim_id}/evidence", checker, json={
        "url": "https://example.org/report", "quote": "The report says otherwise.", "stance": "refutes",
    }).status_code == 201
    assert api.put(f"/claims/{claim_id}/verdict", checker, json={
        "rating": rating, "summary": "The record says otherwise.", "explanation": "Details."}).status_code == 200
    for token, action in ((checker, "submit"), (editor, "approve"), (editor, "publish")):
        response = api.act(claim_id, token, action)
        assert response.status_code == 200, response.get_json()
    return response.get_json()


# ----------------------------------------------------------------------------- 1. the whole flow


def test_two_users_take_a_claim_from_article_to_published_claim_review(demo_app, demo_session, demo_api):
    settings = demo_app.config["SETTINGS"]
    checker = make_user(demo_session, "checker@example.org", "checker")
    editor = make_user(demo_session, "editor@example.org", "editor")
    checker_token = create_token(demo_session, user=checker)
    editor_token = create_token(demo_session, user=editor)
    mmr = demo_session.exec(select(FactCheck).where(FactCheck.url == MMR_URL)).one()

    # The checker submits a news story.
    response = demo_api.post("/articles", checker_token, json={
        "title": "Measles returns to Millbrook as vaccination rates fall", "text": MEASLES_ARTICLE,
        "url": "https://millbrook-gazette.example/news/measles-returns", "outlet": "Millbrook Gazette",
        "author": "Anna Kowalski", "published_at": "2026-11-20",
    })
    assert response.status_code == 201
    article = response.get_json()
    assert isinstance(article["id"], int) and len(article["claims"]) >= 5
    for claim in article["claims"]:
        assert MEASLES_ARTICLE[claim["start"]:claim["end"]] == claim["text"]
        assert set(claim) >= {"id", "text", "standalone_text", "start", "end", "checkworthiness", "reasons",
                              "claim_type", "claimant", "matches"}
    texts = [c["text"] for c in article["claims"]]
    assert not any(t.startswith(("Measles returns", "By Anna")) for t in texts)  # headline, byline

    # The sentence repeating a known falsehood is matched to the earlier fact-check.
    [repeated] = [c for c in article["claims"] if "Mark Ellison" in c["text"]]
    assert repeated["claimant"] == "Mark Ellison"
    fact_check_matches = [m for m in repeated["matches"] if m["kind"] == "fact_check"]
    assert fact_check_matches[0]["id"] == mmr.id
    top = fact_check_matches[0]
    assert top["score"] >= settings.fact_check_threshold
    assert top["text"] == mmr.claim_reviewed and top["rating"] == "False" and top["url"] == MMR_URL
    assert top["status"] == "suggested" and isinstance(top["match_id"], int)
    # ...and to a passage of the WHO source on MMR safety.
    passages = [m for m in repeated["matches"] if m["kind"] == "passage"]
    assert passages and all(m["score"] >= settings.passage_threshold for m in passages)
    assert all(set(m) >= {"match_id", "id", "score", "text", "status"} for m in passages)

    # An editor moves that claim to the top of the queue; the checker takes it.
    claim_service.edit_claim(demo_session, settings=settings, claim_id=repeated["id"], user=editor,
                             data={"priority": 3})
    response = demo_api.post("/queue/take", checker_token)
    assert response.status_code == 200
    taken = response.get_json()
    assert taken["id"] == repeated["id"] and taken["state"] == "in_progress"
    assert taken["assignee"] == "checker@example.org" and taken["priority"] == 3
    assert taken["text"] == repeated["text"] and taken["article_id"] == article["id"]
    assert taken["verdict"] is None and taken["evidence"] == [] and taken["public_url"] is None
    claim_id = taken["id"]

    # The checker confirms the match, links the passage as evidence, comments and drafts a verdict.
    response = demo_api.post(f"/claims/{claim_id}/matches/{top['match_id']}", checker_token,
                             json={"status": "confirmed"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "confirmed" and response.get_json()["id"] == mmr.id
    response = demo_api.post(f"/claims/{claim_id}/evidence", checker_token, json={
        "passage_id": passages[0]["id"], "stance": "refutes", "note": "WHO summary of the evidence."})
    assert response.status_code == 201
    evidence = response.get_json()
    assert evidence["passage_id"] == passages[0]["id"] and evidence["quote"] == passages[0]["text"]
    assert evidence["stance"] == "refutes" and evidence["url"] is None
    response = demo_api.post(f"/claims/{claim_id}/comments", checker_token,
                             json={"body": "Same claim as our 2019 check."})
    assert response.status_code == 201 and response.get_json()["author"] == "checker@example.org"
    response = demo_api.put(f"/claims/{claim_id}/verdict", checker_token, json={
        "rating": "false", "summary": "Large studies of millions of children found no link.",
        "explanation": "The 1998 paper behind the claim was retracted."})
    assert response.status_code == 200
    saved = response.get_json()
    assert saved.pop("updated_at")
    assert saved == {"version": 1, "revision": 1, "rating": "False", "rating_value": 1,
                     "summary": "Large studies of millions of children found no link.",
                     "explanation": "The 1998 paper behind the claim was retracted.",
                     "published": False}
    assert response.headers["ETag"] == '"1"'

    # Submit; the checker cannot approve their own work; the editor approves and publishes.
    response = demo_api.act(claim_id, checker_token, "submit")
    assert response.status_code == 200
    assert response.get_json()["state"] == "in_review" and response.get_json()["checker"] == "checker@example.org"
    response = demo_api.act(claim_id, checker_token, "approve")
    assert response.status_code == 403 and response.get_json()["status"] == 403
    assert demo_api.act(claim_id, editor_token, "approve").get_json()["state"] == "approved"
    response = demo_api.act(claim_id, editor_token, "publish")
    assert response.status_code == 200 and response.get_json()["state"] == "published"

    claim = demo_api.get(f"/claims/{claim_id}", editor_token).get_json()
    assert claim["state"] == "published"
    assert claim["public_url"].startswith("http") and claim["public_url"].endswith(f"/checks/{claim_id}")
    assert claim["verdict"]["published"] is True and claim["verdict"]["rating"] == "False"
    assert claim["evidence"] == [evidence]
    assert [m["status"] for m in claim["matches"] if m["match_id"] == top["match_id"]] == ["confirmed"]

    # The ClaimReview feed is public.
    response = demo_api.get("/claim-reviews")
    assert response.status_code == 200
    [review] = response.get_json()["claim_reviews"]
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == repeated["standalone_text"]
    assert review["url"] == claim["public_url"]
    scale = parse_rating_scale(settings.rating_scale)
    assert review["reviewRating"] == {"@type": "Rating", "ratingValue": 1, "bestRating": scale.best,
                                      "worstRating": scale.worst, "alternateName": "False"}
    assert review["author"]["name"] == settings.organization_name
    assert datetime.fromisoformat(review["datePublished"]) <= datetime.fromisoformat(review["dateModified"])
    assert "T" in review["datePublished"]  # RFC 3339: a time with its offset, not a bare date
    item = review["itemReviewed"]
    assert item["@type"] == "Claim" and item["author"]["name"] == "Mark Ellison"
    assert item["datePublished"] == "2026-11-20"
    assert item["appearance"]["url"] == "https://millbrook-gazette.example/news/measles-returns"


# ----------------------------------------------------------------------------- 2. authentication


def test_requests_without_a_valid_token_get_401(api, session, users):
    token = create_token(session, user=users["checker"])
    assert api.post("/queue/take", token).status_code == 404  # authenticated: the queue is just empty

    for headers in ({}, {"Authorization": "Bearer fc_not-a-real-token"}, {"Authorization": f"Basic {token}"},
                    {"Authorization": "Bearer"}, {"Authorization": token}):
        response = api.client.post("/api/v1/queue/take", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["status"] == 401 and response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    # Every endpoint but the two public ones needs a token.
    for method, url in (("POST", "/articles"), ("POST", "/fact-checks"), ("POST", "/sources"),
                        ("GET", "/claims/1"), ("POST", "/claims/1/evidence"), ("PUT", "/claims/1/verdict"),
                        ("POST", "/claims/1/transitions"), ("POST", "/claims/1/matches/1"),
                        ("POST", "/claims/1/comments")):
        assert api.call(method, url, json={}).status_code == 401, url
    assert api.get("/rating-scale").status_code == 200
    assert api.get("/claim-reviews").status_code == 200

    revoke_tokens(session, user=users["checker"])
    response = api.post("/queue/take", token)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")

    # A deactivated user's tokens stop working too.
    other = create_token(session, user=users["checker2"])
    set_active(session, user_id=users["checker2"].id, active=False)
    assert api.post("/queue/take", other).status_code == 401


# ----------------------------------------------------------------------------- 3. bad input


def test_bad_input_is_refused_and_writes_nothing(api, session, tokens):
    checker, editor = tokens["checker"], tokens["editor"]

    for kwargs in ({"data": "title=x", "content_type": "application/x-www-form-urlencoded"},
                   {"data": "{not json", "content_type": "application/json"},
                   {"json": ["a", "list"]}, {"json": "a string"}, {}):
        response = api.post("/articles", checker, **kwargs)
        assert response.status_code == 400
        assert response.get_json()["error"] == "Send a JSON object body with Content-Type: application/json."

    response = api.post("/articles", checker, json={"text": HARBOUR_ARTICLE})
    assert response.status_code == 422
    body = response.get_json()
    assert body["status"] == 422 and "title" in body["errors"]
    for bad in ({"title": 12, "text": HARBOUR_ARTICLE}, {"title": "x", "text": ["no"]},
                {"title": "x", "text": "   "}, {"title": "x", "text": HARBOUR_ARTICLE, "url": "ftp://x"},
                {"title": "x", "text": HARBOUR_ARTICLE, "published_at": "yesterday"},
                {"title": "x\u0000", "text": HARBOUR_ARTICLE}, {"title": "x", "text": HARBOUR_ARTICLE + "\x00"}):
        response = api.post("/articles", checker, json=bad)
        assert response.status_code == 422, bad
        assert response.get_json()["errors"]
    assert _count(session, Article) == 0 and _count(session, Claim) == 0

    response = api.post("/fact-checks", checker, json={"claim_reviewed": "Something happened.", "rating": "False"})
    assert response.status_code == 422 and "url" in response.get_json()["errors"]
    response = api.post("/fact-checks", checker, json={"claim_reviewed": "Something\x00 happened.", "rating": "False",
                                                       "url": "https://checks.example/nul"})
    assert response.status_code == 422 and "claim_reviewed" in response.get_json()["errors"]
    assert _count(session, FactCheck) == 0

    article = _post_article(api, checker, HARBOUR_ARTICLE)
    claim_id = api.post("/queue/take", checker).get_json()["id"]

    response = api.put(f"/claims/{claim_id}/verdict", checker,
                       json={"rating": "Pants on fire", "summary": "Nope.", "explanation": ""})
    assert response.status_code == 422 and response.get_json()["errors"] == {"rating": "unknown"}
    assert "Mostly true" in response.get_json()["error"]
    assert _count(session, Verdict) == 0

    for bad, field in (({"stance": "refutes", "quote": "x"}, "url"),
                       ({"passage_id": "1", "stance": "refutes"}, "passage_id"),
                       ({"passage_id": True, "stance": "refutes"}, "passage_id"),
                       ({"passage_id": 10**30, "stance": "refutes"}, "passage_id"),
                       ({"passage_id": 999, "stance": "refutes"}, "passage_id"),
                       ({"url": "https://example.org", "quote": "x", "stance": "agrees"}, "stance")):
        response = api.post(f"/claims/{claim_id}/evidence", checker, json=bad)
        assert response.status_code == 422, bad
        assert field in response.get_json()["errors"], response.get_json()
    assert _count(session, Evidence) == 0

    events_before = _count(session, Event)
    for bad, field in (({"action": "teleport"}, "action"), ({}, "action"), ({"action": 3}, "action"),
                       ({"action": "reject", "comment": 5}, "comment"),
                       ({"action": "mark_duplicate", "duplicate_of_claim_id": "2"}, "duplicate_of_claim_id")):
        response = api.post(f"/claims/{claim_id}/transitions", checker, json=bad)
        assert response.status_code == 422, bad
        assert field in response.get_json()["errors"]
    response = api.act(claim_id, editor, "reject")  # a reason is required
    assert response.status_code == 422 and response.get_json()["errors"] == {"comment": "required"}

    response = api.act(claim_id, editor, "publish")
    assert response.status_code == 409
    assert "in_progress" in response.get_json()["error"] and response.get_json()["status"] == 409
    assert _count(session, Event) == events_before
    assert session.get(Claim, claim_id).state == "in_progress"

    response = api.post(f"/claims/{claim_id}/matches/1", checker, json={"status": "maybe"})
    assert response.status_code == 422
    assert api.post(f"/claims/{claim_id}/matches/1", checker, json={"status": "confirmed"}).status_code == 404
    assert api.post(f"/claims/{claim_id}/comments", checker, json={"body": ""}).status_code == 422

    for url in ("/claims/99999", "/claims/abc", "/claims/99999999999999999999", "/claims/0"):
        response = api.get(url, checker)
        assert response.status_code == 404 and response.get_json()["status"] == 404
    assert api.put("/claims/99999/verdict", checker, json={"rating": "False", "summary": "x"}).status_code == 404
    for query in ("limit=0", "limit=201", "limit=abc", "offset=-1"):
        response = api.get(f"/claim-reviews?{query}")
        assert response.status_code == 422, query
    assert article["id"] and _count(session, Article) == 1


# ----------------------------------------------------------------------------- 4. the queue


def test_taking_from_the_queue_gives_each_checker_a_different_claim(api, session, tokens):
    response = api.post("/queue/take", tokens["checker"])
    assert response.status_code == 404
    assert response.get_json() == {"error": "The queue is empty.", "status": 404}

    article = _post_article(api, tokens["checker"], HARBOUR_ARTICLE)
    assert len(article["claims"]) == 2
    first = api.post("/queue/take", tokens["checker"]).get_json()
    second = api.post("/queue/take", tokens["checker2"]).get_json()
    assert first["id"] != second["id"]
    assert {first["id"], second["id"]} == {c["id"] for c in article["claims"]}
    assert (first["assignee"], second["assignee"]) == ("checker@example.org", "checker2@example.org")
    assert first["state"] == second["state"] == "in_progress"
    assert api.post("/queue/take", tokens["checker"]).status_code == 404

    # A released claim goes back to the pool.
    assert api.act(first["id"], tokens["checker"], "release").get_json()["assignee"] is None
    assert api.post("/queue/take", tokens["checker2"]).get_json()["id"] == first["id"]


# ----------------------------------------------------------------------------- 5. library and rating scale


def test_a_fact_check_url_can_be_added_only_once(api, session, tokens):
    fact_check = {"claim_reviewed": "The Riverside bridge was closed for 40 days in 2023.", "rating": "True",
                  "url": "https://checks.example/riverside-bridge", "publisher": "Checks Example",
                  "date_published": "2024-01-10"}
    response = api.post("/fact-checks", tokens["checker"], json=fact_check)
    assert response.status_code == 201 and set(response.get_json()) == {"id"}
    response = api.post("/fact-checks", tokens["checker2"], json={**fact_check, "rating": "False"})
    assert response.status_code == 409 and "already" in response.get_json()["error"]
    assert _count(session, FactCheck) == 1


def test_the_rating_scale_is_the_configured_one(api, app):
    response = api.get("/rating-scale")
    assert response.status_code == 200
    scale = parse_rating_scale(app.config["SETTINGS"].rating_scale)
    assert response.get_json() == [{"name": r.name, "value": r.value} for r in scale.ratings]
    assert response.get_json()[0] == {"name": "False", "value": 1}


def test_a_source_is_split_into_passages_that_slice_its_text(api, tokens):
    text = ("The Riverside bridge reopened on 12 March 2024 after repairs.\n\n"
            "Engineers replaced 14 steel cables that had cracked during the winter of 2022.")
    response = api.post("/sources", tokens["checker"],
                        json={"title": "City engineering report", "text": text, "url": "https://city.example/r"})
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int) and len(body["passages"]) == 2
    for passage in body["passages"]:
        assert text[passage["start"]:passage["end"]] == passage["text"]


# ----------------------------------------------------------------------------- 6. no restart needed


def test_library_items_added_through_the_api_match_the_next_article(api, app, tokens):
    checker = tokens["checker"]
    story = f"Bridge closure angers commuters\n\n{BRIDGE_CLAIM}\n"
    before = _post_article(api, checker, story)
    [claim] = before["claims"]
    assert claim["matches"] == []

    fact_check_id = api.post("/fact-checks", checker, json={
        "claim_reviewed": "The Riverside bridge was shut for 40 days in 2023 after its cables cracked.",
        "rating": "True", "url": "https://checks.example/riverside-bridge"}).get_json()["id"]
    source = api.post("/sources", checker, json={
        "title": "Easthaven council minutes",
        "text": "The council confirmed that the Riverside bridge stayed closed for 40 days in 2023 "
                "while cracked steel cables were replaced."}).get_json()

    after = _post_article(api, checker, story, confirm_duplicate=True)  # the same story again, knowingly
    [claim] = after["claims"]
    kinds = {(m["kind"], m["id"]) for m in claim["matches"]}
    assert ("fact_check", fact_check_id) in kinds
    assert ("passage", source["passages"][0]["id"]) in kinds
    threshold = app.config["SETTINGS"].fact_check_threshold
    assert all(m["score"] >= threshold for m in claim["matches"] if m["kind"] == "fact_check")


# ----------------------------------------------------------------------------- 7. corrections


def test_a_correction_publishes_a_new_verdict_version(api, app, session, tokens):
    checker, editor = tokens["checker"], tokens["editor"]
    claim_id = _post_article(api, checker, f"Bridge closure\n\n{BRIDGE_CLAIM}\n")["claims"][0]["id"]
    published = _publish(api, claim_id, checker, editor, rating="False")
    assert published["verdict"]["version"] == 1 and published["verdict"]["published"] is True
    [first] = api.get("/claim-reviews").get_json()["claim_reviews"]
    assert first["reviewRating"]["alternateName"] == "False"

    # The checker may no longer change a published verdict; the editor drafts version 2.
    new_verdict = {"rating": "Mostly true", "summary": "The closure lasted 38 days, not 40.",
                   "explanation": "The city's records give 38 days."}
    assert api.put(f"/claims/{claim_id}/verdict", checker, json=new_verdict).status_code == 403
    response = api.put(f"/claims/{claim_id}/verdict", editor, json=new_verdict)
    assert response.status_code == 200
    assert response.get_json()["version"] == 2 and response.get_json()["published"] is False
    claim = api.get(f"/claims/{claim_id}", editor).get_json()
    assert claim["state"] == "published" and claim["verdict"]["version"] == 2
    # Until the correction is published, the public record keeps version 1.
    assert api.get("/claim-reviews").get_json()["claim_reviews"] == [first]

    response = api.act(claim_id, editor, "correct")
    assert response.status_code == 422 and response.get_json()["errors"] == {"comment": "required"}
    response = api.act(claim_id, editor, "correct", comment="The closure lasted 38 days.")
    assert response.status_code == 200
    corrected = response.get_json()
    assert corrected["state"] == "published"
    assert corrected["verdict"].pop("updated_at")
    # Revisions: the first draft (1), its publication (2), the correction draft (3), its publication (4).
    assert corrected["verdict"] == {**new_verdict, "version": 2, "revision": 4, "rating_value": 4, "published": True}
    assert corrected["public_url"] == published["public_url"]
    assert session.exec(select(func.count()).select_from(Verdict).where(Verdict.claim_id == claim_id)).one() == 2

    [second] = api.get("/claim-reviews").get_json()["claim_reviews"]
    assert second["reviewRating"]["alternateName"] == "Mostly true"
    assert second["reviewRating"]["ratingValue"] == 4
    assert second["headline"] == new_verdict["summary"]
    assert second["datePublished"] == first["datePublished"]
    assert datetime.fromisoformat(second["dateModified"]) > datetime.fromisoformat(first["dateModified"])
    assert second["url"] == first["url"]

    # Nothing to correct any more.
    assert api.act(claim_id, editor, "correct", comment="Again.").status_code == 409


def test_claim_reviews_are_paged(api, tokens):
    checker, editor = tokens["checker"], tokens["editor"]
    ids = [c["id"] for c in _post_article(api, checker, HARBOUR_ARTICLE)["claims"]]
    for claim_id in ids:
        _publish(api, claim_id, checker, editor, rating="True")
    everything = api.get("/claim-reviews").get_json()["claim_reviews"]
    assert len(everything) == 2
    assert api.get("/claim-reviews?limit=1").get_json()["claim_reviews"] == everything[:1]
    assert api.get("/claim-reviews?limit=1&offset=1").get_json()["claim_reviews"] == everything[1:]
    assert api.get("/claim-reviews?offset=2").get_json()["claim_reviews"] == []


def test_a_claim_marked_duplicate_inherits_the_earlier_verdict(api, tokens):
    checker, editor = tokens["checker"], tokens["editor"]
    fact_check_id = api.post("/fact-checks", checker, json={
        "claim_reviewed": "The Riverside bridge was shut for 40 days in 2023 after its cables cracked.",
        "rating": "True", "summary": "City records confirm the closure.",
        "url": "https://checks.example/riverside-bridge", "publisher": "Checks Example"}).get_json()["id"]
    [claim] = _post_article(api, checker, f"Bridge closure\n\n{BRIDGE_CLAIM}\n")["claims"]
    assert api.post("/queue/take", checker).get_json()["id"] == claim["id"]

    response = api.act(claim["id"], editor, "mark_duplicate")
    assert response.status_code == 422 and "duplicate_of" in response.get_json()["errors"]
    response = api.act(claim["id"], editor, "mark_duplicate", duplicate_of_fact_check_id=fact_check_id,
                       duplicate_of_claim_id=claim["id"])
    assert response.status_code == 422
    response = api.act(claim["id"], editor, "mark_duplicate", duplicate_of_fact_check_id=fact_check_id)
    assert response.status_code == 200
    duplicate = response.get_json()
    assert duplicate["state"] == "duplicate" and duplicate["assignee"] is None
    assert duplicate["duplicate_of"] == {"kind": "fact_check", "id": fact_check_id, "rating": "True",
                                         "url": "https://checks.example/riverside-bridge",
                                         "claim_reviewed": "The Riverside bridge was shut for 40 days in 2023 "
                                                           "after its cables cracked."}
    assert duplicate["inherited_verdict"] == {"rating": "True", "summary": "City records confirm the closure.",
                                              "url": "https://checks.example/riverside-bridge",
                                              "source": "Checks Example"}
    # A closed claim cannot be worked on; only an editor reopens it.
    response = api.post(f"/claims/{claim['id']}/evidence", checker,
                        json={"url": "https://example.org/x", "quote": "x", "stance": "context"})
    assert response.status_code == 409
    assert api.act(claim["id"], checker, "reopen").status_code == 403
    reopened = api.act(claim["id"], editor, "reopen").get_json()
    assert reopened["state"] == "new" and reopened["duplicate_of"] is None and reopened["inherited_verdict"] is None
