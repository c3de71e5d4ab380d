"""Optimistic concurrency: two people edit the same record; the second write is refused, nothing is lost.

Every editable record (verdict, claim wording, evidence, match decision, matching thresholds) carries a
version: the API gives it as a ``version`` field (``revision`` for verdicts) and an ``ETag``, writes send
it back as ``If-Match`` (or the form's hidden field), and a write naming an older version gets a 409 saying
who changed the record and when, with what it holds now. Verdicts keep the full text of every save.
"""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from sqlmodel import select

from factcheck.models import Claim, Event, Evidence, FactCheck, Match, Verdict, VerdictRevision
from factcheck.services import claims as claim_service
from factcheck.services import library as library_service
from factcheck.services import match_settings as settings_service
from factcheck.services.users import create_token
from tests.conftest import Browser
from tests.test_api import HARBOUR_ARTICLE, Api, _post_article

FIRST = {"rating": "False", "summary": "Port records show 3.9 million containers, not 4.2 million.",
         "explanation": "The authority's own annual report lists 3.9 million."}
SECOND = {"rating": "Mostly false", "summary": "The 4.2 million figure counts empty containers twice.",
          "explanation": "Editor two's reading of the same report."}


@pytest.fixture
def api(app):
    return Api(app)


@pytest.fixture
def tokens(session, users):
    return {name: create_token(session, user=user, name="tests") for name, user in users.items()}


@pytest.fixture
def claim_in_review(api, tokens):
    """A claim a checker took, drafted a verdict for and submitted: both editors may now edit the verdict."""
    article = _post_article(api, tokens["checker"], HARBOUR_ARTICLE)
    claim_id = article["claims"][0]["id"]
    assert api.act(claim_id, tokens["checker"], "take").status_code == 200
    response = api.put(f"/claims/{claim_id}/verdict", tokens["checker"], json=FIRST)
    assert response.status_code == 200
    # Submitting needs evidence (safe review): the checker links the port authority's report.
    evidence = api.post(f"/claims/{claim_id}/evidence", tokens["checker"],
                        json={"stance": "refutes", "url": "https://port.example/annual-report",
                              "quote": "3.9 million containers were handled."})
    assert evidence.status_code == 201, evidence.get_json()
    assert api.act(claim_id, tokens["checker"], "submit").status_code == 200
    return claim_id


def _verdict_rows(session, claim_id):
    session.expire_all()
    return session.exec(select(Verdict).where(Verdict.claim_id == claim_id)).all()


# ------------------------------------------------------------------------------------------------ verdict (API)


