"""Desk commands: tell assignees about claims due soon (run it from cron, e.g. hourly)."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from factcheck.commands._common import _Runtime, main, pass_runtime


@main.group("notifications")
def notifications_group() -> None:
    """Notifications of the desk."""


@notifications_group.command("due-soon")
@pass_runtime
def notifications_due_soon(runtime: _Runtime) -> None:
    """Notify assignees of claims due within FACTCHECK_DUE_SOON_DAYS (once per claim and due date), then email."""
    from factcheck.jobs import queue_for
    from factcheck.services import notifications

    with runtime.session() as session:
        made = notifications.refresh_due_soon(session, settings=runtime.settings,
                                              today=datetime.now(timezone.utc).date())
        queued = notifications.send_pending(session, settings=runtime.settings, queue=queue_for(runtime.app))
    click.echo(f"{made} due-soon notification(s) made; {queued} email(s) queued.")
