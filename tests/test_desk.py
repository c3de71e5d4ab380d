"""The desk: assignment, hand back, notifications in the app and by email (against a local SMTP server)."""
from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from factcheck.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from factcheck.models import Article, Claim, Event, Job, Notification
from factcheck.services import claims as claim_service
from factcheck.services import desk
from factcheck.services import notifications as notes
from tests.conftest import Browser, app_from_template, make_user

# The web views date the queue by the real UTC day, so the fixtures do too (a fixed date expired).
TODAY = datetime.now(timezone.utc).date()


def _claims(session, n=1, **fields) -> list[Claim]:
    article = Article(title="Budget speech", outlet="Daily", text="x")
    session.add(article)
    session.flush()
    made = []
    for i in range(n):
        claim = Claim(article_id=article.id, sentence=f"claim {i}", standalone_text=f"Unemployment fell {i}%.",
                      **fields)
        session.add(claim)
        made.append(claim)
    session.commit()
    return made


def _inbox(session, user) -> list[Notification]:
    return [n for n, _c in notes.inbox(session, user.id)]


def test_assign_takes_a_new_claim_for_the_assignee_with_a_default_due_date(session, settings, users):
    [claim] = _claims(session, priority=2)
    desk.assign(session, settings=settings, claim_id=claim.id, assignee_id=users["checker"].id,
                user=users["editor"], note="Needs the ONS figures", today=TODAY)
    session.refresh(claim)
    assert (claim.state, claim.assignee_id) == ("in_progress", users["checker"].id)
    assert claim.due_date == TODAY + timedelta(days=settings.due_days()[2])
    event = session.exec(select(Event).where(Event.claim_id == claim.id, Event.action == "assigned")).one()
    assert (event.from_state, event.to_state, event.actor_id) == ("new", "in_progress", users["editor"].id)
    assert "Needs the ONS figures" in event.detail
    [note] = _inbox(session, users["checker"])
    assert note.kind == notes.ASSIGNED and "Needs the ONS figures" in note.message
    assert notes.unread_count(session, users["checker"].id) == 1
    assert _inbox(session, users["editor"]) == []  # nobody is told of their own act

    # Reassigning keeps the state and the due date, and tells the new assignee.
    desk.assign(session, settings=settings, claim_id=claim.id, assignee_id=users["checker2"].id,
                user=users["editor"], today=TODAY + timedelta(days=5))
    session.refresh(claim)
    assert claim.assignee_id == users["checker2"].id and claim.due_date == TODAY + timedelta(days=1)
    reassigned = session.exec(select(Event).where(Event.action == "assigned").order_by(Event.id.desc())).first()
    assert reassigned.from_state is None and f'"previous_assignee_id": {users["checker"].id}' in reassigned.detail
    assert len(_inbox(session, users["checker2"])) == 1


def test_who_and_what_can_be_assigned(session, settings, users):
    a, b, c = _claims(session, 3)
    with pytest.raises(Forbidden):
        desk.assign(session, settings=settings, claim_id=a.id, assignee_id=users["checker2"].id, user=users["checker"])
    users["checker2"].is_active = False
    session.add(users["checker2"])
    session.commit()
    with pytest.raises(ValidationFailed):
        desk.assign(session, settings=settings, claim_id=a.id, assignee_id=users["checker2"].id, user=users["editor"])
    b.state = "in_review"
    c.checkable = False
    session.add_all([b, c])
    session.commit()
    for claim in (b, c):
        with pytest.raises(InvalidTransition):
            desk.assign(session, settings=settings, claim_id=claim.id, assignee_id=users["checker"].id,
                        user=users["editor"])
    assert session.exec(select(Event).where(Event.action == "assigned")).all() == []


