"""Small helpers for htmx requests and responses."""
from __future__ import annotations

from flask import make_response, render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(page_template: str, fragment_template: str | None = None, status: int = 200, **context):
    """Render the whole page, or only the fragment for a non-boosted htmx request.

    ``Vary: HX-Request`` keeps caches from serving a fragment as a page.
    """
    template = fragment_template if fragment_template and is_htmx() else page_template
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def trigger(response, event: str):
    """Ask the page to refresh widgets listening for ``event``."""
    existing = response.headers.get("HX-Trigger")
    response.headers["HX-Trigger"] = f"{existing}, {event}" if existing else event
    return response
