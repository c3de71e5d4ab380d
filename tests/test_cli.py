"""The ``factcheck`` command line, run in-process with click's CliRunner.

Each test points FACTCHECK_DATABASE_URL at a new empty database of the backend
under test (a tmp SQLite file, or a PostgreSQL database when
FACTCHECK_TEST_DB=postgres) and FACTCHECK_INSTANCE_PATH at a tmp folder.
"""
from __future__ import annotations

import itertools
import os

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import select

from factcheck.cli import DEMO_USERS, main, mask_url
from factcheck.db import make_engine, session_scope
from factcheck.models import Embedding, FactCheck, SourceDocument, User
from factcheck.services import users as user_service

_names = itertools.count()


class Cli:
    def __init__(self, env: dict[str, str | None], url: str):
        self.env = env
        self.url = url
        self._engines: list = []

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        runner = CliRunner()
        return runner.invoke(main, list(args), input=input, env={**self.env, **(env or {})},
                             catch_exceptions=True)

    def ok(self, *args: str, **kwargs):
        result = self(*args, **kwargs)
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    def fails(self, *args: str, **kwargs):
        result = self(*args, **kwargs)
        assert result.exit_code == 1, (result.output, result.exception)
        assert result.stderr.startswith("Error: "), result.stderr
        assert "Traceback" not in result.output
        return result

    def session(self):
        """A session on the CLI's database, for checking what the commands did."""
        engine = make_engine(self.url)
        self._engines.append(engine)
        return session_scope(engine)

    def dispose(self) -> None:
        for engine in self._engines:
            engine.dispose()
        self._engines.clear()


@pytest.fixture
def cli(databases, tmp_path):
    url = databases.template(f"cli_{os.getpid()}_{next(_names)}")
    # Hide any FACTCHECK_* settings of the developer's shell from the commands.
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("FACTCHECK_")}
    env.update({
        "FACTCHECK_ENV": "development",
        "FACTCHECK_DATABASE_URL": url,
        "FACTCHECK_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORT": None,
    })
    runner = Cli(env, url)
    yield runner
    runner.dispose()
    databases.drop(url)


@pytest.fixture
def migrated(cli):
    cli.ok("db", "upgrade")
    return cli


def test_help_lists_the_commands(cli):
    result = cli.ok("--help")
    for name in ("db", "demo", "users", "tokens", "fact-checks", "serve"):
        assert name in result.output


def test_mask_url_hides_passwords():
    masked = mask_url("postgresql://factcheck:s3cret@db.internal:5432/factcheck")
    assert "s3cret" not in masked
    assert "db.internal" in masked and "factcheck" in masked
    assert mask_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_db_upgrade(cli):
    result = cli.ok("db", "upgrade")
    assert "migrated" in result.output
    assert mask_url(cli.url) in result.output
    with cli.session() as session:
        assert session.exec(select(func.count(User.id))).one() == 0
    # A second run is a no-op.
    cli.ok("db", "upgrade")


def test_config_errors_are_reported_without_traceback(cli):
    result = cli.fails("db", "upgrade", env={"FACTCHECK_MATCH_TOP_K": "many"})
    assert "FACTCHECK_MATCH_TOP_K" in result.stderr


def test_unmigrated_database_is_a_clean_error(cli):
    result = cli.fails("users", "list")
    assert "Database error" in result.stderr and "factcheck db upgrade" in result.stderr


def test_unreachable_database_is_a_clean_error_without_the_password(cli):
    result = cli.fails("db", "upgrade",
                       env={"FACTCHECK_DATABASE_URL": "postgresql://fc:s3cret-pw@127.0.0.1:1/factcheck"})
    assert "Database error" in result.stderr
    assert "s3cret-pw" not in result.output


def test_users_create_and_duplicate(migrated):
    result = migrated.ok("users", "create", "Reporter@Example.org", "--role", "editor",
                         "--password", "long-enough-pw", "--name", "Rita Reporter")
    assert "reporter@example.org" in result.output
    with migrated.session() as session:
        user = user_service.get_user_by_email(session, "reporter@example.org")
        assert (user.role, user.name, user.is_active) == ("editor", "Rita Reporter", True)
        assert user_service.authenticate(session, email="reporter@example.org", password="long-enough-pw")

    duplicate = migrated.fails("users", "create", "reporter@example.org", "--role", "checker",
                               "--password", "another-password")
    assert "already exists" in duplicate.stderr


