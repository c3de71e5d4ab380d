"""The queue and the claim page, with htmx fragments for each panel."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for

from factcheck.web.context import db_session
from factcheck.web.public import claim_review_for
from factcheck.domain.errors import InvalidTransition, StaleWrite
from factcheck.domain.workflow import Action
from factcheck.services import claim_page as claim_page_service
from factcheck.services.claim_page import PANEL_NEEDS
from factcheck.services import claims as claim_service
from factcheck.services import desk as desk_service
from factcheck.services import evidence_archive as archive_service
from factcheck.services import publishing as publishing_service
from factcheck.services import desk_queue as queue_service
from factcheck.services import matching as matching_service
from factcheck.services import users as user_service
from factcheck.services.versions import parse_version
from factcheck.jobs import queue_for
from factcheck.web.auth import current_db_user, require
from factcheck.web.htmx import is_htmx, render, trigger
from factcheck.web.jobs import archived_text_response

bp = Blueprint("claims", __name__)

QUEUE_VIEWS = {"pool": "Unassigned", "mine": "Assigned to me", "review": "Review", "all": "All claims"}

# What a change on the claim page announces (HX-Trigger). Each panel lists in its hx-trigger the events it
# depends on and fetches itself again (``panel``), so panels stay true without reloading the page. The panel
# a change was made in is swapped by the answer itself and does not listen for that change's events.
CLAIM_CHANGED = "claimChanged"  # anything at all: the history, the workflow buttons, the assignment
WORKFLOW_CHANGED = "workflowChanged"  # state or holder: who may do what in every panel, the status line, comments
WORDING_CHANGED = "wordingChanged"  # the standalone wording: its matches were searched again
# Only the history and the workflow buttons: never the verdict form someone may be typing in.
VERDICT_SAVED = "verdictSaved"
WORKFLOW_EVENTS = (CLAIM_CHANGED, WORKFLOW_CHANGED)
#: The panels the claim page is made of; each has a template ``claims/_<name>.html`` that serves the page and
#: its own refresh.
PANELS = ("summary", "wording", "matches", "evidence", "verdict", "comments", "workflow", "assignment", "history")


@bp.get("/")
@require("claims.view")
def home():
    """Start at the queue."""
    return redirect(url_for("claims.queue"))


@bp.get("/queue")
@require("claims.view")
def queue():
    """The queue: tabs, filters, sorting and paging, flat or grouped by article; htmx re-renders only the results."""
    session, user = db_session(), current_db_user()
    query = queue_service.parse_query(request.args)
    result = queue_service.page(session, query, user=user, today=datetime.now(timezone.utc).date())
    everyone = user_service.people(session)
    return render("claims/queue.html", "claims/_results.html", result=result, query=result.query,
                  views=QUEUE_VIEWS, counts=queue_service.counts(session, user=user, shown=result),
                  users=user_service.display_names(session, everyone),
                  choices=queue_service.filter_choices(session, everyone),
                  bulk_actions=desk_service.BULK_ACTIONS, assignable=desk_service.assignable_users(session, everyone),
                  due_filters=queue_service.DUE, sorts=queue_service.SORTS, claim_types=queue_service.CLAIM_TYPES,
                  priorities=queue_service.PRIORITIES)


@bp.post("/queue/take")
@require("claims.work")
def queue_take():
    """Take the next claim from the pool and open it."""
    claim = claim_service.take_next(db_session(), user=current_db_user())
    if claim is None:
        flash("The queue is empty: every claim is taken.", "info")
        return redirect(url_for("claims.queue"), code=303)
    flash("The claim is yours now.", "success")
    return redirect(url_for("claims.detail", claim_id=claim.id), code=303)


def _context(claim_id: int, needs: tuple[str, ...] | None = None) -> dict:
    """The claim page's context: all of it (``needs`` None: the page itself), or only the names in ``needs``."""
    session, user = db_session(), current_db_user()
    claim = claim_service.get_claim(session, claim_id)
    return {"claim": claim, "errors": {}, "conflict": None, "mine": {},
            **claim_page_service.page_context(session, claim, user, needs)}


def _fragment_needs(fragment: str) -> tuple[str, ...] | None:
    """``claims/_<panel>.html`` -> what that panel needs; None (everything) for any other template."""
    name = fragment.removeprefix("claims/_").removesuffix(".html")
    return PANEL_NEEDS.get(name) if fragment.startswith("claims/_") else None


