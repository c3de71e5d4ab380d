"""Bring documents in from outside: download by URL, read uploads, extract text.

* ``fetch``: an SSRF-safe HTTP client (public addresses only, checked on every
  redirect hop, connection pinned to the address that was checked).
* ``documents``: tell the file type from the bytes themselves and extract the
  readable text and metadata of HTML, PDF (with page numbers), DOCX and plain
  text.

Nothing here touches the database; the services store what these return.
"""
from factcheck.domain.errors import ValidationFailed


class IngestError(ValidationFailed):
    """A document could not be brought in; the message says why, for the user."""


class FetchRefused(IngestError):
    """The URL points at an address we never connect to (private network, metadata service, ...)."""


class FetchFailed(IngestError):
    """The download did not work (network error, bad status, too large, too slow).

    ``http_status`` and ``url`` are set when a server answered with an error status: an
    archived copy records what came back and from where, not only that it failed.
    """

    def __init__(self, message: str, errors: dict[str, str] | None = None, *, http_status: int | None = None,
                 url: str | None = None):
        super().__init__(message, errors)
        self.http_status = http_status
        self.url = url


class UnsupportedDocument(IngestError):
    """The bytes are not a document type we can read, or the document is unreadable."""
