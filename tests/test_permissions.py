"""Who may do what: the permission table (factcheck.domain.permissions) and every route's protection.

* The table itself: every workflow action and every content action has one rule,
  and ``can`` agrees with ``authorize``.
* The probe's findings: a checker who does not hold a claim cannot decide its match
  suggestions; no checker can reject or mark duplicate a claim (editor actions per the
  README), by form or by API.
* The authorization matrix: every route of the app's ``url_map`` × anonymous / checker
  (holding the claim) / another checker / editor / admin, by session and (API routes) by
  token and by session cookie. A route missing from ``ACCESS`` fails the test, so a new
  route has to be classified, and a route that forgets its protection shows up as a
  200 for anonymous.
"""
from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import func
from sqlmodel import select

from factcheck.domain.errors import Forbidden, InvalidTransition
from factcheck.domain.permissions import CLAIM_RULES, WORKFLOW_ACTIONS, Actor, ClaimFacts, authorize, can
from factcheck.domain.workflow import Action
from factcheck.models import (Article, Claim, Event, Evidence, EvidenceArchive, FactCheck, Job, Match, SourceDocument,
                              Verdict, utcnow)
from factcheck.services.users import create_token
from tests.conftest import Browser, make_user

CHECKER = Actor(id=1, role="checker")
CHECKER2 = Actor(id=2, role="checker")
EDITOR = Actor(id=3, role="editor")
ADMIN = Actor(id=5, role="admin")
STATES = ("new", "in_progress", "in_review", "approved", "published", "rejected", "duplicate")


# --------------------------------------------------------------------------- the table


def test_every_workflow_action_has_exactly_one_rule():
    assert {a.value for a in Action} == set(WORKFLOW_ACTIONS)
    assert set(WORKFLOW_ACTIONS) <= set(CLAIM_RULES)


def test_can_agrees_with_authorize_everywhere():
    for action in CLAIM_RULES:
        for state in STATES:
            for assignee, checker in ((None, None), (1, None), (1, 1), (3, 3)):
                claim = ClaimFacts(state=state, assignee_id=assignee, checker_id=checker)
                for actor in (CHECKER, CHECKER2, EDITOR, ADMIN, Actor(9, "intern")):
                    try:
                        authorize(actor, action, claim)
                        allowed = True
                    except (Forbidden, InvalidTransition):
                        allowed = False
                    assert can(actor, action, claim) is allowed, (action, state, assignee, actor)


@pytest.mark.parametrize("state", STATES)
def test_match_decisions_follow_the_content_rule(state):
    claim = ClaimFacts(state=state, assignee_id=CHECKER.id, checker_id=CHECKER.id)
    # The checker holding the claim, only while it is in progress.
    assert can(CHECKER, "decide_match", claim) is (state == "in_progress")
    # Another checker: never.
    assert not can(CHECKER2, "decide_match", claim)
    # Editors and admins: until the claim is closed.
    for actor in (EDITOR, ADMIN):
        assert can(actor, "decide_match", claim) is (state not in ("rejected", "duplicate"))
    if state in ("in_review", "approved", "published"):
        with pytest.raises(Forbidden):
            authorize(CHECKER, "decide_match", claim)


@pytest.mark.parametrize("action", ["reject", "mark_duplicate"])
@pytest.mark.parametrize("state", ["new", "in_progress", "in_review"])
def test_closing_a_claim_is_an_editor_action(action, state):
    claim = ClaimFacts(state=state, assignee_id=None if state == "new" else CHECKER.id, checker_id=None)
    for checker in (CHECKER, CHECKER2):
        with pytest.raises(Forbidden):
            authorize(checker, action, claim)
    assert can(EDITOR, action, claim) and can(ADMIN, action, claim)


# --------------------------------------------------------------------------- the findings, end to end


def _claim(session, *, state: str, assignee=None, checker=None, text="The port handled 4.2 million containers.") -> Claim:
    claim = Claim(sentence=text, standalone_text=text, span_end=len(text), state=state,
                  assignee_id=assignee.id if assignee else None, checker_id=checker.id if checker else None)
    session.add(claim)
    session.commit()
    session.refresh(claim)
    return claim


