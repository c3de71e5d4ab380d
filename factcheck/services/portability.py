"""Export a whole instance to one JSON document, and import it into an empty instance.

Format (``factcheck-instance``, version 1), a single JSON object::

    {
      "format": "factcheck-instance",
      "version": 1,
      "exported_at": "2026-11-25T14:00:00+00:00",
      "schema_revision": "0005",          # Alembic revision of the exporting database
      "includes_password_hashes": false,
      "tables": {
        "user":           [{"id": 1, "email": "...", "name": "...", "role": "editor", ...}, ...],
        "factcheck":      [...],
        "sourcedocument": [...],   "passage":  [...],
        "article":        [...],   "claim":    [...],
        "match":          [...],   "evidence": [...],
        "verdict":        [...],   "comment":  [...],
        "matchsetting":   [...],
        "event":          [...]
      }
    }

* ``tables`` holds every table of the schema, in an order where a row comes
  after the rows it refers to (the event log last), each as a list of rows
  in id order. A row is an
  object with one member per column, named as the column.
* Values: JSON numbers, strings, booleans and null as stored; timestamps as
  ISO 8601 in UTC with offset (``2026-11-25T14:00:00.123456+00:00``); dates as
  ``YYYY-MM-DD``; JSON columns as JSON; binary columns as ``{"base64": "..."}``.
* Not exported: ``embedding``, ``embeddingtombstone`` and ``vectorprojection``
  (vectors and index bookkeeping; the importing instance embeds everything
  again with its own model), ``apitoken`` (secrets: issue new tokens), ``notification`` (each
  user's inbox of this instance; their choices, ``notificationpreference``, move) and ``job`` (transient work,
  including uploaded files). ``user.password_hash`` is left out unless the
  export was made with ``--with-password-hashes``; such users get no usable
  password on import and need a new one.
* Fetched or uploaded articles and sources carry their archived copy in
  their own columns (``fetched_at``, ``fetched_url``, ``filename``,
  ``content_type``, ``content_sha256``, with the extracted ``text``), so it
  travels with them; the original bytes are not kept by the instance at all.
* Ids are the exporting instance's. On import every row gets a new id and
  every reference to it is rewritten with the same mapping: foreign keys,
  and the ids inside event details (``article_id``, ``evidence_id``,
  ``target_id`` with its ``kind``, ...). An id in an event detail whose row was
  deleted before the export (e.g. removed evidence) becomes null, so it can
  never point at an unrelated row.
* Events are inserted in their original order with their original
  timestamps; the event log is append-only (database triggers refuse UPDATE
  and DELETE), and import only ever inserts.

Import needs an instance without content (users may exist: an exported user
whose email is already there is mapped to that user, unchanged). It is one
transaction: it either imports everything or nothing. Embeddings are made
afterwards, in batches.
"""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, timezone
from typing import Callable

from sqlalchemy import Date, DateTime, LargeBinary, Table, func, select
from sqlmodel import Session, SQLModel

from factcheck.config import Settings
from factcheck.domain.errors import Conflict, ValidationFailed
from factcheck.services.match_settings import CHANGED, scale_from_change_log
from factcheck.types import UTCDateTime

FORMAT = "factcheck-instance"
VERSION = 1
EXCLUDED_TABLES = frozenset({"embedding", "embeddingtombstone", "vectorprojection", "apitoken", "job",
                             "notification", "alembic_version"})
UNUSABLE_PASSWORD = "!"  # never matches: werkzeug needs "method$salt$hash"
#: Ids inside event details, by key, and the table they refer to.
DETAIL_REFERENCES = {
    "article_id": "article", "source_id": "sourcedocument", "fact_check_id": "factcheck", "match_id": "match",
    "evidence_id": "evidence", "comment_id": "comment", "passage_id": "passage", "claim_id": "claim",
    "duplicate_of_claim_id": "claim", "duplicate_of_fact_check_id": "factcheck", "user_id": "user",
    "assignee_id": "user", "previous_assignee_id": "user",
}
TARGET_TABLE = {"fact_check": "factcheck", "passage": "passage"}  # event detail "kind" -> table of "target_id"