def _panel(claim_id: int, fragment: str, events: tuple[str, ...] = (CLAIM_CHANGED,), status: int = 200, **extra):
    """After a change: the fragment for htmx, announcing ``events`` to the other panels; without JS, a redirect
    to the claim page."""
    if not is_htmx():
        return redirect(url_for("claims.detail", claim_id=claim_id), code=303)
    response = make_response(render_template(fragment, **(_context(claim_id, _fragment_needs(fragment)) | extra)),
                             status)
    return trigger(response, *events)


def _conflict(claim_id: int, fragment: str, error: StaleWrite, mine: dict, **extra):
    """A stale write: show what the user typed beside what is saved now (409), so nothing typed is lost.

    htmx swaps the panel's fragment; without JS the whole claim page is shown
    (not a redirect, which would drop the typed text).
    """
    template = fragment if is_htmx() else "claims/detail.html"
    context = _context(claim_id, _fragment_needs(template)) | {"conflict": error, "mine": mine, **extra}
    return make_response(render_template(template, **context), 409)


@bp.get("/claims/<id:claim_id>")
@require("claims.view")
def detail(claim_id: int):
    """Show a claim with its article context, matches, evidence, verdict, comments and history."""
    return render_template("claims/detail.html", **_context(claim_id))


@bp.get("/claims/<id:claim_id>/panels/<name>")
@require("claims.view")
def panel(claim_id: int, name: str):
    """Re-render one panel of the claim page (htmx refresh after a change elsewhere)."""
    if name not in PANELS:
        return ("Unknown panel", 404)
    return render_template(f"claims/_{name}.html", **_context(claim_id, PANEL_NEEDS[name]))


@bp.post("/claims/<id:claim_id>/transitions")
@require("claims.work")
def transition(claim_id: int):
    """Apply a workflow action (take, submit, approve, publish, ...).

    Publishing from a page needs the preview's confirmation: without it the request goes to the preview.
    """
    if request.form.get("action") == "publish" and request.form.get("confirmed") != "1":
        target = url_for("claims.publish_preview", claim_id=claim_id)
        if is_htmx():
            response = make_response("", 200)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target, code=303)
    claim_service.transition(
        db_session(), claim_id=claim_id, action=request.form.get("action", ""), user=current_db_user(),
        comment=request.form.get("comment", ""),
        duplicate_of_claim_id=request.form.get("duplicate_of_claim_id", type=int),
        duplicate_of_fact_check_id=request.form.get("duplicate_of_fact_check_id", type=int),
        no_evidence_reason=request.form.get("no_evidence_reason", ""),
        settings=current_app.config["SETTINGS"],
    )
    if not is_htmx():
        flash("Done.", "success")
    # workflowChanged refreshes the verdict panel (whether it may be edited depends on the state); other
    # changes (evidence, matches, comments) leave it alone, so they never wipe out a verdict being typed.
    return _panel(claim_id, "claims/_workflow_response.html", events=WORKFLOW_EVENTS)


@bp.get("/claims/<id:claim_id>/duplicates")
@require("claims.view")
def duplicate_claims(claim_id: int):
    """Open claims that may state the same claim (htmx fragment of the matches panel)."""
    session = db_session()
    claim = claim_service.get_claim(session, claim_id)
    duplicates = matching_service.possible_duplicate_claims(session, settings=current_app.config["SETTINGS"],
                                                            claim=claim)
    return render_template("claims/_duplicate_claims.html", claim=claim, duplicates=duplicates,
                           users=user_service.display_names(session),
                           allowed=claim_service.allowed(session, claim, current_db_user()),
                           likely_label=lambda p: matching_service.calibration.label("fact_check", p, 0.0))


@bp.get("/claims/<id:claim_id>/matches/<id:match_id>/compare")
@require("claims.view")
def match_compare(claim_id: int, match_id: int):
    """The claim and a suggestion side by side (shared terms marked), with the confirm and duplicate buttons."""
    compared = matching_service.comparison(db_session(), claim_id=claim_id, match_id=match_id)
    return render_template("claims/compare.html", compared=compared, **_context(claim_id))