def test_workflow_notifications_and_hand_back(session, settings, users):
    a, b = _claims(session, 2)
    checker, editor = users["checker"], users["editor"]
    desk.assign(session, settings=settings, claim_id=a.id, assignee_id=checker.id, user=editor)
    claim_service.save_verdict(session, settings=settings, claim_id=a.id, user=checker,
                               data={"rating": "False", "summary": "It rose."})
    claim_service.transition(session, claim_id=a.id, action="submit", user=checker,
                             no_evidence_reason="The ministry's own release says so.")
    claim_service.transition(session, claim_id=a.id, action="send_back", user=editor, comment="Cite the source")
    claim_service.add_evidence(session, claim_id=a.id, user=checker, data={
        "url": "https://stats.example/jobs", "quote": "Unemployment rose to 5%.", "stance": "refutes"})
    claim_service.transition(session, claim_id=a.id, action="submit", user=checker)
    claim_service.transition(session, claim_id=a.id, action="approve", user=editor)
    claim_service.transition(session, claim_id=a.id, action="publish", user=editor)
    kinds = [n.kind for n in reversed(_inbox(session, checker))]
    assert kinds == [notes.ASSIGNED, notes.RETURNED, notes.APPROVED, notes.PUBLISHED]
    assert "Cite the source" in _inbox(session, checker)[2].message

    desk.assign(session, settings=settings, claim_id=b.id, assignee_id=checker.id, user=editor)
    claim_service.transition(session, claim_id=b.id, action="release", user=checker, comment="Not my beat")
    [handed] = _inbox(session, editor)
    assert handed.kind == notes.HANDED_BACK and "Not my beat" in handed.message
    assert session.get(Claim, b.id).state == "new"


def test_mentions_preferences_and_mark_read(session, settings, users):
    [claim] = _claims(session)
    users["checker2"].name = "Ana Lima"
    session.add(users["checker2"])
    session.commit()
    notes.save_preferences(session, user_id=users["editor"].id, in_app=set(notes.KINDS) - {notes.MENTIONED},
                           email=set())
    claim_service.add_comment(session, claim_id=claim.id, user=users["checker"],
                              data={"body": "@AnaLima and @editor, see this. mail me at x@checker.org"})
    [mention] = _inbox(session, users["checker2"])
    assert mention.kind == notes.MENTIONED
    assert _inbox(session, users["editor"]) == []  # turned off
    assert _inbox(session, users["checker"]) == []  # the address is not a mention of its author
    assert notes.mark_read(session, user_id=users["checker"].id, notification_id=None) == 0
    with pytest.raises(Exception):
        notes.mark_read(session, user_id=users["checker"].id, notification_id=mention.id)  # not theirs
    assert notes.mark_read(session, user_id=users["checker2"].id, notification_id=mention.id) == 1
    assert notes.unread_count(session, users["checker2"].id) == 0
    with pytest.raises(ValidationFailed):
        notes.save_preferences(session, user_id=users["editor"].id, in_app={"everything"}, email=set())


def test_due_soon_is_told_once_per_due_date(session, settings, users):
    a, b = _claims(session, 2, state="in_progress", assignee_id=users["checker"].id)
    a.due_date, b.due_date = TODAY, TODAY + timedelta(days=10)
    session.add_all([a, b])
    session.commit()
    assert notes.refresh_due_soon(session, settings=settings, today=TODAY) == 1
    assert notes.refresh_due_soon(session, settings=settings, today=TODAY) == 0
    [note] = _inbox(session, users["checker"])
    assert note.kind == notes.DUE_SOON and note.claim_id == a.id and "due today" in note.message


def test_assign_through_the_page_and_the_header_count(app, session, users, browser_factory):
    [claim] = _claims(session)
    editor, checker = browser_factory(), browser_factory()
    editor.login("editor@example.org")
    checker.login("checker@example.org")
    page = editor.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert 'id="claim-assignment"' in page and "Assign to" in page
    assert f"/claims/{claim.id}/assign" not in checker.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert checker.post(f"/claims/{claim.id}/assign", {"assignee_id": users["checker"].id}).status_code == 403
    response = editor.post(f"/claims/{claim.id}/assign", {"assignee_id": users["checker"].id, "note": "yours"},
                           htmx=True)
    assert response.status_code == 200 and "claimChanged" in response.headers["HX-Trigger"]
    assert "Assigned to <strong>checker" in response.get_data(as_text=True)
    assert editor.post(f"/claims/{claim.id}/assign", {"assignee_id": 999999}, htmx=True).status_code == 422
    queue = checker.get("/queue?view=mine").get_data(as_text=True)
    assert "Assigned to me" in queue and 'aria-label="1 unread"' in queue
    inbox = checker.get("/notifications/").get_data(as_text=True)
    assert "assigned you claim" in inbox and "yours" in inbox
    opened = checker.post("/notifications/read", {})
    assert opened.status_code == 303
    assert "unread" not in checker.get("/queue").get_data(as_text=True)


# ---- email through a local SMTP server ------------------------------------------------------------


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler protocol
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _email_app(databases, empty_template, tmp_path, port: int):
    return app_from_template(databases, empty_template, tmp_path, smtp_host="127.0.0.1", smtp_port=port,
                             smtp_starttls=False, smtp_from="desk@newsroom.example", jobs_broker="immediate",
                             email_attempts=2, email_retry_delay=0.0, public_base_url="https://fc.example")


