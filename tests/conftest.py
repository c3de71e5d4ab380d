"""Shared fixtures.

The whole suite runs against the database named by ``FACTCHECK_TEST_DB``:
``sqlite`` (default) or ``postgres`` (a real PostgreSQL 16 + pgvector server
started from the ``pgserver`` wheel). Each test gets a fresh database copied
from a template that was migrated (and optionally loaded with the demo
library) once per run.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from factcheck import create_app  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.db import session_scope, upgrade  # noqa: E402

BACKEND = os.environ.get("FACTCHECK_TEST_DB", "sqlite")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_counter = itertools.count()


def pytest_report_header(config):
    return f"factcheck test database: {BACKEND}"


class _SqliteDatabases:
    def __init__(self, root: Path):
        self.root = root

    def template(self, name: str) -> str:
        return f"sqlite:///{self.root / (name + '.db')}"

    def clone(self, template_url: str, target_dir: Path) -> str:
        source = Path(template_url[len("sqlite:///"):])
        target = target_dir / f"factcheck-{next(_counter)}.db"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        pass


def _database_name(url: str) -> str:
    # postgresql://postgres:@/NAME?host=/path/to/socket
    return url.split("?")[0].rsplit("/", 1)[-1]


class _PostgresDatabases:
    def __init__(self):
        import pgserver

        # Not under pytest's tmp folder: a concurrent pytest run may reset its
        # permissions, and PostgreSQL refuses a data directory it cannot read.
        self.data_dir = Path(tempfile.mkdtemp(prefix="factcheck-pg-"))
        self.server = pgserver.get_server(self.data_dir / "pgdata", cleanup_mode="stop")
        self.base = self.server.get_uri()  # postgresql://postgres:@/postgres?host=...

    def _url(self, name: str) -> str:
        return self.base.replace("/postgres?", f"/{name}?", 1)

    def template(self, name: str) -> str:
        self.server.psql(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name};")
        return self._url(name)

    def clone(self, template_url: str, target_dir: Path) -> str:
        template = _database_name(template_url)
        name = f"test_{os.getpid()}_{next(_counter)}"
        self.server.psql(f"CREATE DATABASE {name} TEMPLATE {template};")
        return self._url(name)

    def drop(self, url: str) -> None:
        name = _database_name(url)
        self.server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    if BACKEND == "postgres":
        databases = _PostgresDatabases()
        yield databases
        databases.server.cleanup()
        shutil.rmtree(databases.data_dir, ignore_errors=True)
    else:
        yield _SqliteDatabases(tmp_path_factory.mktemp("databases"))


def _settings(database_url: str, instance: Path, **overrides) -> Settings:
    return Settings.from_env(environ={}, database_url=database_url, instance_path=str(instance),
                             secret_key="test-secret-key-that-is-long-enough-0123456789", **overrides)


def _dispose(app) -> None:
    app.extensions["factcheck.engine"].dispose()


@pytest.fixture(scope="session")
def empty_template(databases, tmp_path_factory):
    url = databases.template("tmpl_empty")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def demo_template(databases, tmp_path_factory):
    from factcheck.services.library import load_demo_library

    url = databases.template("tmpl_demo")
    upgrade(url)
    app = create_app(_settings(url, tmp_path_factory.mktemp("instance")))
    with session_scope(app.extensions["factcheck.engine"]) as session:
        load_demo_library(session, settings=app.config["SETTINGS"])
    _dispose(app)
    return url


@contextmanager
def app_from_template(databases, template_url, tmp_path, **overrides):
    """An app on a fresh copy of a template database, disposed and dropped afterwards."""
    url = databases.clone(template_url, tmp_path)
    app = create_app(_settings(url, tmp_path / "instance", **overrides))
    app.config.update(TESTING=True)
    try:
        yield app
    finally:
        _dispose(app)
        databases.drop(url)


@pytest.fixture
def app(databases, empty_template, tmp_path):
    """An app on a fresh, migrated, empty database."""
    with app_from_template(databases, empty_template, tmp_path) as app:
        yield app


@pytest.fixture
def demo_app(databases, demo_template, tmp_path):
    """An app on a fresh database holding the demo library."""
    with app_from_template(databases, demo_template, tmp_path) as app:
        yield app


@pytest.fixture
def session(app):
    with session_scope(app.extensions["factcheck.engine"]) as session:
        yield session


@pytest.fixture
def demo_session(demo_app):
    with session_scope(demo_app.extensions["factcheck.engine"]) as session:
        yield session


@pytest.fixture
def settings(app):
    return app.config["SETTINGS"]


def make_user(session, email: str, role: str, password: str = "correct horse battery"):
    from factcheck.services.users import create_user

    return create_user(session, email=email, password=password, role=role)


@pytest.fixture
def users(session):
    """One user per role, plus a second checker and editor."""
    return {
        "checker": make_user(session, "checker@example.org", "checker"),
        "checker2": make_user(session, "checker2@example.org", "checker"),
        "editor": make_user(session, "editor@example.org", "editor"),
        "editor2": make_user(session, "editor2@example.org", "editor"),
        "admin": make_user(session, "admin@example.org", "admin"),
    }


class Browser:
    """A test client that logs in and sends the CSRF token as the real pages do."""

    _TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self._token: str | None = None

    def csrf_token(self) -> str:
        if self._token is None:
            page = self.client.get("/auth/login").get_data(as_text=True)
            self._token = self._TOKEN.search(page).group(1)
        return self._token

    def login(self, email: str, password: str = "correct horse battery"):
        response = self.client.post("/auth/login", data={"email": email, "password": password,
                                                         "csrf_token": self.csrf_token()})
        self._token = None  # the session changed; read a fresh token next time
        return response

    def post(self, url: str, data: dict | None = None, htmx: bool = False, **kwargs):
        data = dict(data or {})
        headers = dict(kwargs.pop("headers", {}))
        if htmx:
            # htmx sends the token in a header (hx-headers on <body>), not in the form.
            headers.setdefault("HX-Request", "true")
            headers.setdefault("X-CSRFToken", self.csrf_token())
        else:
            data.setdefault("csrf_token", self.csrf_token())
        return self.client.post(url, data=data, headers=headers, **kwargs)

    def get(self, url: str, htmx: bool = False, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.get(url, headers=headers, **kwargs)


@pytest.fixture
def browser_factory(app):
    return lambda: Browser(app)


@pytest.fixture
def demo_browser_factory(demo_app):
    return lambda: Browser(demo_app)