def exported_tables() -> list[Table]:
    """Tables in dependency order (referenced tables first), the event log last.

    Event details mention rows of any table, so events are imported once
    every other row has its new id.
    """
    import factcheck.models  # noqa: F401  (registers every table)

    tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in EXCLUDED_TABLES]
    return sorted(tables, key=lambda t: t.name == "event")


def _remapped(table: Table) -> bool:
    """Rows of this table get new ids on import (a single integer primary key named id)."""
    keys = list(table.primary_key.columns)
    return len(keys) == 1 and keys[0].name == "id"


def _dump(column, value):
    if value is None:
        return None
    if isinstance(column.type, (DateTime, UTCDateTime)):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(column.type, Date):
        return value.isoformat()
    if isinstance(column.type, LargeBinary):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _load(column, value):
    if value is None:
        return None
    try:
        if isinstance(column.type, (DateTime, UTCDateTime)):
            return datetime.fromisoformat(value)
        if isinstance(column.type, Date):
            return date.fromisoformat(value)
        if isinstance(column.type, LargeBinary):
            return base64.b64decode(value["base64"])
    except (TypeError, ValueError, KeyError):
        raise ValidationFailed(f"{column.table.name}.{column.name}: {value!r} is not a valid value.") from None
    return value


def export_instance(session: Session, *, with_password_hashes: bool = False) -> dict:
    """The whole instance as a ``factcheck-instance`` document (see the module docstring)."""
    from alembic.migration import MigrationContext

    revision = MigrationContext.configure(session.connection()).get_current_revision()
    tables = {}
    for table in exported_tables():
        order = list(table.primary_key.columns) or list(table.columns)
        rows = session.execute(select(table).order_by(*order)).mappings().all()
        dumped = []
        for row in rows:
            item = {column.name: _dump(column, row[column.name]) for column in table.columns}
            if table.name == "user" and not with_password_hashes:
                item.pop("password_hash", None)
            dumped.append(item)
        tables[table.name] = dumped
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "schema_revision": revision,
        "includes_password_hashes": with_password_hashes,
        "tables": tables,
    }


