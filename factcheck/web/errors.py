"""Map errors to responses: JSON for the API, pages or fragments for the UI."""
from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from factcheck.web.context import rollback
from factcheck.domain.errors import (Conflict, DomainError, Forbidden, InvalidTransition, NotFound, StaleWrite,
                                     TooManyJobs, Unavailable,
                                     ValidationFailed)

STATUS_FOR = {ValidationFailed: 422, NotFound: 404, Forbidden: 403, InvalidTransition: 409, Conflict: 409,
              TooManyJobs: 429, Unavailable: 503}


def status_for(error: DomainError) -> int:
    for kind, status in STATUS_FOR.items():
        if isinstance(error, kind):
            return status
    return 400


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _respond(status: int, message: str, errors: dict | None = None, extra: dict | None = None):
    if wants_json():
        body = {"error": message, "status": status}
        if errors:
            body["errors"] = errors
        body.update(extra or {})
        return jsonify(body), status
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true":
        # An htmx fragment request: show the message in the page's flash area
        # instead of swapping it into the panel that asked.
        response = make_response(render_template("errors/_message.html", status=status, message=message), status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render_template("errors/page.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        rollback()
        if isinstance(error, StaleWrite):
            from factcheck.services.versions import etag
            from factcheck.web.presenters import stale_write_json

            response = make_response(_respond(409, str(error), extra=stale_write_json(error)))
            if wants_json():
                response.headers["ETag"] = etag(error.current_version)
            return response
        # Some errors carry more for the API (a duplicate article names its earlier copy).
        return _respond(status_for(error), str(error), getattr(error, "errors", None), getattr(error, "details", None))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _respond(400, f"The form's security token is missing or expired ({error.description}). "
                             "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429:
            return _respond(429, "Too many attempts; wait a minute and try again.")
        if error.code == 413:
            return _respond(413, "The upload is too large.")
        return _respond(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # Keep the session usable and never leak internals to the client.
        app.logger.exception("Unhandled error")
        rollback()
        return _respond(500, "Something went wrong on our side; the error was logged.")
