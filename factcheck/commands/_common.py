"""What the ``factcheck`` command line and its command modules share.

The root group (``main``), the groups that command modules attach to, the
per-invocation runtime (settings, app, sessions) and output helpers live here,
so ``factcheck.cli`` and ``factcheck.commands.*`` both import this module and
never each other.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import click

from factcheck.config import ConfigError, Settings
from factcheck.domain.errors import DomainError


def mask_url(url: str) -> str:
    """The database URL with any password replaced by ``***``."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL: mask by hand
        import re

        return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


class _Runtime:
    """Lazily built settings and app, shared by the commands of one invocation."""

    def __init__(self, flask_app=None):
        self._app = flask_app
        self._owns_app = flask_app is None
        self._settings: Settings | None = flask_app.config["SETTINGS"] if flask_app is not None else None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = Settings.from_env()
            except ValueError as exc:  # e.g. a malformed FACTCHECK_RATING_SCALE
                raise ConfigError(str(exc)) from None
        return self._settings

    @property
    def app(self):
        if self._app is None:
            from factcheck import create_app

            self._app = create_app(self.settings)
        return self._app

    @contextmanager
    def session(self) -> Iterator:
        from factcheck.db import session_scope

        with session_scope(self.app.extensions["factcheck.engine"]) as session:
            yield session

    def close(self) -> None:
        # Release pooled connections (and SQLite file handles) of an app we built.
        if self._app is not None and self._owns_app:
            engine = self._app.extensions.get("factcheck.engine")
            if engine is not None:
                engine.dispose()


def _is_flask_cli() -> bool:
    try:
        from flask.cli import ScriptInfo

        ctx = click.get_current_context(silent=True)
        return ctx is not None and ctx.find_object(ScriptInfo) is not None
    except ImportError:  # pragma: no cover
        return False


pass_runtime = click.make_pass_decorator(_Runtime)


class _Group(click.Group):
    """A group that turns user-fixable errors into ``Error: ...`` and exit code 1."""

    def invoke(self, ctx: click.Context):
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return super().invoke(ctx)
        except (DomainError, ConfigError) as exc:
            raise click.ClickException(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            # Unreachable server, wrong credentials, schema not migrated: say so in one line.
            raise click.ClickException(_database_error(ctx, exc)) from None


def _database_error(ctx: click.Context, exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    message = lines[0] if lines else type(orig).__name__
    runtime = ctx.find_object(_Runtime)
    url = runtime._settings.database_url if runtime is not None and runtime._settings else ""
    try:
        from sqlalchemy.engine import make_url

        password = make_url(url).password if url else None
    except Exception:  # noqa: BLE001
        password = None
    if password:
        message = message.replace(str(password), "***")
    hint = ""
    if "no such table" in message or ("relation" in message and "does not exist" in message):
        hint = " (run 'factcheck db upgrade' first)"
    where = f" ({mask_url(url)})" if url else ""
    return f"Database error{where}: {message}{hint}"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """factcheck: newsroom fact-checking.

    Configuration comes from FACTCHECK_* environment variables (see README.md).
    """
    if ctx.find_object(_Runtime) is None:
        flask_app = None
        if _is_flask_cli():
            # Under ``flask``: use the app it loads (its settings may differ from the env).
            from flask.cli import ScriptInfo

            flask_app = ctx.find_object(ScriptInfo).load_app()
        runtime = _Runtime(flask_app)
        ctx.obj = runtime
        ctx.call_on_close(runtime.close)


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    cells = [tuple(str(c) for c in header)] + [tuple("" if c is None else str(c) for c in r) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in lines)


# ------------------------------------------------ groups that command modules extend


@main.group()
def embeddings() -> None:
    """Vectors of claims, fact-checks and passages."""


@main.group()
def train() -> None:
    """Train the project's models from public data."""


@main.group("eval")
def eval_group() -> None:
    """Evaluate on benchmark files."""
