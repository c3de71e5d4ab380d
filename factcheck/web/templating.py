"""Template globals and filters."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from factcheck.domain.ratings import parse_rating_scale
from factcheck.domain.workflow import ACTION_LABELS, STATE_LABELS, Action, State


def _state_label(value: str) -> str:
    try:
        return STATE_LABELS[State(value)]
    except ValueError:
        return value


def _action_label(value) -> str:
    try:
        return ACTION_LABELS[Action(value)]
    except ValueError:
        return str(value)


def _when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _score_class(score: float) -> str:
    return "high" if score >= 0.75 else "medium" if score >= 0.5 else "low"


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    scale = parse_rating_scale(settings.rating_scale)
    app.jinja_env.filters.update(state_label=_state_label, action_label=_action_label, when=_when,
                                 score_class=_score_class)
    app.jinja_env.globals.update(
        rating_scale=scale,
        organization_name=settings.organization_name,
        STATES=[s.value for s in State],
        HTMX_VERSION="2.0.11",
    )
