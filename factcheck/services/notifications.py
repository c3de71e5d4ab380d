"""Notifications: in the app (a count in the header, a list, mark read) and by email.

Services that change a claim call ``notify`` in the same transaction as the change, so a
notification exists exactly when its change does. Email goes out afterwards: ``send_pending``
turns the pending emails into one background job (huey, like the app's other jobs); the job sends
each through SMTP, retrying a failed connection, and records per notification whether it went.
"""
from __future__ import annotations

import re
import smtplib
import time
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage

from sqlalchemy import func, update
from sqlmodel import Session, select

from factcheck.config import Settings
from factcheck.domain.errors import NotFound, ValidationFailed
from factcheck.models import Claim, Notification, NotificationPreference, User, utcnow
from factcheck.services import jobs
from factcheck.services.jobs import EMAIL_JOB

ASSIGNED = "assigned"
RETURNED = "returned"
APPROVED = "approved"
PUBLISHED = "published"
MENTIONED = "mentioned"
DUE_SOON = "due_soon"
HANDED_BACK = "handed_back"

#: kind -> what the preferences page calls it
KINDS: dict[str, str] = {
    ASSIGNED: "A claim is assigned to me",
    RETURNED: "A claim I checked is sent back from review",
    APPROVED: "A claim I checked is approved",
    PUBLISHED: "A claim I checked is published",
    MENTIONED: "Someone mentions me (@name) in a comment",
    DUE_SOON: "A claim I hold is due soon",
    HANDED_BACK: "A checker hands back a claim I assigned",
}

PENDING, QUEUED, SENT, FAILED = "pending", "queued", "sent", "failed"
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][\w.\-]*)")


@dataclass(frozen=True)
class Preference:
    kind: str
    label: str
    in_app: bool
    email: bool


def preferences(session: Session, user_id: int) -> list[Preference]:
    stored = {p.kind: p for p in session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)).all()}
    return [Preference(kind, label, stored[kind].in_app if kind in stored else True,
                       stored[kind].email if kind in stored else True) for kind, label in KINDS.items()]


def save_preferences(session: Session, *, user_id: int, in_app: set[str], email: set[str]) -> None:
    """Store which kinds the user receives in the app and by email (the kinds not named are off)."""
    unknown = (in_app | email) - set(KINDS)
    if unknown:
        raise ValidationFailed(f"Unknown kind of notification: {', '.join(sorted(unknown))}.", {"kind": "unknown"})
    stored = {p.kind: p for p in session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)).all()}
    for kind in KINDS:
        row = stored.get(kind) or NotificationPreference(user_id=user_id, kind=kind)
        row.in_app, row.email = kind in in_app, kind in email
        session.add(row)
    session.commit()


def notify(session: Session, *, user_ids, kind: str, message: str, claim_id: int | None = None,
           actor_id: int | None = None, dedupe_key: str | None = None) -> list[Notification]:
    """Add a notification for each user who wants this kind (not the actor: nobody is told of their own act).

    Not committed here: it belongs to the caller's transaction.
    """
    assert kind in KINDS, kind
    targets = {uid for uid in user_ids if uid is not None and uid != actor_id}
    if not targets:
        return []
    prefs = {(p.user_id): p for p in session.exec(
        select(NotificationPreference).where(NotificationPreference.kind == kind,
                                             NotificationPreference.user_id.in_(targets))).all()}
    active = set(session.exec(select(User.id).where(User.id.in_(targets), User.is_active)).all())
    made = []
    for user_id in sorted(targets & active):
        pref = prefs.get(user_id)
        in_app, email = (pref.in_app, pref.email) if pref else (True, True)
        # Marked pending whatever the configuration: send_pending drops the mark when SMTP is off.
        wants_email = email
        if not (in_app or wants_email):
            continue
        if dedupe_key and session.exec(select(Notification.id).where(
                Notification.user_id == user_id, Notification.dedupe_key == dedupe_key)).first():
            continue
        note = Notification(user_id=user_id, kind=kind, claim_id=claim_id, actor_id=actor_id, message=message[:1000],
                            dedupe_key=dedupe_key, email_status=PENDING if wants_email else None, in_app=in_app)
        session.add(note)
        made.append(note)
    return made


def mentioned_users(session: Session, body: str) -> set[int]:
    """Users named as @handle in a text; a handle is the part of the email before the @, or the name without spaces."""
    handles = {h.lower().rstrip(".") for h in _MENTION.findall(body)}
    if not handles:
        return set()
    found = set()
    for user_id, email, name in session.exec(select(User.id, User.email, User.name).where(User.is_active)).all():
        names = {email.split("@")[0].lower(), (name or "").replace(" ", "").lower()}
        if handles & (names - {""}):
            found.add(user_id)
    return found


def unread_count(session: Session, user_id: int) -> int:
    return session.exec(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.in_app, Notification.read_at.is_(None))).one()


def inbox(session: Session, user_id: int, *, limit: int = 100) -> list[tuple[Notification, Claim | None]]:
    rows = session.exec(
        select(Notification, Claim).join(Claim, Notification.claim_id == Claim.id, isouter=True)
        .where(Notification.user_id == user_id, Notification.in_app)
        .order_by(Notification.id.desc()).limit(limit)
    ).all()
    return [(n, c) for n, c in rows]


