"""Which database a test's portal uses: SQLite (default) or PostgreSQL (``PORTAL_TEST_BACKEND=postgresql``).

Every test config builder gets its database here, so the store, web and integration
suites run unchanged on either backend (`make test` runs them on both).
"""

from __future__ import annotations

import os
from pathlib import Path

BACKEND = os.environ.get("PORTAL_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError(f"PORTAL_TEST_BACKEND must be sqlite or postgresql, not {BACKEND!r}")


def on_postgres() -> bool:
    return BACKEND == "postgresql"


def test_database(tmp_path: Path, name: str = "portal", *, empty: bool = False) -> str:
    """A new database for one test: a file in ``tmp_path``, or a fresh database on the test server.

    On PostgreSQL it is a copy of one migrated at the start of the run (unless ``empty``): what every
    portal does first at start costs a few hundred milliseconds there, a copy a few.
    """
    if on_postgres():
        import pgcluster

        return pgcluster.fresh_database(name[:20], template="template0" if empty else _migrated_template())
    return str(tmp_path / f"{name}.db")


_template: list[str] = []


def _migrated_template() -> str:
    """A database at the current schema, made once per test run: each test's database is a copy (a few ms,
    where migrating a new one takes a few hundred). The migrations themselves are tested on empty databases."""
    if not _template:
        import pgcluster
        from sqlalchemy.engine import make_url

        from portal.store import database, prepare_database

        url = pgcluster.fresh_database("template")
        prepare_database(url)
        database.dispose_engines()  # CREATE DATABASE ... TEMPLATE needs it with no one connected
        _template.append(make_url(url).database)
    return _template[0]


test_database.__test__ = False  # a helper, not a test
