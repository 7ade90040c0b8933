"""All persistence, in one package: SQLite or PostgreSQL through SQLAlchemy Core.

Everything the portal keeps goes through ``Store``: one ``Store`` (one borrowed
connection, :class:`~portal.store.database.Database`) per request or thread, never
shared across threads. Each concept has its own module; ``Store`` puts them together
over one connection. The schema is ``tables.py``; ``schema.py`` migrates a database to
it with Alembic.
"""

from __future__ import annotations

from .audit import AuditStore
from .calendar_links import CalendarLinksStore
from .cases import CasesStore
from .catalogs import CatalogsStore
from .clock import UTC, now
from .database import Database
from .events import EventsStore
from .leases import LeasesStore
from .notices import NoticesStore
from .records import CaseQuery, CaseRow, StoredEvent, SyncState
from .seen import SeenStore
from .schema import DatabaseUnavailable, ensure_schema, prepare_database
from .sessions import SessionsStore
from .situations import SituationsStore
from .sync_state import SyncStateStore


class Store(SessionsStore, EventsStore, CasesStore, SeenStore, SyncStateStore, AuditStore, SituationsStore,
            CalendarLinksStore, CatalogsStore, NoticesStore, LeasesStore):
    """The portal's persistence operations over one connection."""

    def __init__(self, db: Database):
        self.db = db

    def transaction(self):
        """One unit of work over several operations (``with store.transaction():``); nested ones join it."""
        return self.db.transaction()

    def deferred_writes(self):
        """Writes to several agencies' rows made together (``with store.deferred_writes():``, inside a
        transaction): see :meth:`Database.deferred`."""
        return self.db.deferred()

    def close(self) -> None:
        """Give the connection back to the pool."""
        self.db.close()


def connect(database: str) -> Database:
    """A connection (borrowed lazily from this process's pool) to the configured database; close it when done."""
    return Database(database)


__all__ = ["Store", "CaseQuery", "CaseRow", "StoredEvent", "SyncState", "UTC", "now", "connect", "ensure_schema",
           "prepare_database", "Database", "DatabaseUnavailable"]