@bp.post("/claims/<id:claim_id>/matches/<id:match_id>")
@require("claims.work")
def match_decide(claim_id: int, match_id: int):
    """Confirm or reject a suggested match, or undo a decision (status ``suggested``); 409 with both decisions
    when it was decided since the page loaded."""
    decision = request.form.get("status", "")
    try:
        matching_service.decide_match(db_session(), claim_id=claim_id, match_id=match_id,
                                      user=current_db_user(), decision=decision,
                                      expected_version=parse_version(request.form.get("version")),
                                      settings=current_app.config["SETTINGS"])
    except StaleWrite as error:
        if not is_htmx():
            return _conflict(claim_id, "claims/detail.html", error, {"status": decision})
        view = matching_service.match_view(db_session(), claim_id, match_id)
        if view is None:
            raise  # what it pointed at is gone: the message alone, in the flash area
        context = _context(claim_id, PANEL_NEEDS["match"]) | {"conflict": error, "mine": {"status": decision}}
        return make_response(render_template("claims/_match.html", m=view, **context), 409)
    if not is_htmx() or request.form.get("from") == "history":
        if decision == "suggested":
            flash("Decision undone: the match is a suggestion again.", "success")
        return redirect(url_for("claims.detail", claim_id=claim_id), code=303)
    view = matching_service.match_view(db_session(), claim_id, match_id)
    context = _context(claim_id, PANEL_NEEDS["match"])
    return trigger(make_response(render_template("claims/_match.html", m=view, **context)), CLAIM_CHANGED)


@bp.post("/claims/<id:claim_id>/evidence")
@require("claims.work")
def evidence_create(claim_id: int):
    """Link evidence: a suggested passage or an external URL with a quote."""
    data = {name: request.form.get(name, "") for name in ("passage_id", "url", "quote", "stance", "note")}
    claim_service.add_evidence(db_session(), claim_id=claim_id, user=current_db_user(),
                               data={k: v for k, v in data.items() if v != ""}, queue=queue_for(current_app))
    return _panel(claim_id, "claims/_evidence.html")


@bp.post("/claims/<id:claim_id>/evidence/<id:evidence_id>/refetch")
@require("claims.work")
def evidence_refetch(claim_id: int, evidence_id: int):
    """Fetch a URL given as evidence again, as a new archived copy (the earlier copies stay)."""
    archive_service.refetch(db_session(), queue=queue_for(current_app), claim_id=claim_id, evidence_id=evidence_id,
                            user=current_db_user())
    if not is_htmx():
        flash("Fetching the page again.", "success")
    return _panel(claim_id, "claims/_evidence.html")


@bp.get("/claims/<id:claim_id>/evidence/<id:evidence_id>/archive")
@require("claims.view")
def evidence_archive_status(claim_id: int, evidence_id: int):
    """The archived copy's line for one piece of evidence (htmx polls it while the fetch is pending)."""
    session = db_session()
    claim = claim_service.get_claim(session, claim_id)
    return render_template("claims/_archive.html", claim=claim,
                           item=claim_service.evidence_item(session, claim_id, evidence_id),
                           a=archive_service.view_of(session, claim_id, evidence_id),
                           allowed=claim_service.allowed(session, claim, current_db_user()))


@bp.get("/claims/<id:claim_id>/evidence/<id:evidence_id>/archives/<id:archive_id>")
@require("claims.view")
def evidence_archived_text(claim_id: int, evidence_id: int, archive_id: int):
    """The text kept from a URL given as evidence, as plain text (never rendered as markup)."""
    copy = archive_service.archived_copy(db_session(), claim_id=claim_id, evidence_id=evidence_id,
                                         archive_id=archive_id)
    return archived_text_response(copy.text, f"claim-{claim_id}-evidence-{evidence_id}-copy-{archive_id}")


@bp.post("/claims/<id:claim_id>/evidence/<id:evidence_id>/delete")
@require("claims.work")
def evidence_delete(claim_id: int, evidence_id: int):
    """Remove a piece of evidence (409 with its current text when it was edited since the page loaded)."""
    try:
        claim_service.remove_evidence(db_session(), claim_id=claim_id, evidence_id=evidence_id,
                                      user=current_db_user(),
                                      expected_version=parse_version(request.form.get("version")))
    except StaleWrite as error:
        return _conflict(claim_id, "claims/_evidence.html", error, {"evidence_id": evidence_id, "removing": True})
    return _panel(claim_id, "claims/_evidence.html")