_fact_checks = iter(range(1, 10**6))


def _match(session, claim: Claim) -> Match:
    fact_check = FactCheck(claim_reviewed="The port handled 4.2 million containers in 2023.", rating="True",
                           url=f"https://checks.example/port-{next(_fact_checks)}")
    session.add(fact_check)
    session.commit()
    match = Match(claim_id=claim.id, kind="fact_check", fact_check_id=fact_check.id, score=0.9, method="test")
    session.add(match)
    session.commit()
    session.refresh(match)
    return match


def _count(session, model, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def _token_headers(session, user) -> dict:
    return {"Authorization": f"Bearer {create_token(session, user=user, name='tests')}"}


@pytest.mark.parametrize("state", ["in_progress", "approved"])
def test_a_checker_cannot_decide_matches_of_a_claim_they_do_not_hold(app, session, users, state):
    """Finding 3: any checker could confirm or reject match suggestions on any claim, by form and by API."""
    claim = _claim(session, state=state, assignee=users["checker"],
                   checker=users["checker"] if state == "approved" else None)
    match = _match(session, claim)
    intruder = Browser(app)
    intruder.login("checker2@example.org")
    api = app.test_client()
    headers = _token_headers(session, users["checker2"])
    for status in ("confirmed", "rejected"):
        response = intruder.post(f"/claims/{claim.id}/matches/{match.id}", {"status": status})
        assert response.status_code == 403, response.get_data(as_text=True)
        response = intruder.post(f"/claims/{claim.id}/matches/{match.id}", {"status": status}, htmx=True)
        assert response.status_code == 403
        response = api.post(f"/api/v1/claims/{claim.id}/matches/{match.id}", json={"status": status},
                            headers=headers)
        assert response.status_code == 403 and "match" in response.get_json()["error"]
    session.expire_all()
    assert session.get(Match, match.id).status == "suggested"
    assert _count(session, Event, Event.claim_id == claim.id) == 0
    # The page shows no confirm/reject buttons to them.
    page = intruder.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert f"/claims/{claim.id}/matches/{match.id}" not in page

    # The checker holding it may while it is in progress; an editor may in both states.
    holder = app.test_client()
    response = holder.post(f"/api/v1/claims/{claim.id}/matches/{match.id}", json={"status": "confirmed"},
                           headers=_token_headers(session, users["checker"]))
    assert response.status_code == (200 if state == "in_progress" else 403)
    response = holder.post(f"/api/v1/claims/{claim.id}/matches/{match.id}", json={"status": "rejected"},
                           headers=_token_headers(session, users["editor"]))
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"


@pytest.mark.parametrize("action", ["reject", "mark_duplicate"])
def test_checkers_cannot_reject_or_mark_duplicate_by_form_or_api(app, session, users, action):
    """Finding 5: checkers could reject or mark duplicate any claim, including one in review (empty the queue)."""
    fact_check = FactCheck(claim_reviewed="Earlier.", rating="False", url="https://checks.example/earlier")
    session.add(fact_check)
    session.commit()
    fields = {"comment": "Not checkable.", "duplicate_of_fact_check_id": fact_check.id}
    claims = [_claim(session, state="new"),
              _claim(session, state="in_progress", assignee=users["checker"]),
              _claim(session, state="in_review", assignee=users["checker"], checker=users["checker"])]
    checker = Browser(app)
    checker.login("checker@example.org")
    api = app.test_client()
    for claim in claims:
        for user in ("checker", "checker2"):
            response = api.post(f"/api/v1/claims/{claim.id}/transitions", json={"action": action, **fields},
                                headers=_token_headers(session, users[user]))
            assert response.status_code == 403, (claim.state, user, response.get_json())
        response = checker.post(f"/claims/{claim.id}/transitions", {"action": action, **fields})
        assert response.status_code == 403
    session.expire_all()
    assert [session.get(Claim, c.id).state for c in claims] == ["new", "in_progress", "in_review"]
    # An editor may.
    for claim in claims:
        response = api.post(f"/api/v1/claims/{claim.id}/transitions", json={"action": action, **fields},
                            headers=_token_headers(session, users["editor"]))
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["state"] == ("rejected" if action == "reject" else "duplicate")


# --------------------------------------------------------------------------- the authorization matrix

PUBLIC, LOGIN, ASSIGNEE, EDITOR_ONLY, ADMIN_ONLY = "public", "login", "assignee", "editor", "admin"
IDENTITIES = ("anonymous", "checker", "other_checker", "editor", "admin")
#: who each level lets through (besides its denial of anonymous users)
ALLOWED = {
    PUBLIC: set(IDENTITIES),
    LOGIN: {"checker", "other_checker", "editor", "admin"},
    ASSIGNEE: {"checker", "editor", "admin"},
    EDITOR_ONLY: {"editor", "admin"},
    ADMIN_ONLY: {"admin"},
}

#: endpoint -> (level, request body). Every route of the app must be here. ``LOGIN`` routes are
#: open to every role (all roles may view claims and work on the queue); ``ASSIGNEE`` routes act on a
#: claim in progress held by "checker" (the other checker is refused); transitions send ``reject``.
ACCESS: dict[str, tuple[str, dict | None]] = {
    "static": (PUBLIC, None),
    "auth.login": (PUBLIC, None),
    "auth.logout": (PUBLIC, None),
    "short_login.login_shortcut": (PUBLIC, None),
    "public.index": (PUBLIC, None),
    "public.check": (PUBLIC, None),
    "public.feed_atom": (PUBLIC, None),
    "public.feed_json": (PUBLIC, None),
    "api.rating_scale": (PUBLIC, None),
    "api.claim_reviews": (PUBLIC, None),
    "claims.home": (LOGIN, None),
    "claims.queue": (LOGIN, None),
    "claims.queue_take": (LOGIN, None),
    "claims.detail": (LOGIN, None),
    "claims.panel": (LOGIN, None),
    "claims.match_compare": (LOGIN, None),
    "claims.duplicate_claims": (LOGIN, None),
    "claims.comment_create": (LOGIN, {"body": "A note."}),
    "claims.transition": (EDITOR_ONLY, {"action": "reject", "comment": "Not checkable."}),
    "claims.match_decide": (ASSIGNEE, {"status": "rejected"}),
    "claims.evidence_create": (ASSIGNEE, {"url": "https://example.org/e", "quote": "A quote.", "stance": "context"}),
    "claims.evidence_delete": (ASSIGNEE, {}),
    "claims.evidence_edit": (ASSIGNEE, {"note": "Page 14."}),
    "claims.evidence_refetch": (ASSIGNEE, {}),
    "claims.evidence_archive_status": (LOGIN, None),
    "claims.evidence_archived_text": (LOGIN, None),
    "claims.verdict_save": (ASSIGNEE, {"rating": "False", "summary": "Wrong."}),
    "claims.wording_review": (ASSIGNEE, {"decision": "as_written"}),
    "claims.edit": (ASSIGNEE, {"standalone_text": "The port handled 4.2 million containers in 2023."}),
    "articles.index": (LOGIN, None),
    "articles.new": (LOGIN, {}),
    "articles.fetch": (LOGIN, {"url": "http://127.0.0.1/"}),
    "articles.upload": (LOGIN, {}),
    "articles.detail": (LOGIN, None),
    "articles.archived_text": (LOGIN, None),
    "library.fact_checks": (LOGIN, None),
    "library.fact_checks_create": (LOGIN, {}),
    "library.fact_check_detail": (LOGIN, None),
    "library.search": (LOGIN, None),
    "library.sources": (LOGIN, None),
    "library.sources_create": (LOGIN, {}),
    "library.sources_fetch": (LOGIN, {"url": "http://127.0.0.1/"}),
    "library.sources_upload": (LOGIN, {}),
    "library.source_detail": (LOGIN, None),
    "library.source_archived_text": (LOGIN, None),
    "library.evidence_suggestions": (LOGIN, None),
    "jobs.index": (LOGIN, None),
    "jobs.detail": (LOGIN, None),
    "jobs.status": (LOGIN, None),
    "jobs.retry": (LOGIN, {}),
    "desk.assign": (EDITOR_ONLY, {"note": "Yours."}),
    "claims.publish_preview": (EDITOR_ONLY, None),
    "desk.bulk": (EDITOR_ONLY, {"action": "priority", "priority": "1"}),
    "notifications.index": (LOGIN, None),
    "notifications.mark_all_read": (LOGIN, {}),
    "notifications.mark_read": (LOGIN, {}),
    "notifications.preferences": (LOGIN, {}),
    "dashboard.index": (EDITOR_ONLY, None),
    "dashboard.download": (EDITOR_ONLY, None),
    "admin.users": (ADMIN_ONLY, None),
    "admin.users_create": (ADMIN_ONLY, {}),
    "admin.users_update": (ADMIN_ONLY, {"role": "checker"}),
    "match_settings.index": (ADMIN_ONLY, None),
    "match_settings.update": (ADMIN_ONLY, {}),
    "match_settings.rebuild_indexes": (ADMIN_ONLY, {"library": "fact_check"}),
    "api.create_article": (LOGIN, {}),
    "api.get_article": (LOGIN, None),
    "api.fetch_article": (LOGIN, {"url": "http://127.0.0.1/"}),
    "api.upload_article": (LOGIN, {}),
    "api.create_fact_check": (LOGIN, {}),
    "api.create_source": (LOGIN, {}),
    "api.get_source": (LOGIN, None),
    "api.fetch_source": (LOGIN, {"url": "http://127.0.0.1/"}),
    "api.upload_source": (LOGIN, {}),
    "api.get_job": (LOGIN, None),
    "api.retry_job": (LOGIN, {}),
    "api.take_from_queue": (LOGIN, {}),
    "api.get_claim": (LOGIN, None),
    "api.edit_claim": (ASSIGNEE, {"claimant": "The port authority"}),
    "api.edit_evidence": (ASSIGNEE, {"note": "Page 14."}),
    "api.remove_evidence": (ASSIGNEE, {}),
    "api.get_verdict": (LOGIN, None),
    "api.add_evidence": (ASSIGNEE, {"url": "https://example.org/e", "quote": "A quote.", "stance": "context"}),
    "api.save_verdict": (ASSIGNEE, {"rating": "False", "summary": "Wrong."}),
    "api.transition": (EDITOR_ONLY, {"action": "reject", "comment": "Not checkable."}),
    "api.decide_match": (ASSIGNEE, {"status": "rejected"}),
    "api.add_comment": (LOGIN, {"body": "A note."}),
}


class World:
    """Rows for the routes' URL arguments; each claim-scoped route gets a claim of its own."""

    def __init__(self, session, users):
        self.session, self.users = session, users
        article = Article(title="A story", text="The port handled 4.2 million containers.")
        source = SourceDocument(title="A source", text="Ports and containers.")
        fact_check = FactCheck(claim_reviewed="Ports.", rating="True", url="https://checks.example/world")
        session.add_all([article, source, fact_check])
        session.commit()
        job = Job(kind="fetch_source", status="failed", error="Refused.", payload={"url": "https://example.org"})
        published = Claim(sentence="Published.", standalone_text="Published.", state="published",
                          published_at=utcnow())
        session.add_all([job, published])
        session.commit()
        session.add(Verdict(claim_id=published.id, rating="True", rating_value=5, summary="Right.",
                            published_at=utcnow()))
        session.commit()
        self.ids = {"article_id": article.id, "source_id": source.id, "fact_check_id": fact_check.id,
                    "job_id": job.id, "user_id": users["victim"].id}
        self.published_claim_id = published.id

    def arguments(self, endpoint: str, rule) -> dict:
        values = {"filename": "css/app.css", "library": "fact_check", "name": "history", "chart": "claims_per_day",
                  "notification_id": 1}
        if "claim_id" in rule.arguments:
            if endpoint.startswith("public."):
                values["claim_id"] = self.published_claim_id
            else:
                claim = _claim(self.session, state="in_progress", assignee=self.users["checker"])
                values["claim_id"] = claim.id
                values["match_id"] = _match(self.session, claim).id
                evidence = Evidence(claim_id=claim.id, url="https://example.org/x", quote="x", stance="context")
                self.session.add(evidence)
                self.session.commit()
                values["evidence_id"] = evidence.id
                archive = EvidenceArchive(evidence_id=evidence.id, claim_id=claim.id, url=evidence.url,
                                          status="archived", fetched_at=utcnow(), text="x", content_sha256="0" * 64)
                self.session.add(archive)
                self.session.commit()
                values["archive_id"] = archive.id
        values.update({k: v for k, v in self.ids.items() if k in rule.arguments})
        return {name: values[name] for name in rule.arguments}


def _url(app, rule, world) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **world.arguments(rule.endpoint, rule))


