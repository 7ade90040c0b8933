"""``flask --app portal db upgrade|current``: the schema's migrations, for an operator.

Every instance also migrates at start (once, under a lock), so a single host needs no
step of its own; with several instances, run ``db upgrade`` once before rolling out a
release, so no instance starts on a schema older than its code.
"""

from __future__ import annotations

import click
from flask import Blueprint

from portal.runtime import config
from portal.store import schema
from portal.store.database import describe

bp = Blueprint("db", __name__, cli_group="db")


@bp.cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="the revision to migrate to")
def upgrade_command(revision: str) -> None:
    """Apply the migrations the database has not had yet."""
    database = config().settings.database
    schema.upgrade(database, revision)
    click.echo(f"{describe(database)}: at revision {schema.current_revision(database)}")


@bp.cli.command("current")
def current_command() -> None:
    """Which revision the database is at, and which the code expects."""
    database = config().settings.database
    click.echo(f"{describe(database)}: at revision {schema.current_revision(database)}"
               f" (this code expects {schema.head_revision()})")