def test_email_is_sent_by_the_worker_and_respects_choices(databases, empty_template, tmp_path, smtp_server):
    from factcheck.db import session_scope

    controller, received = smtp_server
    with _email_app(databases, empty_template, tmp_path, controller.port) as app:
        with session_scope(app.extensions["factcheck.engine"]) as session:
            make_user(session, "editor@example.org", "editor")
            checker = make_user(session, "checker@example.org", "checker")
            quiet = make_user(session, "quiet@example.org", "checker")
            notes.save_preferences(session, user_id=quiet.id, in_app=set(notes.KINDS), email=set())
            a, b = _claims(session, 2)
            ids = (a.id, b.id, checker.id, quiet.id)
        editor = Browser(app)
        editor.login("editor@example.org")
        assert editor.post(f"/claims/{ids[0]}/assign", {"assignee_id": ids[2], "note": "by noon"}).status_code == 303
        assert editor.post(f"/claims/{ids[1]}/assign", {"assignee_id": ids[3]}).status_code == 303
        [(recipients, body)] = received.messages
        assert recipients == ["checker@example.org"]
        assert "by noon" in body and f"https://fc.example/claims/{ids[0]}" in body
        with session_scope(app.extensions["factcheck.engine"]) as session:
            sent = session.exec(select(Notification).where(Notification.user_id == ids[2])).one()
            assert sent.email_status == notes.SENT
            job = session.exec(select(Job).where(Job.kind == "send_emails")).one()
            assert job.status == "succeeded"


def test_email_retries_then_fails_and_can_be_sent_again(databases, empty_template, tmp_path):
    from aiosmtpd.controller import Controller

    from factcheck.db import session_scope
    from factcheck.jobs import queue_for
    from factcheck.services import jobs

    port = _free_port()  # nothing listens there yet
    with _email_app(databases, empty_template, tmp_path, port) as app:
        engine = app.extensions["factcheck.engine"]
        with session_scope(engine) as session:
            editor = make_user(session, "editor@example.org", "editor")
            checker = make_user(session, "checker@example.org", "checker")
            [claim] = _claims(session)
            desk.assign(session, settings=app.config["SETTINGS"], claim_id=claim.id, assignee_id=checker.id,
                        user=editor)
            assert notes.send_pending(session, settings=app.config["SETTINGS"], queue=queue_for(app)) == 1
            job = session.exec(select(Job).where(Job.kind == "send_emails")).one()
            assert job.status == "failed" and "after 2 attempts" in job.error and job.attempts == 1
            note = session.exec(select(Notification)).one()
            assert note.email_status == notes.FAILED and "ConnectionRefusedError" in note.email_error
            assert notes.unread_count(session, checker.id) == 1  # the in-app notification is there regardless
            job_id = job.id
        handler = _Inbox()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            with session_scope(engine) as session:
                jobs.retry(session, queue=queue_for(app), job_id=job_id)
                assert session.get(Job, job_id).status == "succeeded"
                assert session.exec(select(Notification)).one().email_status == notes.SENT
        finally:
            controller.stop()
        assert [r for r, _b in handler.messages] == [["checker@example.org"]]


def test_without_smtp_nothing_is_left_pending(session, app, settings, users):
    from factcheck.jobs import queue_for

    [claim] = _claims(session)
    desk.assign(session, settings=settings, claim_id=claim.id, assignee_id=users["checker"].id, user=users["editor"])
    assert session.exec(select(Notification)).one().email_status == notes.PENDING
    assert notes.send_pending(session, settings=settings, queue=queue_for(app)) == 0
    assert session.exec(select(Notification)).one().email_status is None
    assert session.exec(select(Job)).all() == []



def test_due_soon_command(app, session, users):
    from datetime import datetime, timezone

    [claim] = _claims(session, state="in_progress", assignee_id=users["checker"].id)
    claim.due_date = datetime.now(timezone.utc).date()
    session.add(claim)
    session.commit()
    result = app.test_cli_runner().invoke(args=["factcheck", "notifications", "due-soon"])
    assert result.exit_code == 0, result.output
    assert "1 due-soon notification(s) made; 0 email(s) queued." in result.output
    assert [n.kind for n in _inbox(session, users["checker"])] == [notes.DUE_SOON]
