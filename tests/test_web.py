"""The web UI through the test client: auth, CSRF, roles, htmx fragments and the whole flow."""
from __future__ import annotations

import json
import re

from sqlmodel import func, select

from factcheck.models import Article, Claim, Event, Evidence, Verdict

ARTICLE = """Vaccine scare spreads online

By Sam Reporter

LONDON — A viral video shared on Sunday claimed that the MMR vaccine causes autism in young children.
Read more: Why measles is coming back
The video also said the Great Wall of China is visible from space with the naked eye.
According to the World Health Organization, measles killed about 107,500 people in 2023, most of them children under five.
Is the video convincing? Many viewers thought so.
"""


def test_pages_require_login(app):
    client = app.test_client()
    for path in ("/queue", "/articles/new", "/articles/", "/claims/1", "/library/fact-checks",
                 "/library/sources", "/library/search", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/auth/login" in response.headers["Location"]


def test_public_pages_need_no_login(app):
    client = app.test_client()
    assert client.get("/checks/").status_code == 200
    assert client.get("/checks/feed.atom").status_code == 200
    assert client.get("/checks/feed.json").get_json()["items"] == []
    assert client.get("/checks/999").status_code == 404


def test_login_wrong_password_and_logout(app, users, browser_factory):
    browser = browser_factory()
    response = browser.login("checker@example.org", "wrong password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    response = browser.login("checker@example.org")
    assert response.status_code == 303
    assert browser.get("/queue").status_code == 200
    assert browser.post("/auth/logout").status_code == 303
    assert browser.get("/queue").status_code == 302


def test_login_redirect_is_same_site_only(app, users, browser_factory):
    browser = browser_factory()
    token = browser.csrf_token()
    response = browser.client.post("/auth/login?next=//evil.example/x",
                                   data={"email": "checker@example.org", "password": "correct horse battery",
                                         "csrf_token": token})
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]


def test_csrf_is_required_for_forms_and_htmx(app, users, browser_factory):
    browser = browser_factory()
    # Even the login form needs the token.
    response = browser.client.post("/auth/login", data={"email": "checker@example.org",
                                                        "password": "correct horse battery"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    browser.login("checker@example.org")
    before = _count(app, Article)
    response = browser.client.post("/articles/new", data={"title": "x", "text": ARTICLE})
    assert response.status_code == 400
    response = browser.client.post("/articles/new", data={"title": "x", "text": ARTICLE},
                                   headers={"HX-Request": "true", "X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert _count(app, Article) == before


def test_role_denials(app, users, browser_factory):
    checker = browser_factory()
    checker.login("checker@example.org")
    assert checker.get("/admin/users").status_code == 403
    assert checker.post("/admin/users", {"email": "x@example.org", "password": "longenough", "role": "admin"}).status_code == 403
    editor = browser_factory()
    editor.login("editor@example.org")
    assert editor.get("/admin/users").status_code == 403
    admin = browser_factory()
    admin.login("admin@example.org")
    assert admin.get("/admin/users").status_code == 200
    response = admin.post("/admin/users", {"email": "new@example.org", "password": "longenough1", "role": "checker"})
    assert response.status_code == 303


def test_new_article_validation_keeps_input(app, users, browser_factory):
    browser = browser_factory()
    browser.login("checker@example.org")
    response = browser.post("/articles/new", {"title": "", "text": "Some text here.", "url": "javascript:alert(1)"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Some text here." in page  # the user's input is not lost
    assert "must be an http(s) URL" in page
    assert _count(app, Article) == 0


def test_article_page_highlights_claims_and_escapes_text(app, users, browser_factory):
    browser = browser_factory()
    browser.login("checker@example.org")
    text = ARTICLE + "\nOfficials said 3 <script>alert(1)</script> schools closed in 2024 because of the outbreak.\n"
    response = browser.post("/articles/new", {"title": "Outbreak", "text": text, "published_at": "2026-11-22"})
    assert response.status_code == 303
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    highlights = re.findall(r'class="claim-hl[^"]*" id="hl-(\d+)"\s+href="/claims/(\d+)"', page)
    assert highlights and all(a == b for a, b in highlights)
    with app.app_context():
        from factcheck.db import get_session

        session = get_session()
        article = session.exec(select(Article)).one()
        claims = session.exec(select(Claim).where(Claim.article_id == article.id)).all()
        assert article.text == text
        for claim in claims:
            assert article.text[claim.span_start:claim.span_end] == claim.sentence
        sentences = [c.sentence for c in claims]
        assert not any(s.startswith("Read more") for s in sentences)
        assert not any(s.endswith("?") for s in sentences)
        assert "By Sam Reporter" not in sentences


def test_whole_flow_checker_then_editor(demo_app, demo_browser_factory):
    from tests.conftest import make_user
    from factcheck.db import session_scope

    with session_scope(demo_app.extensions["factcheck.engine"]) as session:
        make_user(session, "checker@example.org", "checker")
        make_user(session, "editor@example.org", "editor")
    checker, editor = demo_browser_factory(), demo_browser_factory()
    checker.login("checker@example.org")
    editor.login("editor@example.org")

    response = checker.post("/articles/new", {"title": "Vaccine scare", "text": ARTICLE, "outlet": "Example News",
                                              "url": "https://news.example/vaccine-scare", "published_at": "2026-11-22"})
    assert response.status_code == 303
    # The claim repeating the MMR myth is matched to the earlier fact-check.
    claim = _claim_containing(demo_app, "MMR vaccine causes autism")
    page = checker.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Earlier fact-checks" in page
    # The calibrated probability with its plain words; a restated myth may even be linked automatically.
    fact_check_match = re.search(r'<li id="match-(\d+)" class="match status-(?:suggested|confirmed)">\s*'
                                 r'<span class="score[^>]*>(\d+)%</span>\s*<span class="match-label">[^<]+</span>'
                                 r'\s*<strong class="rating">([^<]+)</strong>\s*<a href="/library/fact-checks/(\d+)">([^<]+)</a>', page)
    assert fact_check_match, page
    assert "autism" in fact_check_match.group(5).lower()
    assert fact_check_match.group(3) == "False"

    # Take claims until we hold this one (priority makes it first).
    _set_priority(demo_app, claim.id, 3)
    response = checker.post("/queue/take")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/claims/{claim.id}")

    # Confirm the match (htmx fragment).
    match_id = fact_check_match.group(1)
    response = checker.post(f"/claims/{claim.id}/matches/{match_id}", {"status": "confirmed"}, htmx=True)
    assert response.status_code == 200
    assert f'id="match-{match_id}" class="match status-confirmed"' in response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "claimChanged"

    # Evidence from an external URL (htmx returns the evidence panel).
    response = checker.post(f"/claims/{claim.id}/evidence", {
        "url": "https://www.who.int/news-room/fact-sheets/detail/measles", "quote": "No link between MMR and autism.",
        "stance": "refutes", "note": "WHO fact sheet"}, htmx=True)
    assert response.status_code == 200
    assert 'id="claim-evidence"' in response.get_data(as_text=True)
    # Only workflow changes refresh the verdict panel, so evidence never wipes out a verdict being typed.
    assert response.headers["HX-Trigger"] == "claimChanged"
    bad = checker.post(f"/claims/{claim.id}/evidence", {"stance": "refutes"}, htmx=True)
    assert bad.status_code == 422
    assert bad.headers["HX-Retarget"] == "#flash"

    # A verdict, then submit.
    response = checker.post(f"/claims/{claim.id}/verdict", {"rating": "False", "summary": "Studies of millions of children found no link.",
                                                            "explanation": "Large cohort studies..."}, htmx=True)
    assert response.status_code == 200
    response = checker.post(f"/claims/{claim.id}/transitions", {"action": "submit"}, htmx=True)
    assert response.headers["HX-Trigger"] == "claimChanged, workflowChanged"
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'id="claim-{claim.id}-status" hx-swap-oob="true">In review' in body

    # The checker cannot approve their own work; the editor can.
    denied = checker.post(f"/claims/{claim.id}/transitions", {"action": "approve"})
    assert denied.status_code == 403
    assert editor.post(f"/claims/{claim.id}/transitions", {"action": "approve"}).status_code == 303
    # Publishing asks for confirmation: without it the request goes to the preview, and nothing is published.
    unconfirmed = editor.post(f"/claims/{claim.id}/transitions", {"action": "publish"})
    assert unconfirmed.status_code == 303 and unconfirmed.headers["Location"].endswith(f"/claims/{claim.id}/publish")
    assert demo_app.test_client().get(f"/checks/{claim.id}").status_code == 404
    htmx = editor.post(f"/claims/{claim.id}/transitions", {"action": "publish"}, htmx=True)
    assert htmx.headers["HX-Redirect"].endswith(f"/claims/{claim.id}/publish")
    preview = editor.get(f"/claims/{claim.id}/publish").get_data(as_text=True)
    assert "Yes, publish" in preview and '&#34;@type&#34;: &#34;ClaimReview&#34;' in preview and "verdict-badge" in preview
    assert checker.get(f"/claims/{claim.id}/publish").status_code == 403
    assert editor.post(f"/claims/{claim.id}/transitions", {"action": "publish", "confirmed": "1"}).status_code == 303
    assert editor.get(f"/claims/{claim.id}/publish").status_code == 409  # published: nothing to confirm

    # The public page carries the ClaimReview.
    public = demo_app.test_client().get(f"/checks/{claim.id}")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(scripts) == 1
    review = json.loads(scripts[0])
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == claim.standalone_text
    assert review["reviewRating"] == {"@type": "Rating", "ratingValue": 1, "bestRating": 5, "worstRating": 1,
                                      "alternateName": "False"}
    assert review["url"].endswith(f"/checks/{claim.id}")
    assert review["author"]["@type"] == "Organization" and review["author"]["name"]
    assert review["itemReviewed"]["appearance"]["url"] == "https://news.example/vaccine-scare"
    assert review["itemReviewed"]["datePublished"] == "2026-11-22"
    assert review["datePublished"] and review["dateModified"]
    assert "https://www.who.int/news-room/fact-sheets/detail/measles" in html

    feed = demo_app.test_client().get("/checks/feed.json").get_json()
    assert feed["items"][0]["_claim_review"]["claimReviewed"] == claim.standalone_text
    atom = demo_app.test_client().get("/checks/feed.atom").get_data(as_text=True)
    assert f"/checks/{claim.id}" in atom

    with session_scope(demo_app.extensions["factcheck.engine"]) as session:
        actions = [e.action for e in session.exec(select(Event).where(Event.claim_id == claim.id).order_by(Event.id))]
        assert actions == ["created", "take", "match_confirmed", "evidence_added", "verdict_saved", "submit", "approve",
                           "publish", "own_check_added"]
        assert session.exec(select(func.count(Evidence.id)).where(Evidence.claim_id == claim.id)).one() == 1
        assert session.exec(select(Verdict).where(Verdict.claim_id == claim.id)).one().published_at is not None


def test_queue_live_search_returns_rows_fragment(app, users, browser_factory):
    browser = browser_factory()
    browser.login("checker@example.org")
    browser.post("/articles/new", {"title": "Outbreak", "text": ARTICLE})
    fragment = browser.get("/queue?q=Great+Wall", htmx=True)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Great Wall" in body and "MMR" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    page = browser.get("/queue?q=Great+Wall").get_data(as_text=True)
    assert "<html" in page


def test_take_next_with_empty_queue_says_so(app, users, browser_factory):
    browser = browser_factory()
    browser.login("checker@example.org")
    response = browser.post("/queue/take", follow_redirects=True)
    assert "The queue is empty" in response.get_data(as_text=True)


def test_unknown_claim_is_404_not_500(app, users, browser_factory):
    browser = browser_factory()
    browser.login("checker@example.org")
    assert browser.get("/claims/12345").status_code == 404
    assert browser.post("/claims/12345/transitions", {"action": "take"}).status_code == 404
    assert browser.post("/claims/12345/verdict", {"rating": "False", "summary": "x"}).status_code == 404


def _count(app, model) -> int:
    from factcheck.db import session_scope

    with session_scope(app.extensions["factcheck.engine"]) as session:
        return session.exec(select(func.count(model.id))).one()


def _claim_containing(app, needle: str) -> Claim:
    from factcheck.db import session_scope

    with session_scope(app.extensions["factcheck.engine"]) as session:
        claim = session.exec(select(Claim).where(Claim.sentence.contains(needle))).first()
        assert claim is not None, f"no claim contains {needle!r}"
        return claim


def _set_priority(app, claim_id: int, priority: int) -> None:
    from factcheck.db import session_scope

    with session_scope(app.extensions["factcheck.engine"]) as session:
        claim = session.get(Claim, claim_id)
        claim.priority = priority
        session.add(claim)
        session.commit()


def test_security_headers_on_pages(app):
    response = app.test_client().get("/checks/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_deactivated_user_cannot_log_in(app, users, session, browser_factory):
    from factcheck.services.users import set_active

    set_active(session, user_id=users["checker"].id, active=False)
    browser = browser_factory()
    assert browser.login("checker@example.org").status_code == 401


def test_login_attempts_are_rate_limited(app, users, browser_factory):
    browser = browser_factory()
    statuses = [browser.login("checker@example.org", "wrong password").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    # Other pages are not limited.
    assert browser.get("/checks/").status_code == 200
