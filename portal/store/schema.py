"""Bringing a database to the current schema: Alembic's versioned migrations, applied once.

Several workers or instances may start at the same moment: they take turns (a file
lock beside an SQLite file; an advisory lock on PostgreSQL), and whoever comes second
finds the database at the head revision and does nothing. A database made before
migrations existed (it has the tables but no ``alembic_version``) is recognised and
continued from revision 0001.
"""

from __future__ import annotations

import contextlib
import fcntl
from functools import lru_cache
from pathlib import Path

from sqlalchemy import inspect, text

from .database import Database, describe, engine, is_postgres

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
_LOCK_ID = 7_170_017  # PostgreSQL advisory lock: "the portal is migrating its schema"


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached or prepared; the message says which and why."""


def _alembic_config():
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(database: str) -> str | None:
    """The revision the database is at (None: no migrations applied)."""
    with engine(database).connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("select version_num from alembic_version")).scalar()


def upgrade(database: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (once, whoever else is starting)."""
    from alembic import command

    with _migration_lock(database):
        made = engine(database)
        isolation = "SERIALIZABLE" if made.dialect.name == "sqlite" else "READ COMMITTED"
        with made.connect().execution_options(isolation_level=isolation) as conn:
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            legacy = not inspect(conn).has_table("alembic_version") and inspect(conn).has_table("events")
            if legacy:
                command.stamp(cfg, "0001")  # made by the last ensure_schema, before migrations
            command.upgrade(cfg, revision)
            conn.commit()


def prepare_database(database: str) -> None:
    """Make the database ready for the portal (or raise :class:`DatabaseUnavailable` saying why)."""
    try:
        if database != ":memory:" and not is_postgres(database):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if current_revision(database) == head_revision():
            return
        upgrade(database)
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # the driver's own error says what failed; the URL is shown without its password
        raise DatabaseUnavailable(f"the database {describe(database)} cannot be used: {_reason(exc)}") from exc


def ensure_schema(db: Database) -> None:
    """The database behind ``db`` at the current schema (tests and tools that open one directly)."""
    prepare_database(db.database)


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return " ".join(str(orig or exc).split())[:300]


@contextlib.contextmanager
def _migration_lock(database: str):
    if is_postgres(database):
        with engine(database).connect() as conn:
            conn.exec_driver_sql(f"select pg_advisory_lock({_LOCK_ID})")
            try:
                yield
            finally:
                conn.exec_driver_sql(f"select pg_advisory_unlock({_LOCK_ID})")
        return
    if database == ":memory:":
        yield
        return
    # Switching to WAL and creating tables need the file to themselves: workers take turns instead of failing
    # with "database is locked".
    with open(f"{database}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with engine(database).connect() as conn:
                if conn.exec_driver_sql("PRAGMA journal_mode").scalar() != "memory":
                    conn.exec_driver_sql("PRAGMA journal_mode = WAL")
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
