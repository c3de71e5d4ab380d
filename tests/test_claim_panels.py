"""Panels that stay true: every change on the claim page announces itself (HX-Trigger), and every panel
that depends on it fetches itself again from its own fragment URL (``hx-trigger="<event> from:body"``)."""
from __future__ import annotations

import re
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from jinja2 import meta, nodes
from sqlalchemy import event
from sqlmodel import select

from factcheck.db import session_scope
from factcheck.models import Claim, Evidence, FactCheck, Match, User
from factcheck.web.claims import (CLAIM_CHANGED, PANEL_NEEDS, PANELS, VERDICT_SAVED, WORDING_CHANGED,
                                  WORKFLOW_CHANGED)
from tests.conftest import Browser, app_from_template, make_user

TEXT = "The port handled 4.2 million containers."
WORKFLOW = {CLAIM_CHANGED, WORKFLOW_CHANGED}
WORDING = {CLAIM_CHANGED, WORDING_CHANGED}
#: Each state-changing route of the claim page and what it must announce.
EXPECTED = {
    "claims.transition": WORKFLOW,
    "desk.assign": WORKFLOW,
    "claims.edit": WORDING,
    "claims.wording_review": WORDING,
    "claims.match_decide": {CLAIM_CHANGED},
    "claims.evidence_create": {CLAIM_CHANGED},
    "claims.evidence_edit": {CLAIM_CHANGED},
    "claims.evidence_refetch": {CLAIM_CHANGED},
    "claims.evidence_delete": {CLAIM_CHANGED},
    "claims.comment_create": {CLAIM_CHANGED},
    "claims.verdict_save": {VERDICT_SAVED},
}


