"""Validated input shapes shared by the web forms, the JSON API and the CLI.

Table models do not validate on construction (SQLModel), so every write goes
through one of these first; ``parse()`` turns pydantic errors into a
``ValidationFailed`` with a message per field.
"""
from __future__ import annotations

from datetime import date
from typing import Literal, Optional, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from factcheck.domain.errors import ValidationFailed

T = TypeVar("T", bound=BaseModel)


def _clean_url(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


def _blank_to_none(value):
    if isinstance(value, str) and not value.strip():
        return None
    return value


class _Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        # PostgreSQL text cannot hold NUL characters; refuse them on every backend.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _TextInput(_Input):
    """Inputs whose ``text`` is kept byte for byte: claim spans index into it."""

    model_config = ConfigDict(str_strip_whitespace=False, extra="ignore")

    _strip_others = field_validator("title", "url", "outlet", "author", "publisher", "language",
                                    mode="before", check_fields=False)(classmethod(lambda cls, v: _strip(v)))


class ArticleInput(_TextInput):
    title: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1)
    url: Optional[str] = Field(default=None, max_length=2000)
    outlet: Optional[str] = Field(default=None, max_length=200)
    author: Optional[str] = Field(default=None, max_length=300)
    published_at: Optional[date] = None
    language: str = Field(default="en", min_length=2, max_length=16)

    _url = field_validator("url")(classmethod(lambda cls, v: _clean_url(v)))
    _blank = field_validator("outlet", "author", "published_at", mode="before")(
        classmethod(lambda cls, v: _blank_to_none(v))
    )

    @field_validator("text", mode="before")
    @classmethod
    def _keep_text(cls, value):
        # Never strip the text, only refuse blank text.
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value


class FactCheckInput(_Input):
    claim_reviewed: str = Field(min_length=3, max_length=5000)
    rating: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=2000)
    claimant: Optional[str] = Field(default=None, max_length=300)
    publisher: Optional[str] = Field(default=None, max_length=200)
    date_published: Optional[date] = None
    summary: str = Field(default="", max_length=20000)
    language: str = Field(default="en", min_length=2, max_length=16)

    _url = field_validator("url")(classmethod(lambda cls, v: _clean_url(v)))
    _blank = field_validator("claimant", "publisher", "date_published", mode="before")(
        classmethod(lambda cls, v: _blank_to_none(v))
    )


class SourceInput(_TextInput):
    title: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1)
    url: Optional[str] = Field(default=None, max_length=2000)
    publisher: Optional[str] = Field(default=None, max_length=200)

    _url = field_validator("url")(classmethod(lambda cls, v: _clean_url(v)))
    _blank = field_validator("publisher", mode="before")(classmethod(lambda cls, v: _blank_to_none(v)))

    @field_validator("text", mode="before")
    @classmethod
    def _keep_text(cls, value):
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value


MAX_ID = 2**31 - 1


class EvidenceInput(_Input):
    passage_id: Optional[int] = Field(default=None, ge=1, le=MAX_ID)
    url: Optional[str] = Field(default=None, max_length=2000)
    quote: str = Field(default="", max_length=5000)
    stance: Literal["supports", "refutes", "context"]
    note: str = Field(default="", max_length=5000)

    _url = field_validator("url")(classmethod(lambda cls, v: _clean_url(v)))
    _blank = field_validator("passage_id", mode="before")(classmethod(lambda cls, v: _blank_to_none(v)))


class EvidenceEditInput(_Input):
    """An edit of linked evidence: what it quotes, which way it points, the note. Fields left out stay."""

    quote: Optional[str] = Field(default=None, min_length=1, max_length=5000)
    stance: Optional[Literal["supports", "refutes", "context"]] = None
    note: Optional[str] = Field(default=None, max_length=5000)


class VerdictInput(_Input):
    rating: str = Field(min_length=1, max_length=100)
    summary: str = Field(min_length=1, max_length=2000)
    explanation: str = Field(default="", max_length=50000)


class ClaimEditInput(_Input):
    standalone_text: Optional[str] = Field(default=None, min_length=3, max_length=5000)
    claimant: Optional[str] = Field(default=None, max_length=300)
    priority: Optional[int] = Field(default=None, ge=0, le=3)
    due_date: Optional[date] = None

    _blank = field_validator("due_date", "priority", mode="before")(classmethod(lambda cls, v: _blank_to_none(v)))


class CommentInput(_Input):
    body: str = Field(min_length=1, max_length=10000)


_FIELD_MESSAGES = {
    "missing": "is required",
    "string_too_short": "is too short",
    "string_too_long": "is too long",
}


def parse(schema: type[T], data: dict) -> T:
    """Validate ``data`` against ``schema`` or raise ``ValidationFailed``."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "body"
            message = _FIELD_MESSAGES.get(err["type"]) or err["msg"].removeprefix("Value error, ")
            if err["type"] == "literal_error":
                message = err["msg"]
            errors.setdefault(name, message)
        summary = "; ".join(f"{k} {v}" for k, v in errors.items())
        raise ValidationFailed(f"Invalid input: {summary}.", errors) from None