def test_two_editors_edit_one_verdict_the_second_gets_409_and_nothing_is_overwritten(api, tokens, session,
                                                                                     claim_in_review):
    claim_id = claim_in_review
    # Both editors open the verdict: same revision, given as a field and as the ETag.
    first_look = api.get(f"/claims/{claim_id}/verdict", tokens["editor"])
    second_look = api.get(f"/claims/{claim_id}/verdict", tokens["editor2"])
    assert first_look.status_code == second_look.status_code == 200
    etag = first_look.headers["ETag"]
    assert etag == second_look.headers["ETag"] == f'"{first_look.get_json()["revision"]}"'
    assert first_look.get_json()["verdict"]["summary"] == FIRST["summary"]

    # Editor one saves a change.
    edit_one = {**FIRST, "summary": "Editor one: the port handled 3.9 million containers."}
    response = api.put(f"/claims/{claim_id}/verdict", tokens["editor"], json=edit_one, headers={"If-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag

    # Editor two saves from the page they loaded before: refused, with who and when, and the text saved now.
    response = api.put(f"/claims/{claim_id}/verdict", tokens["editor2"], json=SECOND, headers={"If-Match": etag})
    assert response.status_code == 409
    body = response.get_json()
    assert body["status"] == 409 and body["kind"] == "verdict"
    assert body["changed_by"] == "editor@example.org"
    assert datetime.fromisoformat(body["changed_at"]).year >= 2026
    assert body["current"]["summary"] == edit_one["summary"]
    assert body["current_version"] == body["current"]["revision"] and f'"{body["current_version"]}"' != etag
    assert "editor@example.org" in body["error"] and "Nothing was saved" in body["error"]
    assert response.headers["ETag"] == f'"{body["current_version"]}"'

    # Nothing was overwritten: one draft row, holding editor one's text.
    [draft] = _verdict_rows(session, claim_id)
    assert draft.summary == edit_one["summary"] and draft.rating == "False"

    # Editor two merges and saves against the current revision: accepted.
    merged = {**SECOND, "summary": edit_one["summary"] + " Empty containers were counted twice."}
    response = api.put(f"/claims/{claim_id}/verdict", tokens["editor2"], json=merged,
                       headers={"If-Match": f'"{body["current_version"]}"'})
    assert response.status_code == 200 and response.get_json()["summary"] == merged["summary"]

    # The history keeps the full text of every save: the checker's, editor one's and the merge.
    history = api.get(f"/claims/{claim_id}/verdict", tokens["checker"]).get_json()["revisions"]
    assert [(r["summary"], r["author"]) for r in history] == [
        (FIRST["summary"], "checker@example.org"), (edit_one["summary"], "editor@example.org"),
        (merged["summary"], "editor2@example.org")]
    assert [r["revision"] for r in history] == [1, 2, 3]
    assert all(r["explanation"] and r["rating"] and r["saved_at"] for r in history)
    assert history[0]["explanation"] == FIRST["explanation"]
    assert SECOND["summary"] not in [r["summary"] for r in history]  # the refused write left no trace


def test_the_first_verdict_is_created_once_when_two_write_it_from_an_empty_form(api, tokens, session):
    article = _post_article(api, tokens["checker"], HARBOUR_ARTICLE)
    claim_id = article["claims"][0]["id"]
    assert api.act(claim_id, tokens["checker"], "take").status_code == 200
    assert api.put(f"/claims/{claim_id}/verdict", tokens["editor"], json=FIRST,
                   headers={"If-Match": '"0"'}).status_code == 200
    response = api.put(f"/claims/{claim_id}/verdict", tokens["checker"], json=SECOND, headers={"If-Match": '"0"'})
    assert response.status_code == 409 and response.get_json()["current"]["summary"] == FIRST["summary"]
    assert [v.summary for v in _verdict_rows(session, claim_id)] == [FIRST["summary"]]


def test_publishing_raises_the_revision_so_an_edit_of_the_draft_does_not_become_a_correction(api, tokens, session,
                                                                                            claim_in_review):
    claim_id = claim_in_review
    etag = api.get(f"/claims/{claim_id}/verdict", tokens["editor2"]).headers["ETag"]
    assert api.act(claim_id, tokens["editor"], "approve").status_code == 200
    assert api.act(claim_id, tokens["editor"], "publish").status_code == 200
    response = api.put(f"/claims/{claim_id}/verdict", tokens["editor2"], json=SECOND, headers={"If-Match": etag})
    assert response.status_code == 409
    assert response.get_json()["changed_by"] == "editor@example.org"
    assert response.get_json()["current"]["published"] is True
    assert len(_verdict_rows(session, claim_id)) == 1  # no correction draft was made


def test_a_write_without_if_match_still_works_and_a_malformed_one_is_refused(api, tokens, claim_in_review):
    claim_id = claim_in_review
    response = api.put(f"/claims/{claim_id}/verdict", tokens["editor"], json=SECOND)
    assert response.status_code == 200
    response = api.put(f"/claims/{claim_id}/verdict", tokens["editor"], json=FIRST, headers={"If-Match": "latest"})
    assert response.status_code == 422 and "If-Match" in response.get_json()["errors"]
    # The version may also come in the body.
    revision = response_revision = api.get(f"/claims/{claim_id}/verdict", tokens["editor"]).get_json()["revision"]
    response = api.put(f"/claims/{claim_id}/verdict", tokens["editor"], json={**FIRST, "revision": revision - 1})
    assert response.status_code == 409
    response = api.put(f"/claims/{claim_id}/verdict", tokens["editor"], json={**FIRST, "revision": response_revision})
    assert response.status_code == 200


# ------------------------------------------------------------------------------ claim wording, evidence (API)


def test_two_edits_of_a_claims_wording_the_second_gets_409(api, tokens, session, claim_in_review):
    claim_id = claim_in_review
    response = api.get(f"/claims/{claim_id}", tokens["editor"])
    etag, before = response.headers["ETag"], response.get_json()
    assert etag == f'"{before["version"]}"'
    wording = "The port of Easthaven handled 4.2 million shipping containers in 2023."
    response = api.call("PATCH", f"/claims/{claim_id}", tokens["editor"], json={"standalone_text": wording},
                        headers={"If-Match": etag})
    assert response.status_code == 200 and response.get_json()["standalone_text"] == wording
    assert response.headers["ETag"] == f'"{before["version"] + 1}"'

    response = api.call("PATCH", f"/claims/{claim_id}", tokens["editor2"],
                        json={"standalone_text": "Easthaven's port moved 4.2 million containers.",
                              "claimant": "Port authority"}, headers={"If-Match": etag})
    assert response.status_code == 409
    body = response.get_json()
    assert body["kind"] == "claim" and body["changed_by"] == "editor@example.org"
    assert body["current"]["standalone_text"] == wording
    session.expire_all()
    claim = session.get(Claim, claim_id)
    assert claim.standalone_text == wording and claim.claimant != "Port authority"


def test_two_edits_of_one_piece_of_evidence_the_second_gets_409_and_a_stale_removal_too(api, tokens, session,
                                                                                       claim_in_review):
    claim_id = claim_in_review
    response = api.post(f"/claims/{claim_id}/evidence", tokens["editor"], json={
        "url": "https://easthaven-port.example/annual-report", "quote": "3.9 million containers",
        "stance": "refutes"})
    assert response.status_code == 201 and response.headers["ETag"] == '"1"'
    evidence = response.get_json()
    url = f"/claims/{claim_id}/evidence/{evidence['id']}"

    response = api.put(url, tokens["editor"], json={"note": "Table 2, page 14."}, headers={"If-Match": '"1"'})
    assert response.status_code == 200 and response.get_json()["version"] == 2
    response = api.put(url, tokens["editor2"], json={"stance": "supports", "note": "Wrong table."},
                       headers={"If-Match": '"1"'})
    assert response.status_code == 409
    body = response.get_json()
    assert body["kind"] == "evidence" and body["changed_by"] == "editor@example.org"
    assert body["current"]["note"] == "Table 2, page 14." and body["current"]["stance"] == "refutes"
    # Removing it on the strength of the old version is refused too; with the current one it works.
    assert api.call("DELETE", url, tokens["editor2"], headers={"If-Match": '"1"'}).status_code == 409
    session.expire_all()
    row = session.get(Evidence, evidence["id"])
    assert (row.stance, row.note, row.version) == ("refutes", "Table 2, page 14.", 2)
    assert api.call("DELETE", url, tokens["editor2"], headers={"If-Match": '"2"'}).status_code == 204
    session.expire_all()
    assert session.get(Evidence, evidence["id"]) is None


# ------------------------------------------------------------------------------------- match decision (API)


@pytest.fixture
def suggested_match(session, settings, users, claim_in_review):
    fact_check = library_service.add_fact_check(session, settings=settings, data={
        "claim_reviewed": "Easthaven's port handled 4.2 million containers in 2023.", "rating": "False",
        "url": "https://factcheck.example/easthaven-port"})
    match = Match(claim_id=claim_in_review, kind="fact_check", fact_check_id=fact_check.id, score=0.6,
                  method="hybrid-v1")
    session.add(match)
    session.commit()
    return match


def test_two_decisions_on_one_match_the_second_gets_409(api, tokens, session, suggested_match):
    url = f"/claims/{suggested_match.claim_id}/matches/{suggested_match.id}"
    response = api.post(url, tokens["editor"], json={"status": "confirmed"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200 and response.get_json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    response = api.post(url, tokens["editor2"], json={"status": "rejected"}, headers={"If-Match": '"1"'})
    assert response.status_code == 409
    body = response.get_json()
    assert body["kind"] == "match" and body["changed_by"] == "editor@example.org"
    assert body["current"]["status"] == "confirmed"
    session.expire_all()
    assert session.get(Match, suggested_match.id).status == "confirmed"


# ------------------------------------------------------------------------------------------------ web forms


def _browser(app, email):
    browser = Browser(app)
    assert browser.login(email).status_code == 303
    return browser


def _hidden(page: str, name: str, action: str) -> str:
    """The value of hidden field ``name`` in the form posting to ``action``."""
    form = re.search(r'<form[^>]*action="' + re.escape(action) + r'"(.*?)</form>', page, re.S)
    assert form, f"no form posting to {action}"
    return re.search(r'name="' + name + r'" value="([^"]*)"', form.group(1)).group(1)


@pytest.mark.parametrize("htmx", [True, False])
def test_verdict_form_a_stale_save_shows_both_versions_and_keeps_what_was_typed(app, users, session, api, tokens,
                                                                               claim_in_review, htmx):
    claim_id = claim_in_review
    one, two = _browser(app, "editor@example.org"), _browser(app, "editor2@example.org")
    action = f"/claims/{claim_id}/verdict"
    revision_one = _hidden(one.get(f"/claims/{claim_id}").get_data(as_text=True), "revision", action)
    revision_two = _hidden(two.get(f"/claims/{claim_id}").get_data(as_text=True), "revision", action)
    assert revision_one == revision_two

    edit_one = {**FIRST, "summary": "Editor one's summary."}
    response = one.post(action, {**edit_one, "revision": revision_one}, htmx=htmx)
    assert response.status_code in (200, 303)

    typed = {**SECOND, "summary": "Editor two typed this <carefully> & at length."}
    response = two.post(action, {**typed, "revision": revision_two}, htmx=htmx)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    # Both versions, side by side: the typed one (escaped) and the saved one, with who saved it.
    assert "Your version (not saved)" in page and "Saved now" in page
    assert "Editor two typed this &lt;carefully&gt; &amp; at length." in page
    assert "Editor one&#39;s summary." in page or "Editor one's summary." in page
    assert "editor@example.org" in page
    # The form still holds what editor two typed, and now names the current revision.
    textarea = re.search(r'<textarea id="v-summary"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert textarea == "Editor two typed this &lt;carefully&gt; &amp; at length."
    assert int(_hidden(page, "revision", action)) == int(revision_one) + 1
    [draft] = _verdict_rows(session, claim_id)
    assert draft.summary == "Editor one's summary."

    # Saving the merged text now goes through, and the history shows every saved text.
    response = two.post(action, {**typed, "revision": _hidden(page, "revision", action)}, htmx=htmx)
    assert response.status_code in (200, 303)
    history = two.get(f"/claims/{claim_id}/panels/history").get_data(as_text=True)
    for text in (FIRST["summary"], "Editor one&#39;s summary.", "Editor two typed this &lt;carefully&gt;"):
        assert text in history
    session.expire_all()
    assert [r.summary for r in session.exec(select(VerdictRevision).where(
        VerdictRevision.claim_id == claim_id).order_by(VerdictRevision.revision))] == [
        FIRST["summary"], "Editor one's summary.", typed["summary"]]


def test_wording_form_a_stale_edit_is_refused_and_shows_both(app, users, session, claim_in_review):
    claim_id = claim_in_review
    one, two = _browser(app, "editor@example.org"), _browser(app, "editor2@example.org")
    action = f"/claims/{claim_id}/edit"
    version = _hidden(two.get(f"/claims/{claim_id}").get_data(as_text=True), "version", action)
    assert one.post(action, {"standalone_text": "Wording by editor one, saved first.", "version": version},
                    htmx=True).status_code == 200
    response = two.post(action, {"standalone_text": "Wording by editor two, typed meanwhile.",
                                 "claimant": "Harbour master", "version": version}, htmx=True)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Wording by editor one, saved first." in page and "Wording by editor two, typed meanwhile." in page
    assert re.search(r'name="standalone_text"[^>]*>Wording by editor two, typed meanwhile.</textarea>', page)
    session.expire_all()
    assert session.get(Claim, claim_id).standalone_text == "Wording by editor one, saved first."


def test_evidence_and_match_forms_carry_versions_and_refuse_stale_writes(app, users, session, api, tokens,
                                                                        suggested_match):
    claim_id = suggested_match.claim_id
    evidence = api.post(f"/claims/{claim_id}/evidence", tokens["editor"], json={
        "url": "https://easthaven-port.example/annual-report", "quote": "3.9 million containers",
        "stance": "refutes"}).get_json()
    one, two = _browser(app, "editor@example.org"), _browser(app, "editor2@example.org")
    page = two.get(f"/claims/{claim_id}").get_data(as_text=True)
    edit = f"/claims/{claim_id}/evidence/{evidence['id']}/edit"
    decide = f"/claims/{claim_id}/matches/{suggested_match.id}"
    assert _hidden(page, "version", edit) == "1"
    assert _hidden(page, "version", decide) == "1"

    assert one.post(edit, {"quote": "3.9 million TEU", "stance": "refutes", "version": "1"},
                    htmx=True).status_code == 200
    response = two.post(edit, {"quote": "4.2 million", "stance": "supports", "note": "typed by two",
                               "version": "1"}, htmx=True)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "3.9 million TEU" in text and "typed by two" in text
    session.expire_all()
    assert session.get(Evidence, evidence["id"]).quote == "3.9 million TEU"

    assert one.post(decide, {"status": "confirmed", "version": "1"}, htmx=True).status_code == 200
    response = two.post(decide, {"status": "rejected", "version": "1"}, htmx=True)
    assert response.status_code == 409
    assert "Saved now" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Match, suggested_match.id).status == "confirmed"


def test_matching_thresholds_form_a_stale_save_is_refused(app, users, session, settings):
    one, two = _browser(app, "admin@example.org"), Browser(app)
    from tests.conftest import make_user
    make_user(session, "admin2@example.org", "admin")
    assert two.login("admin2@example.org").status_code == 303
    action = "/admin/matching/fact_check"
    version = _hidden(two.get("/admin/matching").get_data(as_text=True), "version", action)
    assert version == "0"  # never saved: the defaults
    form = {"suggest_threshold": "0.55", "same_claim_threshold": "0.85", "auto_link_max_age_days": "365"}
    assert one.post(action, {**form, "version": version}).status_code == 303
    response = two.post(action, {"suggest_threshold": "0.4", "same_claim_threshold": "0.9",
                                 "auto_link_max_age_days": "100", "version": version})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "admin@example.org" in page and "Your version (not saved)" in page
    assert 'value="0.4"' in page  # what admin two typed is still in the form
    session.expire_all()
    row = settings_service.library_settings(session, settings=settings, library="fact_check")
    assert (row.suggest_threshold, row.version) == (0.55, 1)


def test_every_verdict_save_is_logged_with_its_revision(api, tokens, session, claim_in_review):
    api.put(f"/claims/{claim_in_review}/verdict", tokens["editor"], json=SECOND)
    session.expire_all()
    saves = session.exec(select(Event).where(Event.claim_id == claim_in_review,
                                             Event.action == "verdict_saved").order_by(Event.id)).all()
    assert [json.loads(e.detail)["revision"] for e in saves] == [1, 2]
    texts = claim_service.verdict_text_of_events(session, claim_in_review)
    assert [texts[e.id].summary for e in saves] == [FIRST["summary"], SECOND["summary"]]
    assert session.exec(select(FactCheck)).all() == []  # nothing else was touched


def test_an_assignment_that_fills_in_the_due_date_makes_an_older_wording_form_stale(api, tokens, session, settings,
                                                                                    users):
    from factcheck.services import desk

    article = _post_article(api, tokens["checker"], HARBOUR_ARTICLE)
    claim_id = article["claims"][0]["id"]
    version = api.get(f"/claims/{claim_id}", tokens["editor2"]).get_json()["version"]
    desk.assign(session, settings=settings, claim_id=claim_id, assignee_id=users["checker"].id, user=users["editor"],
                note="")
    session.expire_all()
    due = session.get(Claim, claim_id).due_date
    assert due is not None
    # Editor two's form still showed no due date: saving it would have erased the one just set.
    response = api.call("PATCH", f"/claims/{claim_id}", tokens["editor2"], json={"due_date": None},
                        headers={"If-Match": f'"{version}"'})
    assert response.status_code == 409 and response.get_json()["current"]["due_date"] == due.isoformat()
    assert response.get_json()["changed_by"] == "editor@example.org"  # the assignment that set it
    session.expire_all()
    assert session.get(Claim, claim_id).due_date == due


def test_bulk_scheduling_raises_the_claims_version(api, tokens, session, settings, users):
    from factcheck.services import desk

    article = _post_article(api, tokens["checker"], HARBOUR_ARTICLE)
    claim_id = article["claims"][0]["id"]
    version = api.get(f"/claims/{claim_id}", tokens["editor2"]).get_json()["version"]
    report = desk.bulk(session, settings=settings, user=users["editor"], claim_ids=[claim_id], action="priority",
                       params={"priority": "3"})
    assert report.changed == [claim_id]
    response = api.call("PATCH", f"/claims/{claim_id}", tokens["editor2"], json={"priority": 1},
                        headers={"If-Match": f'"{version}"'})
    assert response.status_code == 409 and response.get_json()["current"]["priority"] == 3
    session.expire_all()
    assert session.get(Claim, claim_id).priority == 3
