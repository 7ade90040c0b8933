"""The audit log: append-only (the schema has triggers that refuse changes)."""

from __future__ import annotations

import datetime as dt



from .database import Database
from .clock import _from_iso, _iso, now


class AuditStore:
    """The audit log: append-only (the schema has triggers that refuse changes)."""

    db: Database

    # --- audit log (append-only) --------------------------------------------
    def audit(self, user_handle: str | None, party: str | None, basis: str | None, action: str, outcome: str,
              correlation_id: str, subject: str | None = None) -> None:
        """Record that a user looked (or tried to look) at a party's cases (``subject``: what, e.g. a case title)."""
        # One statement, committed on its own (autocommit): on a database server one round trip, not three.
        self.db.execute(
            "insert into audit (at, user_handle, party, basis, action, outcome, correlation_id, subject)"
            " values (?, ?, ?, ?, ?, ?, ?, ?)",
            [_iso(now()), user_handle, party, basis, action, outcome, correlation_id, subject])

    def last_audit_action(self, user_handle: str, party: str) -> str | None:
        """The action of this user's latest audit row for this party (None: none yet)."""
        row = self.db.row("select action from audit where user_handle = ? and party = ? order by id desc"
                          " limit 1", [user_handle, party])
        return row[0] if row else None

    def audit_for_party(self, party: str, limit: int = 200, without: tuple[str, ...] = ()) -> list[dict]:
        """Who looked at this party's cases, newest first, with the viewer's name (``without`` those actions)."""
        skip = "".join(" and a.action != ?" for _ in without)
        rows = self.db.rows(
            "select a.at, a.user_handle, u.name, a.basis, a.action, a.outcome, a.subject from audit a"
            " left join users u on u.handle = a.user_handle where a.party = ?" + skip + " order by a.id desc limit ?",
            [party, *without, limit])
        return [{"at": _from_iso(at), "user_handle": uh, "name": name or "", "basis": basis, "action": action,
                 "outcome": outcome, "subject": subject} for at, uh, name, basis, action, outcome, subject in rows]

    def audit_counts(self, party: str, action: str) -> list[dict]:
        """Per user: how often ``action`` was recorded for this party, and when last (e.g. calendar feed polls)."""
        rows = self.db.rows(
            "select a.user_handle, u.name, count(*), max(a.at) from audit a"
            " left join users u on u.handle = a.user_handle where a.party = ? and a.action = ?"
            " group by a.user_handle, u.name order by max(a.at) desc", [party, action])
        return [{"user_handle": uh, "name": name or "", "count": n, "last": _from_iso(last)}
                for uh, name, n, last in rows]

    def audit_rows(self, since: dt.datetime | None = None):
        """Every audit row (for export), oldest first."""
        sql = "select id, at, user_handle, party, basis, action, outcome, correlation_id from audit"
        params: list = []
        if since is not None:
            sql += " where at >= ?"
            params.append(_iso(since))
        for row in self.db.execute(sql + " order by id", params).mappings():
            yield dict(row)
