"""The ``factcheck`` command line: thin commands that call the services.

Settings come from the environment (``Settings.from_env()``); the Flask app (and
with it the database engine) is built only by the commands that need it. Errors
a user can fix (domain errors, configuration errors) are printed as
``Error: <message>`` on stderr with exit code 1, never as a traceback.

The same commands are also available as ``flask --app factcheck factcheck ...``
(see ``register``); there they use the app that ``flask`` loaded.
"""
from __future__ import annotations

import click

from factcheck.commands._common import (  # noqa: F401 - re-exported for callers and tests
    _Runtime,
    _table,
    embeddings,
    eval_group,
    main,
    mask_url,
    pass_runtime,
    train,
)
from factcheck.domain.errors import DomainError
from factcheck.domain.permissions import ROLES

#: The demo logins created by ``factcheck demo load`` (development only).
DEMO_USERS = (
    ("checker@example.org", "checker", "checker-demo-1", "Demo Checker"),
    ("editor@example.org", "editor", "editor-demo-1", "Demo Editor"),
    ("admin@example.org", "admin", "admin-demo-1", "Demo Admin"),
)


# --------------------------------------------------------------------------- db


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_runtime
def db_upgrade(runtime: _Runtime, revision: str) -> None:
    """Apply migrations to the configured database."""
    from factcheck.db import upgrade

    url = runtime.settings.database_url
    upgrade(url, revision)
    click.echo(f"Database migrated to {revision}: {mask_url(url)}")


# ------------------------------------------------------------------------- demo


@main.group()
def demo() -> None:
    """Demo data for trying the app out (development only)."""


@demo.command("load")
@pass_runtime
def demo_load(runtime: _Runtime) -> None:
    """Load the demo library and create the demo logins (idempotent)."""
    settings = runtime.settings
    if settings.production:
        raise click.ClickException(
            "Refusing to load demo data in production (FACTCHECK_ENV=production): "
            "demo users have published passwords."
        )
    import os

    from factcheck.services import library, users as user_service

    # The model loads in well under a second; a progress bar for it is noise here.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    with runtime.session() as session:
        click.echo("Loading the demo library (embedding it may take a moment)...")
        added = library.load_demo_library(session, settings=settings)
        click.echo(f"Added {added['fact_checks']} fact-checks and {added['sources']} source documents "
                   "(items already present were skipped).")
        rows = []
        for email, role, password, name in DEMO_USERS:
            try:
                existing = user_service.get_user_by_email(session, email)
            except DomainError:
                existing = None
            if existing is None:
                user_service.create_user(session, email=email, password=password, role=role, name=name)
                rows.append((email, role, password, "created"))
            elif user_service.authenticate(session, email=email, password=password) is not None:
                rows.append((email, existing.role, password, "exists"))
            else:
                rows.append((email, existing.role, "(changed)", "exists, password or status changed"))
    click.echo("")
    click.echo("Demo logins:")
    click.echo(_table(("email", "role", "password", "status"), rows))


# ------------------------------------------------------------------------ users


@main.group()
def users() -> None:
    """User accounts and roles."""


@users.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The user's role.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The password (prompted for, hidden, when omitted).")
@click.option("--name", default="", help="Display name (defaults to the part of the email before @).")
@pass_runtime
def users_create(runtime: _Runtime, email: str, role: str, password: str, name: str) -> None:
    """Create a user with a role."""
    from factcheck.services import users as user_service

    with runtime.session() as session:
        user = user_service.create_user(session, email=email, password=password, role=role, name=name)
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@users.command("list")
@pass_runtime
def users_list(runtime: _Runtime) -> None:
    """List all users."""
    from factcheck.services import users as user_service

    with runtime.session() as session:
        rows = [(u.id, u.email, u.name, u.role, "active" if u.is_active else "deactivated")
                for u in user_service.list_users(session)]
    if not rows:
        click.echo("No users yet: create one with 'factcheck users create EMAIL --role admin'.")
        return
    click.echo(_table(("id", "email", "name", "role", "status"), rows))


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@pass_runtime
def users_set_role(runtime: _Runtime, email: str, role: str) -> None:
    """Change a user's role."""
    from factcheck.services import users as user_service

    with runtime.session() as session:
        user = user_service.get_user_by_email(session, email)
        user = user_service.set_role(session, user_id=user.id, role=role)
        click.echo(f"{user.email} is now {user.role}.")


@users.command("deactivate")
@click.argument("email")
@pass_runtime
def users_deactivate(runtime: _Runtime, email: str) -> None:
    """Deactivate a user: they can no longer log in or use their API tokens."""
    from factcheck.services import users as user_service

    with runtime.session() as session:
        user = user_service.get_user_by_email(session, email)
        user_service.set_active(session, user_id=user.id, active=False)
        click.echo(f"Deactivated {user.email}.")


@users.command("activate")
@click.argument("email")
@pass_runtime
def users_activate(runtime: _Runtime, email: str) -> None:
    """Re-activate a deactivated user."""
    from factcheck.services import users as user_service

    with runtime.session() as session:
        user = user_service.get_user_by_email(session, email)
        user_service.set_active(session, user_id=user.id, active=True)
        click.echo(f"Activated {user.email}.")


