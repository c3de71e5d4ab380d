"""Roles and what each may do: the one place where role checks are decided."""
from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    CHECKER = "checker"
    EDITOR = "editor"
    ADMIN = "admin"


# Each role includes the powers of the roles before it.
_RANK = {Role.CHECKER: 1, Role.EDITOR: 2, Role.ADMIN: 3}

#: permission -> lowest role that holds it
PERMISSIONS: dict[str, Role] = {
    "claims.view": Role.CHECKER,
    "claims.work": Role.CHECKER,  # take, edit, link evidence, draft verdicts, comment
    "articles.create": Role.CHECKER,
    "library.edit": Role.CHECKER,  # add earlier fact-checks and source documents
    "claims.review": Role.EDITOR,  # approve, send back, publish, correct
    "claims.assign": Role.EDITOR,  # assign or release someone else's claim
    "claims.reopen": Role.EDITOR,
    "dashboard.view": Role.EDITOR,  # the desk's figures: throughput, time in state, load
    "users.manage": Role.ADMIN,
}

ROLES = [r.value for r in Role]


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValueError(f"Unknown role {value!r}; use one of: {', '.join(ROLES)}.") from None


def has_permission(role: str | Role, permission: str) -> bool:
    """True when ``role`` holds ``permission``; unknown permissions are denied."""
    needed = PERMISSIONS.get(permission)
    if needed is None:
        return False
    try:
        return _RANK[Role(role)] >= _RANK[needed]
    except ValueError:
        return False
