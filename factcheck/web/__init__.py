"""HTTP layer: blueprints for pages, htmx fragments, the public site and the JSON API."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from factcheck.web import admin, api, articles, auth, claims, library, public

    app.register_blueprint(auth.bp)
    app.register_blueprint(articles.bp)
    app.register_blueprint(claims.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
