"""Users, passwords and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from factcheck.domain.errors import Conflict, NotFound, ValidationFailed
from factcheck.domain.permissions import parse_role
from factcheck.models import ApiToken, User, utcnow

MIN_PASSWORD_LENGTH = 8
# Compared against when the email is unknown, so a login attempt takes the same
# time whether or not the account exists.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, *, email: str, password: str, role: str, name: str = "") -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ValidationFailed("Enter a valid email address.", {"email": "invalid"})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", {"password": "too short"}
        )
    try:
        role_value = parse_role(role).value
    except ValueError as exc:
        raise ValidationFailed(str(exc), {"role": "unknown"}) from None
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"A user with the email {email} already exists.")
    user = User(email=email, name=name.strip() or email.split("@")[0], role=role_value,
                password_hash=generate_password_hash(password))
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise NotFound(f"No user with the email {email}.")
    return user


def set_role(session: Session, *, user_id: int, role: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    try:
        user.role = parse_role(role).value
    except ValueError as exc:
        raise ValidationFailed(str(exc), {"role": "unknown"}) from None
    session.add(user)
    session.commit()
    return user


def set_password(session: Session, *, user_id: int, password: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", {"password": "too short"}
        )
    user.password_hash = generate_password_hash(password)
    session.add(user)
    session.commit()
    return user


def set_active(session: Session, *, user_id: int, active: bool) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    user.is_active = active
    session.add(user)
    session.commit()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.email)).all())


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, user: User, name: str = "") -> str:
    """Create an API token and return it; only its hash is stored."""
    token = "fc_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_hash_token(token)))
    session.commit()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.exec(
        select(ApiToken).where(ApiToken.token_hash == _hash_token(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    row.last_used_at = utcnow()
    session.add(row)
    session.commit()
    return user


def revoke_tokens(session: Session, *, user: User) -> int:
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = utcnow()
        session.add(row)
    session.commit()
    return len(rows)


def get_active_user(session: Session, user_id: int) -> User | None:
    """The user with this id if it exists and may log in (``None`` otherwise)."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def email_of(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.email if user else None


@dataclass(frozen=True)
class Person:
    """A user as pages name and list them: five columns, not the whole row (no password hash)."""

    id: int
    email: str
    name: str
    role: str
    is_active: bool


def people(session: Session) -> list[Person]:
    """Every user, in one query: a page reads its names, filters and pickers from this one list."""
    return [Person(*row) for row in session.exec(select(User.id, User.email, User.name, User.role, User.is_active))]


def display_names(session: Session, everyone: list[Person] | None = None) -> dict[int, str]:
    """Every user's display name (their name, else their email) by id (from ``everyone`` when given)."""
    return {u.id: (u.name or u.email) for u in (people(session) if everyone is None else everyone)}


def emails_by_id(session: Session) -> dict[int, str]:
    """Every user's email by id (how the API names users)."""
    return {u.id: u.email for u in session.exec(select(User)).all()}
