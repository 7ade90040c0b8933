"""Unit tests: the shared builders live in ``builders.py``; importing it registers the hypothesis profile."""

import builders  # noqa: F401
import pytest

from portal.store import Store, connect, ensure_schema


@pytest.fixture()
def store(database):
    """A ``Store`` on this test's own database (SQLite, or PostgreSQL with PORTAL_TEST_BACKEND), schema in place."""
    db = connect(database)
    ensure_schema(db)
    s = Store(db)
    yield s
    s.close()
