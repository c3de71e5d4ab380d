"""Articles: paste one in, see its claims highlighted."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from factcheck.db import get_session
from factcheck.domain.errors import ValidationFailed
from factcheck.services import articles as article_service
from factcheck.web.auth import current_db_user, require

bp = Blueprint("articles", __name__, url_prefix="/articles")

ARTICLE_FIELDS = ("title", "outlet", "url", "author", "published_at", "language", "text")


@bp.get("/")
@require("claims.view")
def index():
    """List ingested articles, newest first."""
    return render_template("articles/index.html", articles=article_service.list_articles(get_session()))


@bp.route("/new", methods=("GET", "POST"))
@require("articles.create")
def new():
    """Show the new-article form, or ingest the submitted article."""
    form = {name: request.form.get(name, "") for name in ARTICLE_FIELDS}
    if request.method == "GET":
        form["language"] = "en"
        return render_template("articles/new.html", form=form, errors={})
    try:
        article, claims = article_service.ingest_article(
            get_session(), settings=current_app.config["SETTINGS"],
            data={k: v for k, v in form.items() if v != ""} | {"text": form["text"]},
            actor_id=current_db_user().id)
    except ValidationFailed as exc:
        return render_template("articles/new.html", form=form, errors=exc.errors, message=str(exc)), 422
    flash(f"Found {len(claims)} checkable claim{'s' if len(claims) != 1 else ''}.", "success")
    return redirect(url_for("articles.detail", article_id=article.id), code=303)


@bp.get("/<id:article_id>")
@require("claims.view")
def detail(article_id: int):
    """Show the article text with its claims highlighted."""
    session = get_session()
    article = article_service.get_article(session, article_id)
    claims = article_service.claims_of(session, article_id)
    segments = article_service.highlighted_segments(article.text, claims)
    return render_template("articles/detail.html", article=article, claims=claims, segments=segments)
