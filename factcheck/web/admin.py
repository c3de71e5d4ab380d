"""User administration (admins only)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from factcheck.web.context import db_session
from factcheck.domain.errors import Conflict, ValidationFailed
from factcheck.domain.permissions import ROLES
from factcheck.services import users as user_service
from factcheck.web.auth import current_db_user, require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@require("users.manage")
def users():
    """List users with their roles."""
    return render_template("admin/users.html", users=user_service.list_users(db_session()), roles=ROLES,
                           form={"role": "checker"}, errors={})


@bp.post("/users")
@require("users.manage")
def users_create():
    """Create a user."""
    form = {name: request.form.get(name, "") for name in ("email", "name", "role", "password")}
    try:
        user_service.create_user(db_session(), email=form["email"], password=form["password"],
                                 role=form["role"], name=form["name"])
    except (ValidationFailed, Conflict) as exc:
        form["password"] = ""
        return render_template("admin/users.html", users=user_service.list_users(db_session()), roles=ROLES,
                               form=form, errors=getattr(exc, "errors", {}), message=str(exc)), \
            422 if isinstance(exc, ValidationFailed) else 409
    flash(f"User {form['email']} created.", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<id:user_id>")
@require("users.manage")
def users_update(user_id: int):
    """Change a user's role or deactivate/reactivate them."""
    session = db_session()
    if user_id == current_db_user().id:
        flash("You cannot change your own role or deactivate yourself.", "error")
        return redirect(url_for("admin.users"), code=303)
    if "role" in request.form:
        user_service.set_role(session, user_id=user_id, role=request.form["role"])
    if "active" in request.form:
        user_service.set_active(session, user_id=user_id, active=request.form["active"] == "1")
    flash("User updated.", "success")
    return redirect(url_for("admin.users"), code=303)