def _outcome(response, api: bool) -> str:
    """What a response says about access: login (asked to log in), denied (403), or allowed."""
    status = response.status_code
    assert status < 500, response.get_data(as_text=True)[:500]
    if api and status == 401:
        return "login"
    # Pages ask for a login by redirecting (a 401 page is only the login form's "wrong password").
    if not api and status in (302, 303) and "/auth/login?next=" in response.headers.get("Location", ""):
        return "login"
    if status == 403:
        return "denied"
    return "allowed"


def test_every_route_is_protected_as_the_table_says(app, session, users):
    users["victim"] = make_user(session, "victim@example.org", "checker")
    rules = [r for r in app.url_map.iter_rules()]
    endpoints = {r.endpoint for r in rules}
    assert endpoints - set(ACCESS) == set(), "new routes: add them to ACCESS with who may use them"
    assert set(ACCESS) - endpoints == set(), "ACCESS names routes that no longer exist"

    world = World(session, users)
    who = {"checker": "checker", "other_checker": "checker2", "editor": "editor", "admin": "admin"}
    browsers = {"anonymous": Browser(app)}
    tokens = {"anonymous": None}
    for identity, name in who.items():
        browsers[identity] = Browser(app)
        assert browsers[identity].login(f"{name}@example.org").status_code == 303
        tokens[identity] = create_token(session, user=users[name], name="matrix")

    mismatches = []
    checked = 0
    for rule in sorted(rules, key=lambda r: r.rule):
        level, body = ACCESS[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "auth.logout":
                continue  # logging out is open to all; it would end the sessions below (tested elsewhere)
            url = _url(app, rule, world)
            # Fresh rows per request for routes that change them, so one identity's success
            # (say, rejecting the claim) cannot turn the next identity's answer into a 409.
            is_api = rule.rule.startswith("/api/")
            for identity in IDENTITIES:
                if method != "GET" and "claim_id" in rule.arguments:
                    url = _url(app, rule, world)
                expected = "allowed" if identity in ALLOWED[level] else (
                    "login" if identity == "anonymous" else "denied")
                if is_api:
                    token = tokens[identity]
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    response = app.test_client().open(url, method=method, headers=headers,
                                                      json=body if method != "GET" else None)
                    got = _outcome(response, True)
                    if got != expected:
                        mismatches.append((method, rule.rule, identity, "token", expected, response.status_code))
                    # A browser session never authenticates an API call.
                    if identity != "anonymous" and level != PUBLIC:
                        response = browsers[identity].client.open(url, method=method,
                                                                  json=body if method != "GET" else None)
                        if response.status_code != 401:
                            mismatches.append((method, rule.rule, identity, "cookie", 401, response.status_code))
                else:
                    browser = browsers[identity]
                    if method == "GET":
                        response = browser.get(url)
                    else:
                        response = browser.post(url, dict(body or {}))
                    got = _outcome(response, False)
                    if got != expected:
                        mismatches.append((method, rule.rule, identity, "session", expected, response.status_code))
                checked += 1
    assert checked > 250
    assert mismatches == [], "\n".join(map(str, mismatches))


def test_logout_is_post_only_and_ends_the_session(app, users):
    browser = Browser(app)
    browser.login("checker@example.org")
    assert browser.get("/auth/logout").status_code == 405
    assert browser.post("/auth/logout").status_code == 303
    assert "/auth/login?next=" in browser.get("/queue").headers["Location"]
