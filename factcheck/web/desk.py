"""The desk's actions on claims: assign and reassign (bulk actions join here)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, render_template, request, url_for

from factcheck.services import desk as desk_service
from factcheck.web.auth import current_db_user, require
from factcheck.web.claims import WORKFLOW_EVENTS, _panel
from factcheck.web.context import db_session
from factcheck.web.htmx import is_htmx

bp = Blueprint("desk", __name__)


@bp.post("/claims/<id:claim_id>/assign")
@require("claims.assign")
def assign(claim_id: int):
    """Assign or reassign the claim to a named person, with a note."""
    claim = desk_service.assign(db_session(), settings=current_app.config["SETTINGS"], claim_id=claim_id,
                                assignee_id=request.form.get("assignee_id", type=int), user=current_db_user(),
                                note=request.form.get("note", ""), today=datetime.now(timezone.utc).date())
    if not is_htmx():
        flash("Assigned.", "success")
    return _panel(claim.id, "claims/_assignment.html", events=WORKFLOW_EVENTS)


def _safe_back(target: str | None) -> str:
    # Only back to the queue on this site, with its filters.
    if target and target.startswith("/queue") and "//" not in target and "\\" not in target:
        return target
    return url_for("claims.queue")


@bp.post("/queue/bulk")
@require("claims.assign")
def bulk():
    """Apply one action to the selected claims in one transaction and report what could not change."""
    report = desk_service.bulk(
        db_session(), settings=current_app.config["SETTINGS"], user=current_db_user(),
        claim_ids=request.form.getlist("claim_ids"), action=request.form.get("action", ""),
        params={name: request.form.get(name, "") for name in
                ("assignee_id", "priority", "due_date", "note", "duplicate_of_claim_id")},
        today=datetime.now(timezone.utc).date())
    return render_template("claims/bulk_report.html", report=report, label=desk_service.BULK_ACTIONS[report.action],
                           back=_safe_back(request.form.get("back")))
