"""The request's unit of work, as views see it.

Views hand this session to services and never query it themselves: the
queries live in ``factcheck.services``, the serialisation in
``factcheck.web.presenters``. This is the only web module that knows where the
session comes from (``tests/test_architecture.py`` checks it).
"""
from __future__ import annotations

from factcheck.db import get_session


def db_session():
    """The request's session, opened on first use and closed at teardown; pass it to services."""
    return get_session()


def rollback() -> None:
    """Drop whatever the request left uncommitted (after a refused or failed change)."""
    get_session().rollback()