@users.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The new password (prompted, hidden, when omitted).")
@pass_runtime
def users_set_password(runtime: _Runtime, email: str, password: str) -> None:
    """Set a user's password (e.g. after importing users without password hashes)."""
    from factcheck.services import users as user_service

    with runtime.session() as session:
        user = user_service.get_user_by_email(session, email)
        user_service.set_password(session, user_id=user.id, password=password)
        click.echo(f"Password of {user.email} changed.")


# ----------------------------------------------------------------------- tokens


@main.group()
def tokens() -> None:
    """API tokens (Bearer tokens for /api/v1)."""


@tokens.command("create")
@click.argument("email")
@click.option("--name", default="", help="A label for the token, e.g. the integration using it.")
@pass_runtime
def tokens_create(runtime: _Runtime, email: str, name: str) -> None:
    """Create an API token for a user; it is printed once, as the last word."""
    from factcheck.services import users as user_service

    with runtime.session() as session:
        user = user_service.get_user_by_email(session, email)
        if not user.is_active:
            raise click.ClickException(f"{user.email} is deactivated; activate the user first.")
        token = user_service.create_token(session, user=user, name=name)
        click.echo(f"API token for {user.email} (shown once): {token}")


@tokens.command("revoke")
@click.argument("email")
@pass_runtime
def tokens_revoke(runtime: _Runtime, email: str) -> None:
    """Revoke all of a user's API tokens."""
    from factcheck.services import users as user_service

    with runtime.session() as session:
        user = user_service.get_user_by_email(session, email)
        count = user_service.revoke_tokens(session, user=user)
        click.echo(f"Revoked {count} token{'s' if count != 1 else ''} of {user.email}.")


# ------------------------------------------------------------------ fact-checks


@main.group("fact-checks")
def fact_checks() -> None:
    """The library of earlier fact-checks."""


@fact_checks.command("add")
@click.option("--claim", "claim_reviewed", required=True, help="The claim that was reviewed.")
@click.option("--rating", required=True, help="The publisher's rating, e.g. 'False'.")
@click.option("--url", required=True, help="The fact-check's URL (unique in the library).")
@click.option("--publisher", default=None, help="Who published it.")
@click.option("--claimant", default=None, help="Who made the claim.")
@click.option("--date", "date_published", default=None, help="Publication date, YYYY-MM-DD.")
@click.option("--summary", default="", help="A short summary of the finding.")
@click.option("--language", default="en", show_default=True)
@pass_runtime
def fact_checks_add(runtime: _Runtime, **data) -> None:
    """Add one earlier fact-check to the library (it is embedded for matching)."""
    from factcheck.services import library

    with runtime.session() as session:
        fact_check = library.add_fact_check(session, settings=runtime.settings, data=data)
        click.echo(f"Added fact-check {fact_check.id}: {fact_check.url}")


# ------------------------------------------------------------------------ serve


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, type=int, envvar="PORT", show_default="$PORT or 5000",
              help="Port to listen on.")
@pass_runtime
def serve(runtime: _Runtime, host: str, port: int) -> None:
    """Run the development server (use gunicorn in production)."""
    app = runtime.app
    if runtime.settings.production:
        click.echo("Note: this is the development server; run gunicorn in production (see README.md).",
                   err=True)
    click.echo(f"factcheck is running on http://{host}:{port}/  (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=False, threaded=True, load_dotenv=False)


# ------------------------------------------------------- embeddings, train, eval


@embeddings.command("reindex")
@click.option("--kind", type=click.Choice(["all", "fact_check", "passage", "claim"]), default="all",
              show_default=True)
@pass_runtime
def embeddings_reindex(runtime: _Runtime, kind: str) -> None:
    """Embed every object with the configured model (after changing FACTCHECK_EMBEDDING_MODEL)."""
    from factcheck.services.matching import reindex

    kinds = ["fact_check", "passage", "claim"] if kind == "all" else [kind]
    with runtime.session() as session:
        for name in kinds:
            count = reindex(session, settings=runtime.settings, kind=name, show_progress=True)
            click.echo(f"Embedded {count} {name.replace('_', '-')} texts with {runtime.settings.embedding_model}.")


# ------------------------------------------------------------------------ flask


def register(app) -> None:
    """Make the commands available as ``flask --app factcheck factcheck ...``.

    Under ``flask`` the commands use the app that ``flask`` loaded (and its settings).
    """
    if "factcheck" not in app.cli.commands:
        app.cli.add_command(main, "factcheck")


# Command modules attach their commands to the groups of factcheck.commands._common.
from factcheck import commands as _commands  # noqa: E402,F401

if __name__ == "__main__":  # pragma: no cover
    # Under ``python -m factcheck.cli`` this file runs as ``__main__``, a second copy of the module: the
    # command modules registered their commands on ``factcheck.cli``'s groups, so run that one.
    from factcheck.cli import main as registered_main

    registered_main()
