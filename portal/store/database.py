"""One connection to the store's database, SQLite or PostgreSQL, through SQLAlchemy Core.

``PORTAL_DATABASE`` (``[portal] database``) is either a file path (SQLite, the embedded
default) or a ``postgresql://`` URL. Each process keeps one engine (a connection pool)
per database; a :class:`Database` borrows one connection from it for a request or a
thread and gives it back at :meth:`Database.close`.

The queries are written once, in the SQL both engines share (``insert ... on conflict``,
``coalesce``, ``substr``, ``like``), with ``?`` placeholders: SQLAlchemy hands them to
the driver in its own parameter style. Connections run in autocommit, and
:meth:`Database.transaction` brackets a unit of work explicitly (``BEGIN IMMEDIATE`` on
SQLite, so a write transaction never fails half-way for want of the write lock), so a
read outside a transaction holds no snapshot and no lock between requests.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.pool import StaticPool

POSTGRES_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def is_postgres(database: str) -> bool:
    return database.startswith(POSTGRES_SCHEMES)


def url_for(database: str) -> str:
    """The SQLAlchemy URL of a configured database: a file path, ``:memory:`` or a PostgreSQL URL."""
    if is_postgres(database):
        return "postgresql+psycopg://" + database.split("://", 1)[1]
    if database == ":memory:":
        return "sqlite://"
    return f"sqlite:///{Path(database).resolve()}"


def describe(database: str) -> str:
    """The database for messages and logs: never a password."""
    if is_postgres(database):
        from sqlalchemy.engine import make_url

        return make_url(url_for(database)).render_as_string(hide_password=True)
    return database


_engines: OrderedDict[str, Engine] = OrderedDict()
_engines_lock = threading.Lock()
# A process that opens many databases one after another (the test suite: one per test) keeps the last few
# engines; an older one is disposed of (its idle connections closed; it can still open new ones if used).
_KEEP_ENGINES = 8
pool_settings = {"pool_size": 8, "max_overflow": 24}


# database setting -> its SQLAlchemy URL, worked out once: every request opens a Database, and an SQLite path's
# URL resolves the path on the file system (a few system calls each time).
_urls: dict[str, str] = {}


def engine(database: str) -> Engine:
    """This process's engine (connection pool) for the database, made on first use."""
    url = _urls.get(database)
    if url is None:
        url = url_for(database)
        if len(_urls) >= 256:  # a process that opens many databases (the test suite) keeps the last ones
            _urls.clear()
        _urls[database] = url
    with _engines_lock:
        found = _engines.get(url)
        if found is not None:
            _engines.move_to_end(url)
            return found
        made = _make_engine(url)
        _engines[url] = made
        while len(_engines) > _KEEP_ENGINES:
            _engines.popitem(last=False)[1].dispose()
        return made


def dispose_engines(*, close: bool = True) -> None:
    """Forget every engine of this process, closing their idle connections (``close=False`` after a fork: the
    parent's connections are the parent's to close)."""
    with _engines_lock:
        for made in _engines.values():
            made.dispose(close=close)
        _engines.clear()


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url == "sqlite://"
        made = create_engine(
            url, isolation_level="AUTOCOMMIT", hide_parameters=True,
            # One connection per thread at a time (the pool sees to that), handed between threads over time.
            connect_args={"check_same_thread": False, "timeout": 10},
            **({"poolclass": StaticPool} if memory else {"pool_size": pool_settings["pool_size"],
                                                         "max_overflow": pool_settings["max_overflow"],
                                                         "pool_timeout": 30}))
        event.listen(made, "connect", _sqlite_pragmas)
        return made
    # hide_parameters: an error's text (logged) never carries a query's values, an identity number among them.
    # No pre-ping (a round trip on every request): when PostgreSQL went away, the first statement that finds a dead
    # connection fails (that request gets the 503 page) and SQLAlchemy then replaces every older pooled connection.
    return create_engine(url, isolation_level="AUTOCOMMIT", hide_parameters=True, pool_timeout=30,
                         pool_size=pool_settings["pool_size"], max_overflow=pool_settings["max_overflow"],
                         connect_args={"connect_timeout": 5})


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    # WAL (set once, in the file) with synchronous=NORMAL: no fsync per commit, still never corrupt; at worst a
    # power cut loses the last few cached answers, which the next page view fetches again.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


