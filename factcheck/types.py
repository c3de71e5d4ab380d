"""Column types shared by the models and the migrations."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import JSON, DateTime, LargeBinary, Text
from sqlalchemy.types import TypeDecorator


class EmbeddingVector(TypeDecorator):
    """A float32 vector: pgvector ``vector`` on PostgreSQL, packed bytes elsewhere.

    The column has no fixed dimension because vectors of several models may be
    stored side by side (each row records its model id and variant).
    """

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from pgvector.sqlalchemy import Vector

            return dialect.type_descriptor(Vector())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        array = np.asarray(value, dtype=np.float32)
        if dialect.name == "postgresql":
            return array
        return array.tobytes()

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return np.asarray(value, dtype=np.float32)
        return np.frombuffer(value, dtype=np.float32)


class JSONList(TypeDecorator):
    """A JSON list stored as text, portable across SQLite and PostgreSQL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return json.dumps(list(value or []))

    def process_result_value(self, value, dialect):
        return json.loads(value) if value else []


__all__ = ["EmbeddingVector", "JSONList", "JSON"]


class UTCDateTime(TypeDecorator):
    """A point in time, always handed back aware and in UTC.

    PostgreSQL's ``timestamptz`` keeps the zone; SQLite stores text without
    one, so a value read back there was naive and came out of ``isoformat()``
    without an offset (not RFC 3339). Everything the app writes is UTC, so a
    naive value read back is UTC too.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, datetime):
            value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, datetime):
            return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return value