def test_users_create_validation_errors(migrated):
    result = migrated.fails("users", "create", "x@example.org", "--role", "checker", "--password", "short")
    assert "at least" in result.stderr
    # An unknown role is a usage error (exit 2) caught by click before any database work.
    assert migrated("users", "create", "x@example.org", "--role", "boss", "--password", "long-enough-pw").exit_code == 2


def test_users_create_prompts_for_a_hidden_password(migrated):
    result = migrated.ok("users", "create", "prompted@example.org", "--role", "checker",
                         input="prompted-password\nprompted-password\n")
    assert "prompted-password" not in result.output  # hidden input is not echoed
    with migrated.session() as session:
        assert user_service.authenticate(session, email="prompted@example.org", password="prompted-password")


def test_users_list_set_role_deactivate(migrated):
    assert "No users yet" in migrated.ok("users", "list").output
    migrated.ok("users", "create", "a@example.org", "--role", "checker", "--password", "password-a")
    migrated.ok("users", "create", "b@example.org", "--role", "checker", "--password", "password-b")

    migrated.ok("users", "set-role", "b@example.org", "admin")
    migrated.ok("users", "deactivate", "a@example.org")

    listing = migrated.ok("users", "list").output
    line_a = next(line for line in listing.splitlines() if "a@example.org" in line)
    line_b = next(line for line in listing.splitlines() if "b@example.org" in line)
    assert "checker" in line_a and "deactivated" in line_a
    assert "admin" in line_b and "active" in line_b
    with migrated.session() as session:
        assert user_service.authenticate(session, email="a@example.org", password="password-a") is None

    migrated.fails("users", "set-role", "nobody@example.org", "editor")
    migrated.fails("users", "deactivate", "nobody@example.org")


def test_tokens_create_prints_a_working_token_and_revoke(migrated):
    migrated.ok("users", "create", "api@example.org", "--role", "checker", "--password", "api-password")
    result = migrated.ok("tokens", "create", "api@example.org", "--name", "CMS plugin")
    token = result.output.split()[-1]
    assert token.startswith("fc_")
    with migrated.session() as session:
        user = user_service.user_for_token(session, token)
        assert user is not None and user.email == "api@example.org"
        assert user_service.user_for_token(session, token + "x") is None

    revoked = migrated.ok("tokens", "revoke", "api@example.org")
    assert "Revoked 1 token" in revoked.output
    with migrated.session() as session:
        assert user_service.user_for_token(session, token) is None

    migrated.fails("tokens", "create", "nobody@example.org")


def test_tokens_refused_for_deactivated_user(migrated):
    migrated.ok("users", "create", "gone@example.org", "--role", "checker", "--password", "gone-password")
    migrated.ok("users", "deactivate", "gone@example.org")
    assert "deactivated" in migrated.fails("tokens", "create", "gone@example.org").stderr


def _counts(cli) -> dict[str, int]:
    with cli.session() as session:
        return {
            "fact_checks": session.exec(select(func.count(FactCheck.id))).one(),
            "sources": session.exec(select(func.count(SourceDocument.id))).one(),
            "embeddings": session.exec(select(func.count(Embedding.id))).one(),
            "users": session.exec(select(func.count(User.id))).one(),
        }


def test_demo_load_is_idempotent_and_creates_demo_users(migrated):
    first = migrated.ok("demo", "load")
    after_first = _counts(migrated)
    assert after_first["fact_checks"] > 0 and after_first["sources"] > 0
    assert after_first["embeddings"] > after_first["fact_checks"]
    assert after_first["users"] == 3
    assert f"Added {after_first['fact_checks']} fact-checks and {after_first['sources']} source" in first.output
    for email, role, password, _name in DEMO_USERS:
        line = next(line for line in first.output.splitlines() if email in line)
        assert role in line and password in line

    second = migrated.ok("demo", "load")
    assert "Added 0 fact-checks and 0 source" in second.output
    assert _counts(migrated) == after_first

    with migrated.session() as session:
        for email, role, password, _name in DEMO_USERS:
            user = user_service.authenticate(session, email=email, password=password)
            assert user is not None and user.role == role


def test_demo_load_keeps_existing_users(migrated):
    migrated.ok("users", "create", "editor@example.org", "--role", "admin", "--password", "my-own-password")
    result = migrated.ok("demo", "load")
    line = next(line for line in result.output.splitlines() if "editor@example.org" in line)
    assert "editor-demo-1" not in line
    with migrated.session() as session:
        user = user_service.get_user_by_email(session, "editor@example.org")
        assert user.role == "admin"
        assert user_service.authenticate(session, email="editor@example.org", password="my-own-password")