def mark_read(session: Session, *, user_id: int, notification_id: int | None = None) -> int:
    """Mark one notification (or all) of the user as read; returns how many changed."""
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        note = session.get(Notification, notification_id)
        if note is None or note.user_id != user_id:
            raise NotFound("No such notification.")
        statement = statement.where(Notification.id == notification_id)
    changed = session.execute(statement.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    session.commit()
    return changed


def refresh_due_soon(session: Session, *, settings: Settings, today: date, user_id: int | None = None) -> int:
    """Tell assignees about their claims due within ``due_soon_days`` (once per claim and due date).

    Run by the notifications page and header for the user looking, and by ``factcheck notifications
    due-soon`` (cron) for everyone.
    """
    from factcheck.domain.workflow import State

    horizon = today + timedelta(days=settings.due_soon_days)
    statement = select(Claim.id, Claim.assignee_id, Claim.due_date, Claim.standalone_text).where(
        Claim.state.in_([State.IN_PROGRESS.value]), Claim.due_date.is_not(None),
        Claim.due_date <= horizon, Claim.due_date >= today, Claim.assignee_id.is_not(None))
    if user_id is not None:
        statement = statement.where(Claim.assignee_id == user_id)
    made = 0
    for claim_id, assignee_id, due, text in session.exec(statement).all():
        when = "today" if due == today else f"on {due.isoformat()}"
        made += len(notify(session, user_ids=[assignee_id], kind=DUE_SOON, claim_id=claim_id,
                           message=f"Claim #{claim_id} is due {when}: {text[:120]}",
                           dedupe_key=f"due_soon:{claim_id}:{due.isoformat()}"))
    if made:
        session.commit()
    return made


# ---- email -----------------------------------------------------------------------------------------


def send_pending(session: Session, *, settings: Settings, queue: jobs.Queue) -> int:
    """Queue one job sending every pending email; returns how many it carries.

    With SMTP off, pending marks are dropped instead: turning email on later does not send old news.
    """
    if not settings.email_enabled:
        dropped = session.execute(update(Notification).where(Notification.email_status == PENDING)
                                  .values(email_status=None).execution_options(synchronize_session=False)).rowcount
        if dropped:
            session.commit()
        return 0
    ids = list(session.exec(select(Notification.id).where(Notification.email_status == PENDING)
                            .order_by(Notification.id).limit(500)).all())
    if not ids:
        return 0
    # Conditional, so two requests finishing at once do not send the same email twice.
    session.execute(update(Notification).where(Notification.id.in_(ids), Notification.email_status == PENDING)
                    .values(email_status=QUEUED).execution_options(synchronize_session=False))
    session.commit()
    claimed = list(session.exec(select(Notification.id).where(Notification.id.in_(ids),
                                                               Notification.email_status == QUEUED)).all())
    if claimed:
        jobs.submit(session, queue=queue, kind=EMAIL_JOB, payload={"notification_ids": claimed}, actor_id=None)
    return len(claimed)


def _message(settings: Settings, note: Notification, recipient: str, base_url: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = recipient
    email["Subject"] = f"[{settings.organization_name}] {KINDS[note.kind]}"
    link = f"\n\n{base_url.rstrip('/')}/claims/{note.claim_id}" if note.claim_id and base_url else ""
    email.set_content(f"{note.message}{link}\n\nChoose what you receive under Notifications in the app.\n")
    return email


def _connect(settings: Settings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    if settings.smtp_starttls:
        smtp.starttls()
    if settings.smtp_username:
        smtp.login(settings.smtp_username, settings.smtp_password)
    return smtp


def run_email_job(session: Session, *, settings: Settings, job: jobs.JobInput, progress) -> jobs.JobOutcome:
    """The ``send_emails`` job: send each queued email, retrying the SMTP connection ``email_attempts`` times."""
    ids = [int(i) for i in job.payload.get("notification_ids", [])]
    rows = session.exec(select(Notification, User).join(User, Notification.user_id == User.id)
                        .where(Notification.id.in_(ids), Notification.email_status.in_([QUEUED, FAILED]))).all()
    if not settings.email_enabled:
        raise ValidationFailed("Email is not configured (FACTCHECK_SMTP_HOST is empty).")
    progress(5, f"Sending {len(rows)} email(s)")
    last_error: Exception | None = None
    for attempt in range(1, max(settings.email_attempts, 1) + 1):
        waiting = [(n, u) for n, u in rows if n.email_status != SENT]
        if not waiting:
            break
        try:
            with _connect(settings) as smtp:
                for note, user in waiting:
                    try:
                        smtp.send_message(_message(settings, note, user.email, settings.public_base_url))
                    except smtplib.SMTPRecipientsRefused as exc:
                        # This address will not work on a retry either: record it and go on.
                        note.email_status, note.email_error = FAILED, f"refused: {exc.recipients}"[:1000]
                    else:
                        note.email_status, note.email_error = SENT, None
                    session.add(note)
            last_error = None
        except (OSError, smtplib.SMTPException) as exc:
            last_error = exc
            progress(10, f"Attempt {attempt} failed ({type(exc).__name__}); retrying")
            if attempt < settings.email_attempts:
                time.sleep(settings.email_retry_delay)
    sent = sum(1 for n, _u in rows if n.email_status == SENT)
    if last_error is not None:
        for note, _user in rows:
            if note.email_status != SENT:
                note.email_status, note.email_error = FAILED, f"{type(last_error).__name__}: {last_error}"[:1000]
                session.add(note)
        session.commit()
        raise ValidationFailed(f"Could not reach the mail server after {settings.email_attempts} attempts "
                               f"({type(last_error).__name__}: {last_error}); {sent} of {len(rows)} sent.")
    session.commit()
    return jobs.JobOutcome(result_kind="email", result_id=job.id, message=f"Sent {sent} of {len(rows)} email(s)")


JOB_HANDLERS: dict[str, jobs.Handler] = {EMAIL_JOB: run_email_job}
