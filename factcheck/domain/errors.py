"""Domain exceptions; the web and API layers map them to HTTP statuses."""


class DomainError(Exception):
    """Base class; ``str(err)`` is a message fit to show a user."""


class ValidationFailed(DomainError):
    """Input is invalid (HTTP 400/422). ``errors`` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class NotFound(DomainError):
    """The object does not exist (HTTP 404)."""


class Forbidden(DomainError):
    """The user's role or relation to the object does not allow this (HTTP 403)."""


class InvalidTransition(DomainError):
    """The workflow does not allow this action in the claim's state (HTTP 409)."""


class Conflict(DomainError):
    """The request conflicts with the current data (HTTP 409)."""
