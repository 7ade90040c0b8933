"""The seen-log: when a user last opened each of a party's cases (unread marking compares it with arrivals)."""

from __future__ import annotations

import datetime as dt

from .clock import _from_iso, _iso, now
from .database import Database

CHUNK = 400  # bound parameters per statement stay far below SQLite's limit


class SeenStore:
    """When a user last opened each case."""

    db: Database

    def seen_cases(self, user_handle: str, party: str) -> dict[str, dt.datetime]:
        """When this user last opened each of this party's cases (case handle -> time)."""
        rows = self.db.rows("select case_handle, seen_at from seen where user_handle = ? and party = ?",
                            [user_handle, party])
        return {h: _from_iso(t) for h, t in rows}

    def mark_seen(self, user_handle: str, party: str, *case_handles: str) -> dt.datetime | None:
        """The user has seen these cases (or baselines) now: one statement for all of them. Returns the moment
        stored (as :meth:`seen_cases` would read it back)."""
        if not case_handles:
            return None
        stamp = _iso(now())
        with self.db.transaction():  # one commit for all of them
            self.db.executemany(
                "insert into seen (user_handle, party, case_handle, seen_at) values (?, ?, ?, ?)"
                " on conflict (user_handle, party, case_handle) do update set seen_at = excluded.seen_at",
                [(user_handle, party, handle, stamp) for handle in case_handles])
            self.db.executemany("insert into seen_versions (user_handle, version) values (?, 1)"
                                " on conflict (user_handle) do update set version = seen_versions.version + 1",
                                [(user_handle,)])
        return _from_iso(stamp)

    def count_versions(self, user_handle: str, parties: list[str]) -> tuple[int, tuple[tuple[str, int], ...]]:
        """(the user's seen-log version, (party, case version) of those of the parties that have cases), in one
        statement per 400 parties: what counts made from the parties' case rows and the user's seen-log were made at."""
        wanted = sorted(set(parties))
        rows = []
        for start in range(0, max(len(wanted), 1), CHUNK):
            chunk = wanted[start:start + CHUNK]
            parts = [f"select party, version from case_versions where party in ({','.join('?' * len(chunk))})"
                     ] if chunk else []
            if start == 0:  # a party's digits are never empty: '' marks the seen-log's version
                parts.insert(0, "select '', version from seen_versions where user_handle = ?")
            rows += self.db.rows(" union all ".join(parts), [user_handle, *chunk] if start == 0 else chunk)
        seen = next((v for p, v in rows if p == ""), 0)
        return seen, tuple(sorted((p, v) for p, v in rows if p != ""))

    def seen_for_parties(self, user_handle: str, parties: list[str]) -> dict[str, dict[str, dt.datetime]]:
        """The user's seen-log for each of these parties: party -> (case handle or baseline -> when)."""
        out: dict[str, dict[str, dt.datetime]] = {}
        wanted = sorted(set(parties))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            rows = self.db.rows("select party, case_handle, seen_at from seen where user_handle = ?"
                                f" and party in ({','.join('?' * len(chunk))})", [user_handle, *chunk])
            for party, handle, at in rows:
                if at:
                    out.setdefault(party, {})[handle] = _from_iso(at)
        return out
