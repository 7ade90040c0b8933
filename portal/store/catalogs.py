"""Producers' catalogs, cached."""

from __future__ import annotations

import datetime as dt
import json



from .database import Database
from .clock import _from_iso, _iso, now


class CatalogsStore:
    """Producers' catalogs, cached."""

    db: Database

    # --- catalogs -----------------------------------------------------------
    def catalogs(self) -> dict[str, tuple[dt.datetime, dict | None]]:
        """Cached catalogs by producer: (fetched at, document or None for "publishes none")."""
        rows = self.db.execute("select producer, fetched_at, data from catalogs").fetchall()
        return {row[0]: _catalog_row(row) for row in rows}

    def save_catalog(self, producer: str, doc: dict | None) -> None:
        with self.db.transaction():
            self.db.execute("insert into catalogs (producer, fetched_at, data) values (?, ?, ?)"
                            " on conflict (producer) do update set fetched_at = excluded.fetched_at, data = excluded.data",
                            [producer, _iso(now()), json.dumps(doc, ensure_ascii=False) if doc is not None else None])


def _catalog_row(row) -> tuple:
    return _from_iso(row[1]), (json.loads(row[2]) if row[2] else None)
