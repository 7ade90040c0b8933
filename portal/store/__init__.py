"""All persistence, in one package: SQLite through sqlite-utils.

Everything the portal keeps goes through ``Store``, so a server database can take
SQLite's place when several portal instances share state. One ``Store`` (one
connection) per request or thread, never shared across threads. Each concept has
its own module; ``Store`` puts them together over one connection.
"""

from __future__ import annotations

import sqlite_utils

from .audit import AuditStore
from .cases import CasesStore
from .catalogs import CatalogsStore
from .clock import UTC, now
from .events import EventsStore
from .notices import NoticesStore
from .records import CaseQuery, CaseRow, StoredEvent, SyncState
from .schema import connect, ensure_schema, prepare_database
from .sessions import SessionsStore
from .situations import SituationsStore


class Store(SessionsStore, EventsStore, CasesStore, AuditStore, SituationsStore, CatalogsStore,
            NoticesStore):
    """The portal's persistence operations over one connection."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def close(self) -> None:
        self.db.conn.close()


__all__ = ["Store", "CaseQuery", "CaseRow", "StoredEvent", "SyncState", "UTC", "now", "connect", "ensure_schema",
           "prepare_database"]
