"""Migrations: the only way the schema is created, so they must match the models.

Runs on the backend named by FACTCHECK_TEST_DB (SQLite or PostgreSQL + pgvector).
"""
from __future__ import annotations

import itertools

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import factcheck.models  # noqa: F401  (registers every table on SQLModel.metadata)
from factcheck.db import alembic_config, make_engine, upgrade
from factcheck.models import include_in_autogenerate

_names = itertools.count()
MODEL_TABLES = set(SQLModel.metadata.tables)


@pytest.fixture
def empty_url(databases):
    """A URL of a new, empty database (nothing migrated yet)."""
    url = databases.template(f"mig_{next(_names)}")
    yield url
    databases.drop(url)


def _inspect(url: str, fn):
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return fn(connection)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    return _inspect(url, lambda c: set(inspect(c).get_table_names()) - {"alembic_version"})


def _current_revision(url: str) -> str | None:
    return _inspect(url, lambda c: MigrationContext.configure(c).get_current_revision())


def _diff(url: str) -> list:
    def compare(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": include_in_autogenerate})
        return compare_metadata(context, SQLModel.metadata)

    # No filtering but the per-dialect indexes (as autogenerate does): the custom TypeDecorators
    # (factcheck.types) currently produce no false positives on either backend, so any difference is real.
    return _inspect(url, compare)


def _head(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def test_upgrade_head_on_an_empty_database(empty_url):
    assert _tables(empty_url) == set()
    upgrade(empty_url)
    assert _tables(empty_url) == MODEL_TABLES
    assert _current_revision(empty_url) == _head(empty_url)


def test_upgrade_is_idempotent(empty_url):
    upgrade(empty_url)
    upgrade(empty_url)
    assert _current_revision(empty_url) == _head(empty_url)


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"migrations have several heads, merge them: {heads}"


def test_models_and_migrations_agree(empty_url):
    upgrade(empty_url)
    diff = _diff(empty_url)
    assert diff == [], (
        "The models differ from the migrated schema; write a migration "
        "(alembic revision --autogenerate) for:\n" + "\n".join(map(repr, diff))
    )


def test_downgrade_to_base_and_upgrade_again(empty_url):
    upgrade(empty_url)
    command.downgrade(alembic_config(empty_url), "base")
    assert _tables(empty_url) == set()
    assert _current_revision(empty_url) is None
    upgrade(empty_url)
    assert _tables(empty_url) == MODEL_TABLES
    assert _diff(empty_url) == []


def test_every_revision_downgrades_one_step(empty_url):
    """Walk the history up one step at a time, each followed by a step down and up again."""
    config = alembic_config(empty_url)
    revisions = list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))
    for revision in revisions:
        command.upgrade(config, revision.revision)
        command.downgrade(config, revision.down_revision or "base")
        command.upgrade(config, revision.revision)
        assert _current_revision(empty_url) == revision.revision


def test_article_archive_columns_keep_existing_articles_both_ways(empty_url):
    """0005 adds nullable archive columns to ``article``; rows written before it survive upgrade and downgrade."""
    from sqlalchemy import text

    config = alembic_config(empty_url)
    command.upgrade(config, "0004")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO article (title, language, text, created_at) "
                                    "VALUES ('Old story', 'en', 'Fares rose.', CURRENT_TIMESTAMP)"))
        command.upgrade(config, "0005")
        with engine.connect() as connection:
            row = connection.execute(text("SELECT title, fetched_at, fetched_url, content_sha256 FROM article")).one()
        assert tuple(row) == ("Old story", None, None, None)
        command.downgrade(config, "0004")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT title, text FROM article")).one() == ("Old story", "Fares rose.")
            columns = {c["name"] for c in inspect(connection).get_columns("article")}
        assert not columns & {"fetched_at", "fetched_url", "filename", "content_type", "content_sha256"}
    finally:
        engine.dispose()


def test_match_setting_scale_is_taken_from_the_change_log(empty_url):
    """0007 stores each matchsetting row's scale, read from its latest change event, and drops it on the way down."""
    from sqlalchemy import text

    config = alembic_config(empty_url)
    command.upgrade(config, "0006")
    engine = make_engine(empty_url)
    insert_row = ("INSERT INTO matchsetting (library, suggest_threshold, same_claim_threshold, "
                  "auto_link_max_age_days, updated_at) VALUES (:library, 0.5, 0.9, 90, CURRENT_TIMESTAMP)")
    insert_event = "INSERT INTO event (action, detail, created_at) VALUES ('match_settings_changed', :d, CURRENT_TIMESTAMP)"
    try:
        with engine.begin() as connection:
            connection.execute(text(insert_row), {"library": "passage"})
            connection.execute(text(insert_row), {"library": "fact_check"})
            connection.execute(text(insert_event), {"d": '{"library": "passage", "current": {}}'})
            connection.execute(text(insert_event), {"d": '{"library": "passage", "scale": "hybrid-v1"}'})
            connection.execute(text(insert_event), {"d": '{"library": "fact_check", "current": {}}'})
        command.upgrade(config, "0007")
        with engine.connect() as connection:
            scales = dict(connection.execute(text("SELECT library, scale FROM matchsetting")).all())
        assert scales == {"passage": "hybrid-v1", "fact_check": "hybrid-v1"}
        command.downgrade(config, "0006")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM matchsetting")).scalar_one() == 2
            assert "scale" not in {c["name"] for c in inspect(connection).get_columns("matchsetting")}
    finally:
        engine.dispose()


def test_embedding_rows_with_their_projection_stay_inline_on_postgresql(empty_url):
    """0006: a 384-d vector plus its 128-d projection (~2.1 kB) must not be moved to the TOAST table."""
    from sqlalchemy import text

    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("TOAST is PostgreSQL's")
        with engine.begin() as connection:
            options = connection.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'embedding'")).scalar()
            assert "toast_tuple_target=8160" in options
            vector = "[" + ",".join(["0.051"] * 384) + "]"
            connection.execute(text(
                "INSERT INTO embedding (kind, object_id, model_id, variant, dim, vector, reduced, created_at) "
                "VALUES ('fact_check', 1, 'm', 'fp32', 384, CAST(:v AS vector), CAST(:r AS vector), CURRENT_TIMESTAMP)"),
                {"v": vector, "r": "[" + ",".join(["0.25"] * 128) + "]"})
            toast = connection.execute(text("SELECT reltoastrelid::regclass::text FROM pg_class "
                                            "WHERE relname = 'embedding'")).scalar()
            assert connection.execute(text(f"SELECT count(*) FROM {toast}")).scalar_one() == 0
        command.downgrade(alembic_config(empty_url), "0005")
        with engine.connect() as connection:
            assert not connection.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'embedding'")).scalar()
    finally:
        engine.dispose()