@lru_cache(maxsize=4096)
def _pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (and a literal ``%`` doubled), outside quoted text."""
    out, quote = [], None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
            out.append("%%" if ch == "%" else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=4096)
def _is_read(statement: str) -> bool:
    """A ``select``, or a ``with ... select`` that writes nothing (the portal's own SQL: values are parameters)."""
    text = statement.lstrip().lower()
    return text.startswith("select") or (text.startswith("with")
                                         and not re.search(r"\b(insert|update|delete|merge)\b", text))


class Database:
    """One borrowed connection and the transaction on it; not shared between threads."""

    def __init__(self, database: str):
        self.database = database
        self.engine = engine(database)
        self.dialect = self.engine.dialect.name  # "sqlite" or "postgresql"
        self._conn: Connection | None = None
        self._depth = 0
        self._deferred: dict[str, list[tuple]] | None = None  # see :meth:`deferred`

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            self._conn = self.engine.connect()
        elif self._conn.invalidated and not self._depth:
            # A statement found the connection dead (the database went away or restarted) and its error was
            # handled, e.g. leases left to run out by themselves. SQLAlchemy keeps the dead connection's
            # transaction, and refuses every later statement (PendingRollbackError: a 500, not the 503 page), until
            # it is rolled back; outside a transaction of ours nothing is lost by that. The next statement then
            # connects anew, or fails as the database being down does.
            self._conn.rollback()
        return self._conn

    def _sql(self, sql: str) -> str:
        return _pyformat(sql) if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params=()) -> CursorResult:
        """Run one statement with ``?`` placeholders; rows are tuples (``row[0]``) with names (``row._mapping``)."""
        if self._deferred:
            self._run_deferred()
        return self.connection.exec_driver_sql(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows) -> int:
        """Run one statement for each parameter tuple; how many rows it changed in all (inside :meth:`deferred`:
        how many parameter tuples it was given)."""
        rows = [tuple(r) for r in rows]
        if not rows:
            return 0
        if self._deferred is not None:
            self._deferred.setdefault(sql, []).extend(rows)
            return len(rows)
        return self.connection.exec_driver_sql(self._sql(sql), rows).rowcount

    @contextlib.contextmanager
    def deferred(self):
        """Inside the block, :meth:`executemany` keeps its rows; they run, one call per statement for all the rows
        it was given, before the next :meth:`execute` (a read sees every write made before it) and when the
        block ends. For writes to rows no other of the block's writes touches (several agencies' answers of one
        party, each to its own rows): the order between two statements' rows may change, their effect may not.
        Used inside a transaction (a commit runs what is kept first); a block that raises drops what it kept."""
        if self._deferred is not None:  # already deferring: one block
            yield self
            return
        self._deferred = {}
        try:
            yield self
        except BaseException:
            self._deferred = None
            raise
        try:
            self._run_deferred()
        finally:
            self._deferred = None

    def _run_deferred(self) -> None:
        pending, self._deferred = self._deferred, {}
        for sql, rows in pending.items():
            self.connection.exec_driver_sql(self._sql(sql), rows)

    def rows(self, sql: str, params=()) -> list[tuple]:
        """Every row of a read (a ``select``), as tuples: ``execute(sql, params).fetchall()``, for less CPU."""
        return self._read(sql, params)[1]

    def row(self, sql: str, params=()) -> tuple | None:
        """The first row of a read, or None: ``execute(sql, params).fetchone()``, for less CPU."""
        found = self._read(sql, params)[1]
        return found[0] if found else None

    def first(self, sql: str, params=()) -> dict | None:
        """The first row of a query as a dict (column -> value), or None."""
        names, found = self._read(sql, params)
        return dict(zip(names, found[0])) if found else None

    def _read(self, sql: str, params) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of a read, straight on the driver's cursor where that is safe.

        SQLAlchemy's execution context and result object cost 20-65 µs of CPU per statement (SQLite-PostgreSQL): more
        than most of a warm page's reads themselves, and a page makes eight to a dozen of them (issue 16). A read
        (``select``, or ``with`` ... ``select``) outside a transaction, with nothing listening to statements (the tests
        that count them), runs on the connection's DB-API cursor instead. Should the driver raise there, the read runs
        once more the usual way: its error, and what a dead connection sets off (that connection and the pool's older
        ones replaced), are SQLAlchemy's, as for every other statement; a read has no effect to repeat. Writes, and
        reads inside a transaction (where a failed statement may have ended it), always go through SQLAlchemy.
        """
        if self._deferred:
            self._run_deferred()
        statement, params = self._sql(sql), tuple(params)
        conn = self.connection
        if not self._depth and _is_read(statement) and not (
                conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute):
            try:
                cursor = conn.connection.cursor()
                try:
                    cursor.execute(statement, params)
                    return [d[0] for d in cursor.description or ()], cursor.fetchall()
                finally:
                    cursor.close()
            except Exception:  # said again below, by SQLAlchemy
                pass
        result = conn.exec_driver_sql(statement, params)
        return list(result.keys()), [tuple(r) for r in result.fetchall()]

    def scalar(self, sql: str, params=()):
        return self.execute(sql, params).scalar()

    @contextlib.contextmanager
    def transaction(self):
        """A unit of work: committed when the block ends, rolled back when it raises. Nested blocks join it."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        conn = self.connection
        conn.exec_driver_sql("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        self._depth = 1
        try:
            yield self
            if self._deferred:  # a deferred block that outlives the transaction: its writes belong to it
                self._run_deferred()
        except BaseException:
            self._depth = 0
            with contextlib.suppress(Exception):
                conn.exec_driver_sql("ROLLBACK")
            raise
        self._depth = 0
        conn.exec_driver_sql("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def close(self) -> None:
        """Give the connection back to the pool (a transaction left open is rolled back first)."""
        conn, self._conn = self._conn, None
        self._deferred = None
        if conn is None:
            return
        if self._depth:
            self._depth = 0
            with contextlib.suppress(Exception):
                conn.exec_driver_sql("ROLLBACK")
        with contextlib.suppress(Exception):
            conn.close()
