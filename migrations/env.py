"""Alembic environment: migrations run against SQLModel.metadata."""
from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import factcheck.models  # noqa: F401  (registers every table on SQLModel.metadata)
from factcheck.db import make_engine
from factcheck.models import include_in_autogenerate

config = context.config
target_metadata = SQLModel.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return url
    from factcheck.config import Settings

    return Settings.from_env().database_url


def _skip_empty(context_, revision, directives):
    # Autogenerate with no changes should not create an empty revision.
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_database_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite needs batch mode for ALTER TABLE
        process_revision_directives=_skip_empty,
        include_object=include_in_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
