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


class StaleWrite(Conflict):
    """A write named a version of a record that has been changed since (HTTP 409); nothing was written.

    Carries what the client needs to merge: the record as it is now
    (``current``), its ``current_version``, and who changed it last and when.
    """

    def __init__(self, message: str, *, kind: str, current_version: int, changed_by: str | None,
                 changed_at, current=None, expected_version: int | None = None, changed_by_email: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.changed_by_email = changed_by_email
        self.current_version = current_version
        self.expected_version = expected_version
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.current = current


class Unavailable(DomainError):
    """Something the request needs (the job queue's broker) cannot be reached now; try again later (HTTP 503)."""


class TooManyJobs(DomainError):
    """The user already has as many heavy jobs waiting or running as allowed (HTTP 429)."""


class DuplicateArticle(Conflict):
    """The article is already in the app (HTTP 409); ``details`` names the earlier copy for the API."""

    def __init__(self, message: str, *, earlier_id: int, earlier_title: str, reason: str):
        super().__init__(message)
        self.earlier_id = earlier_id
        self.reason = reason
        self.details = {"duplicate_of": {"id": earlier_id, "title": earlier_title, "reason": reason}}