def test_demo_load_refused_in_production(migrated):
    result = migrated.fails("demo", "load", env={"FACTCHECK_ENV": "production",
                                                 "FACTCHECK_SECRET_KEY": "p" * 48})
    assert "production" in result.stderr
    assert _counts(migrated)["users"] == 0


def test_production_without_secret_is_a_clean_error(migrated):
    result = migrated.fails("users", "list", env={"FACTCHECK_ENV": "production"})
    assert "FACTCHECK_SECRET_KEY" in result.stderr


def test_fact_checks_add(migrated):
    args = ("fact-checks", "add", "--claim", "The moon is made of cheese.", "--rating", "False",
            "--url", "https://checks.example/moon-cheese", "--publisher", "Example Checks",
            "--date", "2024-05-01")
    result = migrated.ok(*args)
    assert "https://checks.example/moon-cheese" in result.output
    with migrated.session() as session:
        fact_check = session.exec(select(FactCheck)).one()
        assert (fact_check.claim_reviewed, fact_check.rating, fact_check.publisher) == (
            "The moon is made of cheese.", "False", "Example Checks")
        assert str(fact_check.date_published) == "2024-05-01"
        assert session.exec(select(func.count(Embedding.id))).one() == 1

    assert "already in the library" in migrated.fails(*args).stderr
    assert "url" in migrated.fails("fact-checks", "add", "--claim", "Another claim.", "--rating", "False",
                                   "--url", "not a url").stderr


def test_serve_runs_the_development_server(migrated, monkeypatch):
    from flask import Flask

    calls = []
    monkeypatch.setattr(Flask, "run", lambda self, **kwargs: calls.append(kwargs))

    result = migrated.ok("serve")
    assert "http://127.0.0.1:5000/" in result.output
    assert calls[-1] == {"host": "127.0.0.1", "port": 5000, "debug": False, "threaded": True,
                         "load_dotenv": False}

    result = migrated.ok("serve", env={"PORT": "8123"})
    assert "http://127.0.0.1:8123/" in result.output
    assert calls[-1]["port"] == 8123

    migrated.ok("serve", "--host", "0.0.0.0", "--port", "9000", env={"PORT": "8123"})
    assert (calls[-1]["host"], calls[-1]["port"]) == ("0.0.0.0", 9000)


def test_commands_are_registered_on_the_flask_cli(migrated, tmp_path):
    from factcheck import create_app
    from factcheck.config import Settings

    # Under ``flask`` the commands use the loaded app's settings, not the environment.
    settings = Settings.from_env(environ={}, database_url=migrated.url, instance_path=str(tmp_path / "flask"))
    app = create_app(settings)
    try:
        assert "factcheck" in app.cli.commands
        runner = app.test_cli_runner()
        result = runner.invoke(args=["factcheck", "users", "create", "flask@example.org", "--role", "checker",
                                     "--password", "flask-password"])
        assert result.exit_code == 0, (result.output, result.exception)
        result = runner.invoke(args=["factcheck", "users", "list"])
        assert result.exit_code == 0, (result.output, result.exception)
        assert "flask@example.org" in result.output
    finally:
        app.extensions["factcheck.engine"].dispose()
    assert "flask@example.org" in migrated.ok("users", "list").output


def test_embeddings_reindex_under_another_model_id(migrated, monkeypatch):
    """After a model change, reindex embeds every object under the new model id."""
    migrated.ok("fact-checks", "add", "--claim", "Bats are blind.", "--rating", "False",
                "--url", "https://checks.example/bats")
    # A different model *setting* (same weights folder under another path name) gives another model id.
    import shutil
    from pathlib import Path

    from factcheck.config import _default_model_path

    other = Path(migrated.env["FACTCHECK_INSTANCE_PATH"]).parent / "other-model"
    shutil.copytree(_default_model_path(), other)
    result = migrated.ok("embeddings", "reindex", "--kind", "fact_check",
                         env={"FACTCHECK_EMBEDDING_MODEL": str(other)})
    assert "Embedded 1 fact-check texts" in result.output
    with migrated.session() as session:
        models = sorted(session.exec(select(Embedding.model_id)).all())
        assert models == ["other-model", "sentence-transformers/all-MiniLM-L6-v2"]


def test_users_set_password(migrated):
    migrated.ok("users", "create", "ed@example.org", "--role", "editor", "--password", "first-password")
    migrated.ok("users", "set-password", "ed@example.org", "--password", "second-password")
    assert "at least 8" in migrated.fails("users", "set-password", "ed@example.org", "--password", "short").stderr
    with migrated.session() as session:
        assert user_service.authenticate(session, email="ed@example.org", password="second-password")
        assert user_service.authenticate(session, email="ed@example.org", password="first-password") is None
