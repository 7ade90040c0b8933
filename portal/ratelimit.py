"""The log-in rate limit's counters in the portal's database: one count across every instance and worker.

Flask-Limiter keeps its counters in a ``limits`` storage; none of those it ships is an SQL
database, and a portal with several instances already shares one. This storage implements
the fixed-window counters ``limits`` needs with one upsert per hit (``RETURNING`` the new
count), on SQLite and PostgreSQL alike. Scheme: ``portaldb://``, with the database given
as the storage option ``database``.
"""

from __future__ import annotations

import time

from limits.storage import Storage
from sqlalchemy.exc import SQLAlchemyError

from portal.store.database import Database


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_limits`` table."""

    STORAGE_SCHEME = ["portaldb"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.database = str(options["database"])

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def _run(self, sql: str, params):
        db = Database(self.database)
        try:
            return db.execute(sql, params).fetchone()
        finally:
            db.close()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        moment = time.time()
        row = self._run(
            "insert into rate_limits (key, hits, expires_at) values (?, ?, ?) on conflict (key) do update set"
            " hits = case when rate_limits.expires_at <= ? then excluded.hits else rate_limits.hits + excluded.hits end,"
            " expires_at = case when rate_limits.expires_at <= ? then excluded.expires_at"
            " else rate_limits.expires_at end returning hits",
            [key, amount, moment + expiry, moment, moment])
        return int(row[0])

    def get(self, key: str) -> int:
        row = self._run("select hits from rate_limits where key = ? and expires_at > ?", [key, time.time()])
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._run("select expires_at from rate_limits where key = ? and expires_at > ?", [key, time.time()])
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._run("select 1", [])
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        db = Database(self.database)
        try:
            return db.execute("delete from rate_limits").rowcount
        finally:
            db.close()

    def clear(self, key: str) -> None:
        db = Database(self.database)
        try:
            db.execute("delete from rate_limits where key = ?", [key])
        finally:
            db.close()
