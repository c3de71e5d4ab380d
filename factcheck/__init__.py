"""factcheck: a newsroom fact-checking tool.

``create_app()`` builds the Flask application from environment settings.
"""
from __future__ import annotations

import os
from typing import Any

from flask import Flask

from factcheck.config import RESOURCE_ROOT, Settings

# Never reach for the model hub at run time; models load from local paths.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the app; ``settings`` defaults to ``Settings.from_env()``."""
    settings = settings or Settings.from_env(**overrides)
    app = Flask(
        __name__,
        template_folder=str(RESOURCE_ROOT / "templates"),
        static_folder=str(RESOURCE_ROOT / "static"),
        instance_path=settings.instance_path,
    )
    register_config(app, settings)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_config(app: Flask, settings: Settings) -> None:
    if settings.proxy_fix_hops:
        # Behind a reverse proxy: client address (rate limits), scheme and host
        # (external URLs) come from its X-Forwarded-* headers.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_fix_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        # Every cookie is first-party only for state changes (the CSRF token is the main defence;
        # this one costs nothing). Secure is forced on in production (Settings).
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead of a clock
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
    )


def register_extensions(app: Flask) -> None:
    from factcheck import db
    from factcheck.extensions import csrf, limiter, login_manager
    from factcheck.web import auth

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    auth.init_login_manager(login_manager)


def register_blueprints(app: Flask) -> None:
    from factcheck.web import register_blueprints as register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from factcheck.web.errors import init_app

    init_app(app)


def register_security_headers(app: Flask) -> None:
    from factcheck.web.security import init_app

    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from factcheck.web.templating import init_app

    init_app(app)


def register_commands(app: Flask) -> None:
    from factcheck.cli import register

    register(app)