class _Listeners(HTMLParser):
    """Elements with an ``hx-trigger`` that listens on the body: (id, hx-get, events)."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        trigger = attributes.get("hx-trigger") or ""
        if "from:body" in trigger:
            events = {part.strip().split(" ")[0] for part in trigger.split(",") if "from:body" in part}
            self.found.append((attributes.get("id", ""), attributes.get("hx-get", ""), events))


@pytest.fixture
def desk_app(databases, empty_template, tmp_path):
    # Inline jobs, production fetch settings: the evidence URL below is refused without any connection.
    with app_from_template(databases, empty_template, tmp_path, jobs_broker="immediate") as app:
        yield app


def _version(app, model, row_id) -> int:
    with session_scope(app.extensions["factcheck.engine"]) as session:
        return session.get(model, row_id).version


def test_every_change_announces_itself_and_every_panel_can_refresh(desk_app):
    app = desk_app
    with session_scope(app.extensions["factcheck.engine"]) as session:
        for email, role in (("checker@example.org", "checker"), ("editor@example.org", "editor"),
                            ("editor2@example.org", "editor")):
            make_user(session, email, role)
        claim, other = (Claim(sentence=TEXT, standalone_text=TEXT, span_end=len(TEXT)) for _ in range(2))
        fact_check = FactCheck(claim_reviewed="Ports.", rating="True", url="https://checks.example/ports")
        session.add_all([claim, other, fact_check])
        session.commit()
        match = Match(claim_id=claim.id, kind="fact_check", fact_check_id=fact_check.id, score=0.9, method="test")
        session.add(match)
        session.commit()
        claim_id, other_id, match_id = claim.id, other.id, match.id
        checker_user_id = session.exec(select(User.id).where(User.email == "checker@example.org")).one()
    browsers = {name: Browser(app) for name in ("checker", "editor", "editor2")}
    for name, browser in browsers.items():
        browser.login(f"{name}@example.org")
    checker, editor = browsers["checker"], browsers["editor"]

    sent: dict[str, set[str]] = {}

    def post(browser, endpoint, url, data=None):
        response = browser.post(url, data or {}, htmx=True)
        assert response.status_code == 200, (endpoint, response.status_code, response.get_data(as_text=True)[:300])
        events = set((response.headers.get("HX-Trigger") or "").split(", ")) - {""}
        assert EXPECTED[endpoint] <= events, (endpoint, events)
        sent.setdefault(endpoint, set()).update(events)
        return response

    base = f"/claims/{claim_id}"
    post(checker, "claims.transition", f"/claims/{other_id}/transitions", {"action": "take"})
    post(editor, "desk.assign", f"{base}/assign", {"assignee_id": checker_user_id, "note": "Yours."})
    post(checker, "claims.edit", f"{base}/edit", {"claimant": "The port authority",
                                                  "version": _version(app, Claim, claim_id)})
    post(checker, "claims.wording_review", f"{base}/wording", {"decision": "as_written",
                                                               "version": _version(app, Claim, claim_id)})
    post(checker, "claims.match_decide", f"{base}/matches/{match_id}", {"status": "rejected", "version": 1})
    post(checker, "claims.evidence_create", f"{base}/evidence",
         {"url": "http://127.0.0.1:9/report", "quote": "4.2 million.", "stance": "supports"})
    with session_scope(app.extensions["factcheck.engine"]) as session:
        evidence_id = session.exec(select(Evidence.id).where(Evidence.claim_id == claim_id)).one()
    post(checker, "claims.evidence_edit", f"{base}/evidence/{evidence_id}/edit", {"note": "p. 3", "version": 1})
    post(checker, "claims.evidence_refetch", f"{base}/evidence/{evidence_id}/refetch")
    post(checker, "claims.evidence_create", f"{base}/evidence",
         {"url": "http://127.0.0.1:9/other", "quote": "Other.", "stance": "context"})
    with session_scope(app.extensions["factcheck.engine"]) as session:
        second = max(session.exec(select(Evidence.id).where(Evidence.claim_id == claim_id)).all())
    post(checker, "claims.evidence_delete", f"{base}/evidence/{second}/delete", {"version": 1})
    post(checker, "claims.comment_create", f"{base}/comments", {"body": "Asked the port."})
    post(checker, "claims.verdict_save", f"{base}/verdict", {"rating": "False", "summary": "Wrong."})
    post(checker, "claims.transition", f"{base}/transitions", {"action": "submit"})
    post(browsers["editor2"], "claims.transition", f"{base}/transitions",
         {"action": "send_back", "comment": "Find the port's own figure."})

    # Every state-changing route of the claim page was exercised: a new one has to be added here.
    routes = {rule.endpoint for rule in app.url_map.iter_rules()
              if "POST" in rule.methods and "claim_id" in rule.arguments and not rule.rule.startswith("/api/")}
    assert routes == set(EXPECTED) == set(sent)

    # Every panel of the page (as the checker and as a reviewer sees it) listens and can fetch itself.
    listened: set[str] = set()
    for browser in (checker, editor):
        parser = _Listeners()
        parser.feed(browser.get(base).get_data(as_text=True))
        ids = {element_id for element_id, _, _ in parser.found}
        assert {f"claim-{name}" for name in PANELS} <= ids, ids
        for element_id, url, events in parser.found:
            assert url, element_id
            response = browser.get(url, htmx=True)
            assert response.status_code == 200, (element_id, url, response.status_code)
            assert f'id="{element_id}"' in response.get_data(as_text=True)  # outerHTML keeps the panel's id
            listened |= events
    every_sent = set().union(*sent.values())
    # No panel waits for an event nobody sends, and every event sent has someone listening.
    assert listened == every_sent, (listened, every_sent)
    assert browsers["checker"].get(f"{base}/panels/nonsense", htmx=True).status_code == 404

    # A refresh draws exactly what the page drew for that panel, from only the context it needs (PANEL_NEEDS).
    for browser in (checker, editor):
        page = _without_tokens(browser.get(base).get_data(as_text=True))
        for name in PANELS:
            with _statements(app) as statements:
                fragment = browser.get(f"{base}/panels/{name}", htmx=True).get_data(as_text=True)
            assert _without_tokens(fragment).strip() in page, name
            assert len(statements) <= PANEL_STATEMENTS[name], (name, statements)


#: At most this many SQL statements for a panel's refresh of the claim above: 2 for any (the logged-in user and
#: the claim), then the panel's own (the whole page takes ~20).
PANEL_STATEMENTS = {"summary": 3, "wording": 3, "matches": 5, "evidence": 6, "verdict": 4, "comments": 4,
                    "workflow": 4, "assignment": 5, "history": 8}


def _without_tokens(html: str) -> str:
    # CSRF tokens are signed with a timestamp: two requests may carry different ones for the same session.
    return re.sub(r'(name="csrf_token" value=")[^"]+"', r'\1"', re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1"', html))


@contextmanager
def _statements(app):
    """The SQL statements run while the block runs (counts, never timings)."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, *_args):
        seen.append(statement)

    engine = app.extensions["factcheck.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_panel_needs_name_what_each_panel_template_uses(app):
    """PANEL_NEEDS lists every variable a panel's template (and what it includes) reads from the context."""
    env = app.jinja_env
    always = {"claim", "errors", "conflict", "mine", "current_user", "csrf_token", "url_for", "get_flashed_messages",
              "request", "session", "g", "config", "unread_notifications"} | set(env.globals)
    # Given by a caller for one response only: ``saved`` after a save, ``oob`` by _workflow_response, ``m`` (the
    # match) where _match is the whole answer.
    extras = {"saved", "oob", "m"}

    def used(template_name: str, seen: set[str]) -> set[str]:
        """Names read from the context by the template and those it includes, less those they set themselves
        ({% set %}, {% with %}, loop variables: Jinja's meta counts a name set inside an {% if %} as read)."""
        if template_name in seen:
            return set()
        seen.add(template_name)
        parsed = env.parse(env.loader.get_source(env, template_name)[0])
        names = set(meta.find_undeclared_variables(parsed))
        for included in meta.find_referenced_templates(parsed):
            if included and included.startswith("claims/_"):
                names |= used(included, seen)
        return names - {node.name for node in parsed.find_all(nodes.Name) if node.ctx in ("store", "param")}

    for name in (*PANELS, "workflow_response", "match"):
        needed = used(f"claims/_{name}.html", set()) - always - extras
        assert needed <= set(PANEL_NEEDS[name]), (name, needed - set(PANEL_NEEDS[name]))
