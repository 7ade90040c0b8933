"""Leases: "this instance is asking this agency for this party now", shared by every portal instance.

A lease is one row, taken with one conditional upsert: it is free when there is none or
the last holder's has run out (an instance that died mid-fetch blocks nobody for longer
than the lease). The holder gives it back when the answer is stored.
"""

from __future__ import annotations

from .clock import now
from .database import Database


class LeasesStore:
    """Fetch leases per (party, producer, scope)."""

    db: Database

    def take_fetch_lease(self, party: str, producer: str, scope: str, holder: str, ttl_s: float) -> bool:
        """True when ``holder`` now holds the lease (it was free or had run out); False when someone else does."""
        moment = now().timestamp()
        return self.db.execute(
            "insert into fetch_leases (party, producer, scope, holder, expires_at) values (?, ?, ?, ?, ?)"
            " on conflict (party, producer, scope) do update set holder = excluded.holder,"
            " expires_at = excluded.expires_at where fetch_leases.expires_at <= ?",
            [party, producer, scope, holder, moment + ttl_s, moment]).rowcount == 1

    def release_fetch_lease(self, party: str, producer: str, scope: str, holder: str) -> None:
        """Give the lease back (only if ``holder`` still holds it)."""
        self.db.execute("delete from fetch_leases where party = ? and producer = ? and scope = ? and holder = ?",
                        [party, producer, scope, holder])
