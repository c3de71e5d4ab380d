"""The reviewer sees how the evidence changed since the previous submission (rebuilt from the event log)."""
from __future__ import annotations

import re

from factcheck.models import Claim
from factcheck.services import claims as claim_service
from factcheck.services import review
from tests.conftest import Browser

TEXT = "The port handled 4.2 million containers."


def _evidence(session, claim_id, user, url, stance, quote):
    return claim_service.add_evidence(session, claim_id=claim_id, user=user,
                                      data={"url": url, "quote": quote, "stance": stance})


def _submit(session, settings, claim_id, user, summary):
    claim_service.save_verdict(session, settings=settings, claim_id=claim_id, user=user,
                               data={"rating": "False", "summary": summary, "explanation": ""})
    claim_service.transition(session, claim_id=claim_id, action="submit", user=user, settings=settings)


def test_evidence_added_removed_and_turned_round_since_the_previous_submission(app, session, settings, users):
    checker, editor = users["checker"], users["editor"]
    claim = Claim(sentence=TEXT, standalone_text=TEXT, span_end=len(TEXT), state="in_progress",
                  assignee_id=checker.id)
    session.add(claim)
    session.commit()
    kept = _evidence(session, claim.id, checker, "https://stats.example/port", "supports", "4.2 million TEU in 2023.")
    dropped = _evidence(session, claim.id, checker, "https://blog.example/port", "context", "A blog says so.")
    edited = _evidence(session, claim.id, checker, "https://port.example/annual", "context", "Annual report.")
    _submit(session, settings, claim.id, checker, "The figure is wrong.")

    # The first submission has nothing to compare with.
    first = review.submission(session, claim.id)
    assert first.resubmitted is False and first.evidence_changes == []

    claim_service.transition(session, claim_id=claim.id, action="send_back", user=editor,
                             comment="Find the port's own figure.", settings=settings)
    claim_service.edit_evidence(session, claim_id=claim.id, evidence_id=kept.id, user=checker,
                                data={"stance": "refutes"}, expected_version=1)
    claim_service.edit_evidence(session, claim_id=claim.id, evidence_id=edited.id, user=checker,
                                data={"quote": "Annual report, p. 14: 3.9 million TEU."}, expected_version=1)
    claim_service.remove_evidence(session, claim_id=claim.id, evidence_id=dropped.id, user=checker,
                                  expected_version=1)
    added = _evidence(session, claim.id, checker, "https://port.example/press", "refutes", "3.9 million TEU.")
    # Added and removed again between the submissions: no change to show.
    passing = _evidence(session, claim.id, checker, "https://x.example/draft", "supports", "Draft.")
    claim_service.remove_evidence(session, claim_id=claim.id, evidence_id=passing.id, user=checker,
                                  expected_version=1)
    _submit(session, settings, claim.id, checker, "The port handled 3.9 million containers.")

    second = review.submission(session, claim.id)
    assert second.resubmitted is True
    changes = {(c.evidence_id, c.kind): c for c in second.evidence_changes}
    assert set(changes) == {(kept.id, "stance"), (edited.id, "edited"), (dropped.id, "removed"),
                            (added.id, "added")}
    assert (changes[kept.id, "stance"].before_stance, changes[kept.id, "stance"].stance) == ("supports", "refutes")
    assert changes[edited.id, "edited"].fields == ("quote",)
    assert changes[dropped.id, "removed"].url == "https://blog.example/port"
    assert changes[dropped.id, "removed"].quote == "A blog says so."
    assert changes[added.id, "added"].stance == "refutes"

    # The reviewer's view on the claim page.
    browser = Browser(app)
    browser.login("editor@example.org")
    page = browser.get(f"/claims/{claim.id}").get_data(as_text=True)
    section = page[page.index("Evidence since the previous submission"):]
    section = section[:section.index("</ul>")]
    assert re.search(r"stance changed</span>\s*<del>supports</del> → <ins>refutes</ins>", section)
    assert "https://blog.example/port" in section and "change-removed" in section
    assert "https://port.example/press" in section and "change-added" in section
    assert "(quote)" in section
    assert "https://x.example/draft" not in section

    # A third submission with no evidence change says so.
    claim_service.transition(session, claim_id=claim.id, action="send_back", user=editor,
                             comment="Tighten the summary.", settings=settings)
    _submit(session, settings, claim.id, checker, "The port handled 3.9 million containers in 2023.")
    assert review.submission(session, claim.id).evidence_changes == []
    page = browser.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "No evidence was added, removed or changed since the previous submission." in page