def import_instance(session: Session, *, settings: Settings, document: dict,
                    progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Import a ``factcheck-instance`` document into this (empty) instance; returns rows added per table."""
    say = progress or (lambda _message: None)
    tables = _checked(document)
    order = exported_tables()
    _require_empty(session, order)
    ids: dict[str, dict[int, int]] = {}
    counts: dict[str, int] = {}
    pending: list = []
    legacy_details = [row.get("detail") for row in sorted(
        (r for r in tables.get("event", []) if r.get("action") == CHANGED),
        key=lambda r: r["id"] if isinstance(r.get("id"), int) else 0, reverse=True)]
    try:
        for table in order:
            rows = tables.get(table.name, [])
            if rows:
                say(f"Importing {len(rows)} {table.name} rows")
            counts[table.name] = _insert_rows(session, table, rows, ids, legacy_details, pending)
        # References to tables imported later (the claim <-> factcheck cycle: an own published check
        # names its claim), filled in once every row has its new id.
        for table, new_id, later in pending:
            session.execute(table.update().where(table.c.id == new_id).values(
                **{name: _translate(ids, target, value, f"{table.name}.{name}")
                   for name, (target, value) in later.items()}))
        session.commit()
    except Exception:
        session.rollback()
        raise
    from factcheck.services.matching import KIND_CLAIM, KIND_FACT_CHECK, KIND_PASSAGE, reindex

    for kind in (KIND_FACT_CHECK, KIND_PASSAGE, KIND_CLAIM):
        say(f"Embedding {kind.replace('_', '-')} texts")
        reindex(session, settings=settings, kind=kind)
    return counts


def _checked(document: dict) -> dict[str, list[dict]]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationFailed(f"Not a factcheck instance export (expected \"format\": \"{FORMAT}\").")
    if document.get("version") != VERSION:
        raise ValidationFailed(f"Export format version {document.get('version')!r} is not supported "
                               f"(this instance reads version {VERSION}).")
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise ValidationFailed("The export has no \"tables\" object.")
    known = {table.name: table for table in exported_tables()}
    for name, rows in tables.items():
        if name not in known:
            raise ValidationFailed(f"The export has a table this instance does not know: {name!r} "
                                   "(exported by a newer version? upgrade first).")
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ValidationFailed(f"Table {name!r} must be a list of objects.")
        columns = set(known[name].columns.keys())
        for row in rows:
            unknown = set(row) - columns
            if unknown:
                raise ValidationFailed(f"Table {name!r} has columns this instance does not know: "
                                       f"{', '.join(sorted(unknown))}.")
    return tables


def _require_empty(session: Session, order: list[Table]) -> None:
    filled = [table.name for table in order if table.name != "user"
              and session.execute(select(func.count()).select_from(table)).scalar_one()]
    if filled:
        raise Conflict(f"This instance already has content ({', '.join(filled)}); import into an empty instance.")


def _insert_rows(session: Session, table: Table, rows: list[dict], ids: dict[str, dict[int, int]],
                 legacy_details: list = (), pending: list | None = None) -> int:
    remapped = _remapped(table)
    mapping = ids.setdefault(table.name, {})
    foreign = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
    self_references = [name for name, target in foreign.items() if target == table.name]
    deferred: list[tuple[int, dict]] = []
    added = 0
    for row in sorted(rows, key=lambda r: (r.get("id") is None, r.get("id") or 0)):
        values = {name: _load(table.columns[name], value) for name, value in row.items()}
        if table.name == "user":
            existing = session.execute(select(table.c.id).where(table.c.email == values["email"])).scalar_one_or_none()
            if existing is not None:
                mapping[row["id"]] = existing
                continue
            values.setdefault("password_hash", UNUSABLE_PASSWORD)
        not_yet = {name: (target, values.pop(name)) for name, target in foreign.items()
                   if target not in ids and values.get(name) is not None and pending is not None}
        for name, target in foreign.items():
            if values.get(name) is None or name in self_references:
                continue
            values[name] = _translate(ids, target, values[name], f"{table.name}.{name}")
        later = {name: values.pop(name) for name in self_references if values.get(name) is not None}
        if table.name == "event":
            values["detail"] = _remap_detail(values.get("detail") or "", ids)
        if table.name == "matchsetting" and values.get("scale") is None:
            # Exported before rows stored their scale (schema 0006 or older): read it from the change log.
            values["scale"] = scale_from_change_log(legacy_details, values.get("library"))
        old_id = values.pop("id", None) if remapped else None
        new_id = session.execute(table.insert().values(**values)).inserted_primary_key[0]
        if remapped:
            mapping[old_id] = new_id
        if later:
            deferred.append((new_id, later))
        if not_yet:
            pending.append((table, new_id, not_yet))
        added += 1
    # Rows pointing at rows of the same table (a claim duplicating another) once all exist.
    for new_id, later in deferred:
        session.execute(table.update().where(table.c.id == new_id).values(
            **{name: _translate(ids, table.name, value, f"{table.name}.{name}") for name, value in later.items()}))
    return added


def _translate(ids: dict[str, dict[int, int]], table: str, old: int, where: str) -> int:
    try:
        return ids[table][old]
    except KeyError:
        raise ValidationFailed(f"{where} refers to {table} {old}, which is not in the export.") from None


def _remap_detail(detail: str, ids: dict[str, dict[int, int]]) -> str:
    """Rewrite the ids inside an event's JSON detail with the import's mapping."""
    if not detail:
        return detail
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return detail
    changed = False
    for key, value in data.items():
        table = DETAIL_REFERENCES.get(key) or (TARGET_TABLE.get(data.get("kind")) if key == "target_id" else None)
        if table and isinstance(value, int) and not isinstance(value, bool):
            data[key] = ids.get(table, {}).get(value)
            changed = changed or data[key] != value
    # Re-encoded like factcheck.services.events.record does, and only when an id changed.
    return json.dumps(data, default=str, sort_keys=True) if changed else detail
