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


def trigger(response, *events: str):
    """Ask the page to refresh the widgets listening for ``events`` (the ``HX-Trigger`` response header).

    The one place the header is set: widgets name the events they depend on in
    ``hx-trigger="<event> from:body"`` and fetch themselves again, so a change made in one
    panel never leaves another panel showing what was true before it.
    """
    names = [name for name in (response.headers.get("HX-Trigger") or "").split(", ") if name]
    names += [event for event in events if event not in names]
    response.headers["HX-Trigger"] = ", ".join(names)
    return response
