"""The claim page shows a proposed standalone wording as marked changes, and
a checker settles it (accept, or keep the sentence as written) with CSRF and
the role checks of factcheck.domain.permissions/workflow."""
from sqlmodel import select

from factcheck.models import Claim, Event

ARTICLE = ("Police arrested 12 people on Sunday after clashes that injured 40 officers, "
           "the city's police chief Maria Gomez said.\n")


def _ingest(browser):
    response = browser.post("/articles/new", {"title": "Clashes", "text": ARTICLE, "published_at": "2026-11-23"})
    assert response.status_code == 303


def _claim(app) -> Claim:
    with app.app_context():
        from factcheck.db import get_session

        session = get_session()
        claim = session.exec(select(Claim).where(Claim.sentence.contains("arrested 12 people"))).one()
        session.expunge(claim)
        return claim


def test_a_proposed_wording_is_marked_and_accepted_by_an_editor(app, users, browser_factory):
    checker = browser_factory()
    checker.login("checker@example.org")
    _ingest(checker)
    claim = _claim(app)
    assert claim.wording_status == "proposed"
    (rewrite,) = [r for r in claim.rewrites if r["kind"] == "date"]
    assert (rewrite["original"], rewrite["replacement"]) == ("Sunday", "Sunday, 22 November 2026,")
    assert claim.standalone_text.startswith("Police arrested 12 people on Sunday, 22 November 2026, after")
    assert claim.claimant == "Maria Gomez"

    page = checker.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Proposed wording — not yet reviewed" in page
    assert "<del>Sunday</del><ins>Sunday, 22 November 2026,</ins>" in page

    # No CSRF token: refused, nothing changes.
    response = checker.client.post(f"/claims/{claim.id}/wording", data={"decision": "accept"})
    assert response.status_code == 400
    # A checker who has not taken the claim may not settle its wording (the workflow refuses).
    response = checker.post(f"/claims/{claim.id}/wording", {"decision": "accept"}, htmx=True)
    assert response.status_code == 409
    assert _claim(app).wording_status == "proposed"

    editor = browser_factory()
    editor.login("editor@example.org")
    assert editor.post(f"/claims/{claim.id}/wording", {"decision": "maybe"}, htmx=True).status_code == 422
    response = editor.post(f"/claims/{claim.id}/wording", {"decision": "accept"}, htmx=True)
    assert response.status_code == 200
    assert "Wording changes accepted" in response.get_data(as_text=True)
    after = _claim(app)
    assert (after.wording_status, after.standalone_text) == ("accepted", claim.standalone_text)
    with app.app_context():
        from factcheck.db import get_session

        actions = [e.action for e in get_session().exec(select(Event).where(Event.claim_id == claim.id)).all()]
    assert actions.count("claim_edited") == 1  # the review, recorded as an edit of the claim


def test_keeping_the_sentence_as_written_drops_the_rewrites(app, users, browser_factory):
    editor = browser_factory()
    editor.login("editor@example.org")
    _ingest(editor)
    claim = _claim(app)
    response = editor.post(f"/claims/{claim.id}/wording", {"decision": "as_written"})
    assert response.status_code == 303
    after = _claim(app)
    assert (after.wording_status, after.standalone_text) == ("as_written", claim.sentence)


def test_editing_the_wording_marks_it_edited(app, users, browser_factory):
    editor = browser_factory()
    editor.login("editor@example.org")
    _ingest(editor)
    claim = _claim(app)
    response = editor.post(f"/claims/{claim.id}/edit", {"standalone_text": "Police arrested 12 people on 22 November 2026."},
                           htmx=True)
    assert response.status_code == 200
    assert _claim(app).wording_status == "edited"
