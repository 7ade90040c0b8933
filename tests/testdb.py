"""Where a test's portal keeps its data: the one place that chooses the test database."""

from __future__ import annotations

from pathlib import Path


def test_database(tmp_path) -> str:
    """The ``database`` setting for a portal whose files live in ``tmp_path``: a SQLite file there."""
    return str(Path(tmp_path) / "portal.db")


test_database.__test__ = False  # a helper, not a test, in any test module that imports it
