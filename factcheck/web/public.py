"""Public pages (no login): published verdicts, feeds, ClaimReview markup."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from factcheck.web.context import db_session
from factcheck.publishing.atom import AtomEntry, build_atom
from factcheck.publishing.claimreview import json_ld_script
from factcheck.services import publishing
from factcheck.web import presenters

bp = Blueprint("public", __name__, url_prefix="/checks")

PAGE_SIZE = 30


def review_url(claim_id: int) -> str:
    """The canonical public URL of a verdict (``FACTCHECK_PUBLIC_BASE_URL`` when set)."""
    base = current_app.config["SETTINGS"].public_base_url.rstrip("/")
    path = url_for("public.check", claim_id=claim_id)
    return f"{base}{path}" if base else url_for("public.check", claim_id=claim_id, _external=True)


def claim_review_for(check) -> dict:
    return publishing.claim_review(check, settings=current_app.config["SETTINGS"], review_url=review_url(check.claim.id))


@bp.get("/")
def index():
    """List published verdicts, newest first."""
    page = min(max(request.args.get("page", 1, type=int), 1), 10_000)
    checks = publishing.list_published(db_session(), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template("public/index.html", checks=checks[:PAGE_SIZE], page=page,
                           has_next=len(checks) > PAGE_SIZE)


@bp.get("/<id:claim_id>")
def check(claim_id: int):
    """The public verdict page, with ClaimReview JSON-LD."""
    published = publishing.get_published(db_session(), claim_id)
    review = claim_review_for(published)
    return render_template("public/check.html", check=published, review=review,
                           json_ld=json_ld_script(review), canonical_url=review_url(claim_id))


@bp.get("/feed.json")
def feed_json():
    """A JSON Feed (jsonfeed.org 1.1) of published verdicts, each carrying its ClaimReview."""
    checks = publishing.list_published(db_session(), limit=50)
    settings = current_app.config["SETTINGS"]
    items = [presenters.json_feed_item(item, claim_review_for(item)) for item in checks]
    return jsonify({
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"{settings.organization_name} fact-checks",
        "home_page_url": url_for("public.index", _external=True),
        "feed_url": url_for("public.feed_json", _external=True),
        "items": items,
    })


@bp.get("/feed.atom")
def feed_atom():
    """An Atom feed of published verdicts (built by lxml, so every text is escaped)."""
    checks = publishing.list_published(db_session(), limit=50)
    settings = current_app.config["SETTINGS"]
    body = build_atom(
        title=f"{settings.organization_name} fact-checks", feed_id=url_for("public.index", _external=True),
        home_url=url_for("public.index", _external=True), self_url=url_for("public.feed_atom", _external=True),
        author=settings.organization_name,
        entries=[AtomEntry(id=review_url(c.claim.id), title=f"{c.verdict.rating}: {c.claim.standalone_text}",
                           link=review_url(c.claim.id), published=c.claim.published_at,
                           updated=c.verdict.published_at, summary=c.verdict.summary) for c in checks])
    return Response(body, mimetype="application/atom+xml")
