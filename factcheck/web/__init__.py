"""HTTP layer: blueprints for pages, htmx fragments, the public site and the JSON API."""
from flask import Flask
from werkzeug.routing import IntegerConverter


MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """Row ids in URLs: positive and within a 32-bit integer, so a huge number is a 404, not a database error."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def register_blueprints(app: Flask) -> None:
    from factcheck.web import admin, api, articles, auth, claims, library, match_settings, public

    app.url_map.converters["id"] = IdConverter

    app.register_blueprint(auth.bp)
    app.register_blueprint(auth.short_login)
    app.register_blueprint(articles.bp)
    app.register_blueprint(claims.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(match_settings.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    from factcheck.web import jobs
    app.register_blueprint(jobs.bp)
    from factcheck.web import dashboard, desk, notifications
    app.register_blueprint(desk.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(notifications.bp)
