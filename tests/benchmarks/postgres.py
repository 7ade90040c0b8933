"""The bench's PostgreSQL: a cluster of its own with production durability, or a server named by the user.

The test suite's clusters (``tests/pgcluster.py``) run with ``fsync=off`` and ``synchronous_commit=off``: fast and
worth nothing after a crash. A figure measured on that would flatter PostgreSQL against SQLite (whose bench portal
keeps WAL with ``synchronous=NORMAL``), so the bench starts its own ``Cluster`` with the settings a production server
has: every commit waits until its WAL record is flushed to disk (``fsync=on``, ``synchronous_commit=on``,
``full_page_writes=on``). Everything else is PostgreSQL's default (``shared_buffers`` 128 MB), plus enough
connections for three gunicorn instances' pools. ``--postgres-url`` (or ``PORTAL_BENCH_POSTGRES_URL``) uses an
existing server instead (an admin user that may ``CREATE DATABASE``); the settings the server reports are kept with
every PostgreSQL figure either way.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/pgcluster.py, imported as the tests do
import pgcluster
from pgcluster import PostgresUnavailable

ENV_URL = "PORTAL_BENCH_POSTGRES_URL"
DURABLE_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "max_connections": "300",  # 3 portals x workers x (pool 8 + overflow 24), and the bench's own
}
REPORTED = ("server_version", "fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "max_connections")


class BenchPostgres:
    """A PostgreSQL server for the bench's portals: ``database()`` gives each portal a new, empty database."""

    def __init__(self, url: str | None = None):
        self.cluster: pgcluster.Cluster | None = None
        url = url or os.environ.get(ENV_URL)
        if url:
            self.admin_url = pgcluster.normalise_url(url)
            self.source = "given server (--postgres-url / " + ENV_URL + ")"
        else:
            self.cluster = pgcluster.Cluster(settings=DURABLE_SETTINGS)
            t0 = time.monotonic()
            self.cluster.start()
            self.admin_url = self.cluster.url()
            self.source = f"a cluster of the bench's own (initdb + start {time.monotonic() - t0:.1f} s)"
        self.settings = self._settings()

    def _settings(self) -> dict[str, str]:
        with pgcluster.connect(self.admin_url, connect_timeout=5) as conn:
            return {name: conn.execute(f"show {name}").fetchone()[0] for name in REPORTED}

    def database(self, prefix: str) -> str:
        """A new, empty database on the server, as a ``postgresql+psycopg://`` URL (the portal migrates it)."""
        return pgcluster.fresh_database(prefix, server=self.admin_url)

    def describe(self) -> str:
        s = self.settings
        return (f"PostgreSQL {s['server_version'].split()[0]}, {self.source}: fsync={s['fsync']}, "
                f"synchronous_commit={s['synchronous_commit']}, full_page_writes={s['full_page_writes']}, "
                f"shared_buffers={s['shared_buffers']}")

    def close(self) -> None:
        from portal.store.database import dispose_engines
        dispose_engines()  # the bench process's own pooled connections, before the server goes
        if self.cluster is not None:
            self.cluster.close()


def commit_ms(database: str, repeats: int = 200) -> float:
    """One small insert and its commit through the store's ``Database`` (autocommit: one round trip, and with
    ``synchronous_commit=on`` the WAL flush), median in ms: what a page view's audit row costs on PostgreSQL."""
    from portal.store import connect
    db = connect(database)
    try:
        db.execute("create table calibration_commit (id serial primary key, at text, what text)")
        times = []
        for i in range(repeats):
            t0 = time.perf_counter()
            db.execute("insert into calibration_commit (at, what) values (?, ?)", [str(i), "overview"])
            times.append(time.perf_counter() - t0)
        db.execute("drop table calibration_commit")
    finally:
        db.close()
    return statistics.median(times) * 1000


__all__ = ["DURABLE_SETTINGS", "BenchPostgres", "PostgresUnavailable", "commit_ms"]
