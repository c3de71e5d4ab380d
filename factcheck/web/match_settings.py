"""Matching thresholds per library (admins only)."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from factcheck.web.context import db_session, rollback
from factcheck.domain.errors import StaleWrite, ValidationFailed
from factcheck.jobs import queue_for
from factcheck.services import index_jobs
from factcheck.services import match_settings as service
from factcheck.services.versions import parse_version
from factcheck.services.matching import (
    KIND_PASSAGE,
    LIBRARIES,
    MIN_COSINE,
    MIN_WORDS_TO_AUTO_LINK,
)
from factcheck.web.auth import current_db_user, require

bp = Blueprint("match_settings", __name__, url_prefix="/admin/matching")

FIELDS = ("suggest_threshold", "same_claim_threshold", "auto_link_max_age_days")
#: Matching configuration is an administrator's decision: the permission only admins hold.
ADMIN = "users.manage"


def _page(errors: dict | None = None, failed: str | None = None, form: dict | None = None, status: int = 200,
          conflict: StaleWrite | None = None):
    settings, session = current_app.config["SETTINGS"], db_session()
    rows = service.all_library_settings(session, settings=settings)
    return render_template("admin/match_settings.html", rows=rows, errors=errors or {}, failed=failed,
                           form=form or {}, min_words=MIN_WORDS_TO_AUTO_LINK, never=service.NEVER,
                           defaults={r.library: service.defaults(settings, r.library) for r in rows},
                           older=service.rows_on_older_scale(session), scale_names=service.SCALE_NAMES,
                           implied={r.library: service.implied_figures(r.library, r.suggest_threshold) for r in rows},
                           tables=service.threshold_tables(),
                           passage_min_cosine=MIN_COSINE[KIND_PASSAGE],
                           versions={r.library: service.settings_version(session, r.library) for r in rows},
                           conflict=conflict, rebuild=index_jobs.running_rebuild(session)), status


@bp.get("")
@require(ADMIN)
def index():
    """Show each library's thresholds and safeguards."""
    return _page()


@bp.post("/<library>")
@require(ADMIN)
def update(library: str):
    """Change one library's thresholds."""
    if library not in LIBRARIES:
        return _page(status=404)
    form = {name: request.form.get(name, "") for name in FIELDS}
    try:
        service.update_library_settings(db_session(), settings=current_app.config["SETTINGS"], library=library,
                                        data=form, actor_id=current_db_user().id,
                                        expected_version=parse_version(request.form.get("version")))
    except StaleWrite as exc:
        # Someone saved this library's thresholds since the page loaded: show theirs beside what was typed.
        return _page(failed=library, form=form, status=409, conflict=exc)
    except ValidationFailed as exc:
        rollback()
        flash(str(exc), "error")
        return _page(errors=exc.errors, failed=library, form=form, status=422)
    flash(f"Thresholds for {library.replace('_', '-')}s saved.", "success")
    return redirect(url_for("match_settings.index"), code=303)


@bp.post("/indexes/rebuild")
@require(index_jobs.PERMISSION)
def rebuild_indexes():
    """Rebuild the chosen libraries' search indexes in the background; show the job."""
    job = index_jobs.submit_rebuild(db_session(), queue=queue_for(current_app), user=current_db_user(),
                                    library=request.form.get("library", index_jobs.ALL))
    return redirect(url_for("jobs.detail", job_id=job.id), code=303)


@bp.record_once
def _warn_about_stale_vectors(state) -> None:
    """At start: say so when stored vectors are of another model or variant than the active one.

    Registered with the blueprint because registration is the one moment every
    app (web, CLI, tests) passes through once, after its settings are known.
    """
    import logging

    from factcheck.services.matching import variant_warnings_at_start

    warnings = variant_warnings_at_start(state.app.extensions["factcheck.engine"],
                                         settings=state.app.config["SETTINGS"])
    for warning in warnings:
        logging.getLogger("factcheck.matching").warning(warning)
