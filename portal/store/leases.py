"""Leases: "this instance is asking this agency for this party now", shared by every portal instance.

A lease is one row, taken with one conditional upsert: it is free when there is none or
the last holder's has run out (an instance that died mid-fetch blocks nobody for longer
than the lease). The holder gives it back when the answer is stored. A page takes the
leases of all the agencies it asks in one statement, before it asks any of them: every
statement before the first question delays every answer.
"""

from __future__ import annotations

from .clock import now
from .database import Database

CHUNK = 60  # leases per statement: 5 bound parameters each stay far below any engine's limit


class LeasesStore:
    """Fetch leases per (party, producer, scope)."""

    db: Database

    def take_fetch_lease(self, party: str, producer: str, scope: str, holder: str, ttl_s: float) -> bool:
        """True when ``holder`` now holds the lease (it was free or had run out); False when someone else does."""
        return (producer, scope) in self.take_fetch_leases(party, [(producer, scope)], holder, ttl_s)

    def take_fetch_leases(self, party: str, wanted: list[tuple[str, str]], holder: str,
                          ttl_s: float) -> set[tuple[str, str]]:
        """The (producer, scope) leases of ``wanted`` that ``holder`` now holds: those free or run out.

        One upsert per chunk; ``returning`` names the rows it inserted or took over (a row whose holder's lease
        still runs is neither updated nor returned), on SQLite and PostgreSQL alike.
        """
        moment = now().timestamp()
        taken: set[tuple[str, str]] = set()
        wanted = sorted(set(wanted))  # one order for every page: two multi-row upserts never wait on each other in turn
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            params: list = []
            for producer, scope in chunk:
                params += [party, producer, scope, holder, moment + ttl_s]
            rows = self.db.execute(
                "insert into fetch_leases (party, producer, scope, holder, expires_at) values "
                + ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk))
                + " on conflict (party, producer, scope) do update set holder = excluded.holder,"
                " expires_at = excluded.expires_at where fetch_leases.expires_at <= ? returning producer, scope",
                [*params, moment]).fetchall()
            taken |= {(p, s) for p, s in rows}
        return taken

    def release_fetch_lease(self, party: str, producer: str, scope: str, holder: str) -> None:
        """Give the lease back (only if ``holder`` still holds it)."""
        self.release_fetch_leases(party, [(producer, scope)], holder)

    def release_fetch_leases(self, party: str, held: list[tuple[str, str]], holder: str) -> None:
        """Give these (producer, scope) leases back, those ``holder`` still holds, in one statement per chunk."""
        held = sorted(set(held))
        for start in range(0, len(held), CHUNK):
            chunk = held[start:start + CHUNK]
            keys: list = []
            for producer, scope in chunk:
                keys += [producer, scope]
            self.db.execute(
                "with k(producer, scope) as (values " + ", ".join(["(?, ?)"] * len(chunk)) + ")"
                " delete from fetch_leases where party = ? and holder = ?"
                " and exists (select 1 from k where k.producer = fetch_leases.producer"
                " and k.scope = fetch_leases.scope)", [*keys, party, holder])