@bp.post("/claims/<id:claim_id>/evidence/<id:evidence_id>/edit")
@require("claims.work")
def evidence_edit(claim_id: int, evidence_id: int):
    """Change a piece of evidence's quote, stance or note (409 with both versions when it changed meanwhile)."""
    data = {name: request.form[name] for name in ("quote", "stance", "note") if name in request.form}
    try:
        claim_service.edit_evidence(db_session(), claim_id=claim_id, evidence_id=evidence_id,
                                    user=current_db_user(), data=data,
                                    expected_version=parse_version(request.form.get("version")))
    except StaleWrite as error:
        return _conflict(claim_id, "claims/_evidence.html", error, data | {"evidence_id": evidence_id})
    return _panel(claim_id, "claims/_evidence.html")


@bp.post("/claims/<id:claim_id>/verdict")
@require("claims.work")
def verdict_save(claim_id: int):
    """Save the verdict draft (or a correction of a published verdict)."""
    data = {name: request.form.get(name, "") for name in ("rating", "summary", "explanation")}
    try:
        claim_service.save_verdict(db_session(), settings=current_app.config["SETTINGS"], claim_id=claim_id,
                                   user=current_db_user(), data=data,
                                   expected_revision=parse_version(request.form.get("revision"), field="revision"))
    except StaleWrite as error:
        return _conflict(claim_id, "claims/_verdict.html", error, data)
    if not is_htmx():
        flash("Verdict saved.", "success")
    return _panel(claim_id, "claims/_verdict.html", events=(VERDICT_SAVED,), saved=True)


@bp.post("/claims/<id:claim_id>/comments")
@require("claims.work")
def comment_create(claim_id: int):
    """Add a comment."""
    claim_service.add_comment(db_session(), claim_id=claim_id, user=current_db_user(),
                              data={"body": request.form.get("body", "")})
    return _panel(claim_id, "claims/_comments.html")


@bp.post("/claims/<id:claim_id>/edit")
@require("claims.work")
def edit(claim_id: int):
    """Edit the standalone wording, claimant, priority or due date."""
    data = {name: request.form[name] for name in ("standalone_text", "claimant", "priority", "due_date")
            if name in request.form}
    try:
        claim_service.edit_claim(db_session(), settings=current_app.config["SETTINGS"], claim_id=claim_id,
                                 user=current_db_user(), data=data,
                                 expected_version=parse_version(request.form.get("version")))
    except StaleWrite as error:
        return _conflict(claim_id, "claims/_wording.html", error, data)
    if not is_htmx():
        flash("Claim updated.", "success")
    return _panel(claim_id, "claims/_wording.html", events=(CLAIM_CHANGED, WORDING_CHANGED))


@bp.get("/claims/<id:claim_id>/publish")
@require("claims.review")
def publish_preview(claim_id: int):
    """The public page and ClaimReview as they will be, with a button to confirm publication."""
    session, user = db_session(), current_db_user()
    claim = claim_service.get_claim(session, claim_id)
    if Action.PUBLISH not in claim_service.available_actions(session, claim, user):
        raise InvalidTransition("You cannot publish this claim now (it must be approved, and not checked by you).")
    check = publishing_service.preview(session, claim, now=datetime.now(timezone.utc))
    review = claim_review_for(check)
    return render_template("claims/publish_preview.html", claim=claim, check=check,
                           review_json=json.dumps(review, indent=2, ensure_ascii=False))


@bp.post("/claims/<id:claim_id>/wording")
@require("claims.work")
def wording_review(claim_id: int):
    """Accept the proposed standalone wording, or keep the sentence as written."""
    try:
        claim_service.review_wording(db_session(), settings=current_app.config["SETTINGS"], claim_id=claim_id,
                                     user=current_db_user(), decision=request.form.get("decision", ""),
                                     expected_version=parse_version(request.form.get("version")))
    except StaleWrite as error:
        return _conflict(claim_id, "claims/_wording.html", error, {})
    if not is_htmx():
        flash("Wording reviewed.", "success")
    return _panel(claim_id, "claims/_wording.html", events=(CLAIM_CHANGED, WORDING_CHANGED))
