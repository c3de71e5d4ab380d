"""Login, logout, and the one decorator that checks roles for pages."""
from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from factcheck.web.context import db_session
from factcheck.domain.permissions import has_permission
from factcheck.extensions import limiter
from factcheck.services import users as user_service

if TYPE_CHECKING:
    from factcheck.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")


class LoginUser:
    """Adapter between a ``User`` row and Flask-Login."""

    def __init__(self, user: User):
        self.user = user
        self.id = user.id
        self.email = user.email
        self.name = user.name
        self.role = user.role

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.user.is_active

    def get_id(self) -> str:
        return str(self.user.id)

    def can(self, permission: str) -> bool:
        return has_permission(self.role, permission)


def init_login_manager(manager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "Please log in to continue."
    manager.login_message_category = "info"

    @manager.user_loader
    def load_user(user_id: str):
        user = user_service.get_active_user(db_session(), int(user_id)) if user_id.isdigit() else None
        return LoginUser(user) if user is not None else None


def current_db_user() -> User:
    """The logged-in user's row (for services)."""
    return current_user.user


def require(permission: str):
    """Require login and a permission; the single place page role checks happen."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not has_permission(current_user.role, permission):
                abort(403, description="Your role does not allow this.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: never redirect to another host after login.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("claims.queue")


@bp.route("/login", methods=("GET", "POST"))
@limiter.limit(lambda: current_app.config["SETTINGS"].login_rate_limit, methods=["POST"])
def login():
    """Log a user in with email and password."""
    if request.method == "POST":
        user = user_service.authenticate(db_session(), email=request.form.get("email", ""),
                                         password=request.form.get("password", ""))
        if user is None:
            flash("Wrong email or password.", "error")
            return render_template("auth/login.html", email=request.form.get("email", "")), 401
        login_user(LoginUser(user), remember=bool(request.form.get("remember")))
        return redirect(_safe_next(request.args.get("next")), code=303)
    return render_template("auth/login.html", email="")


# ``/login`` is where people (and password managers) look first; the page lives under /auth.
short_login = Blueprint("short_login", __name__)


@short_login.get("/login")
def login_shortcut():
    """Send ``/login`` to the login page, keeping ``next``."""
    target = request.args.get("next")
    return redirect(url_for("auth.login", next=target) if target else url_for("auth.login"), code=302)


@bp.route("/logout", methods=("POST",))
def logout():
    """Log out (POST only, so a link on another site cannot log you out)."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"), code=303)
