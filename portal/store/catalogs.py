"""Producers' catalogs, cached in the database, and their parsed documents kept per process."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict

from .clock import _from_iso, _iso, now
from .database import Database

# Parsed documents by database, then producer: (fetched at as stored, parsed). Every page names its cases from the
# catalogs; reading and parsing every document on every page cost more than the rest of the page's queries, so a
# page reads only when each was fetched, and the documents that changed since. Treat them as read-only.
# Production has one database; a process that opens many one after another (the test suite) keeps the last few.
_parsed: OrderedDict[str, dict[str, tuple[str, tuple]]] = OrderedDict()
_parsed_lock = threading.Lock()
KEEP_DATABASES = 8


class CatalogsStore:
    """Producers' catalogs, cached."""

    db: Database

    def catalogs(self) -> dict[str, tuple[dt.datetime, dict | None]]:
        """Cached catalogs by producer: (fetched at, document or None for "publishes none")."""
        stamps = self.db.rows("select producer, fetched_at from catalogs")
        out, changed, keep = {}, [], {}
        with _parsed_lock:
            known = _parsed.get(self.db.database, {})
            for producer, fetched_at in stamps:
                kept = known.get(producer)
                if kept is not None and kept[0] == fetched_at:
                    out[producer], keep[producer] = kept[1], kept
                else:
                    changed.append(producer)
        if changed:
            rows = self.db.rows(f"select producer, fetched_at, data from catalogs where producer in"
                                f" ({','.join('?' * len(changed))})", changed)
            for producer, fetched_at, data in rows:
                out[producer] = (_from_iso(fetched_at), json.loads(data) if data else None)
                keep[producer] = (fetched_at, out[producer])
        with _parsed_lock:  # only the producers it has now: one dropped from the table falls out too
            _parsed[self.db.database] = keep
            _parsed.move_to_end(self.db.database)
            while len(_parsed) > KEEP_DATABASES:
                _parsed.popitem(last=False)
        return out

    def save_catalog(self, producer: str, doc: dict | None) -> None:
        with self.db.transaction():
            self.db.execute("insert into catalogs (producer, fetched_at, data) values (?, ?, ?)"
                            " on conflict (producer) do update set fetched_at = excluded.fetched_at, data = excluded.data",
                            [producer, _iso(now()), json.dumps(doc, ensure_ascii=False) if doc is not None else None])
