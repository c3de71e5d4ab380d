"""Notifications: the header count, the list, mark read, each user's choices; and handing emails to the worker."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from factcheck.jobs import queue_for
from factcheck.services import notifications as note_service
from factcheck.web.auth import current_db_user, require
from factcheck.web.context import db_session
from factcheck.web.htmx import is_htmx, trigger

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _unread():
    """The unread count in the header, for every logged-in page (one indexed count)."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    return {"unread_notifications": lambda: note_service.unread_count(db_session(), current_user.id)}


@bp.after_app_request
def _send_emails(response):
    """After a change, hand any emails it caused to the background worker (or drop them when SMTP is off)."""
    if request.method == "POST" and response.status_code < 400 and getattr(current_user, "is_authenticated", False):
        settings = current_app.config["SETTINGS"]
        try:
            note_service.send_pending(db_session(), settings=settings, queue=queue_for(current_app))
        except Exception:  # noqa: BLE001 - the change itself succeeded; the emails stay pending for the next request
            current_app.logger.exception("Could not queue notification emails")
            db_session().rollback()
    return response


@bp.get("/")
@require("claims.view")
def index():
    """My notifications, newest first, with my choices of what to receive."""
    session, user = db_session(), current_db_user()
    note_service.refresh_due_soon(session, settings=current_app.config["SETTINGS"],
                                  today=datetime.now(timezone.utc).date(), user_id=user.id)
    return render_template("notifications/index.html", notes=note_service.inbox(session, user.id),
                           preferences=note_service.preferences(session, user.id),
                           email_enabled=current_app.config["SETTINGS"].email_enabled)


@bp.post("/read")
@require("claims.view")
def mark_all_read():
    """Mark every notification read."""
    note_service.mark_read(db_session(), user_id=current_db_user().id)
    if is_htmx():
        return trigger(redirect(url_for("notifications.index"), code=303), "notificationsChanged")
    return redirect(url_for("notifications.index"), code=303)


@bp.post("/<id:notification_id>/read")
@require("claims.view")
def mark_read(notification_id: int):
    """Mark one notification read (and open its claim when asked to)."""
    note_service.mark_read(db_session(), user_id=current_db_user().id, notification_id=notification_id)
    target = request.form.get("open_claim", type=int)
    if target:
        return redirect(url_for("claims.detail", claim_id=target), code=303)
    return redirect(url_for("notifications.index"), code=303)


@bp.post("/preferences")
@require("claims.view")
def preferences():
    """Save which kinds I receive in the app and by email."""
    note_service.save_preferences(db_session(), user_id=current_db_user().id,
                                  in_app=set(request.form.getlist("in_app")), email=set(request.form.getlist("email")))
    flash("Your notification choices are saved.", "success")
    return redirect(url_for("notifications.index"), code=303)
