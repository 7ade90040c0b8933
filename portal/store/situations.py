"""Situations the customer defines."""

from __future__ import annotations

import secrets



from .database import Database
from .clock import _from_iso, _iso, now


class SituationsStore:
    """Situations the customer defines."""

    db: Database

    # --- situations the customer defines ------------------------------------
    def own_situations(self, party: str, created_by: str | None = None) -> list[dict]:
        """The party's situations; with ``created_by``, only those that user made."""
        sql = "select id, name, created_at from own_situations where party = ?"
        params = [party]
        if created_by is not None:
            sql += " and created_by = ?"
            params.append(created_by)
        rows = self.db.rows(sql + " order by created_at", params)
        return [{"id": i, "name": n, "created_at": _from_iso(c), "cases": self.own_situation_cases(i)}
                for i, n, c in rows]

    def own_situation(self, party: str, situation_id: str, created_by: str | None = None) -> dict | None:
        """The situation if it belongs to ``party`` (and, with ``created_by``, was made by that user)."""
        sql = "select id, name, created_at from own_situations where id = ? and party = ?"
        params = [situation_id, party]
        if created_by is not None:
            sql += " and created_by = ?"
            params.append(created_by)
        row = self.db.row(sql, params)
        if row is None:
            return None
        return {"id": row[0], "name": row[1], "created_at": _from_iso(row[2]), "cases": self.own_situation_cases(row[0])}

    def own_situation_cases(self, situation_id: str) -> list[str]:
        return [r[0] for r in self.db.rows(
            "select case_handle from own_situation_cases where situation_id = ? order by added_at", [situation_id])]

    def create_own_situation(self, party: str, name: str, created_by: str) -> str:
        situation_id = secrets.token_urlsafe(12)
        with self.db.transaction():
            self.db.execute("insert into own_situations (id, party, name, created_by, created_at) values (?, ?, ?, ?, ?)",
                                 [situation_id, party, name, created_by, _iso(now())])
        return situation_id

    def rename_own_situation(self, party: str, situation_id: str, name: str) -> bool:
        with self.db.transaction():
            cur = self.db.execute("update own_situations set name = ? where id = ? and party = ?",
                                       [name, situation_id, party])
        return cur.rowcount == 1

    def delete_own_situation(self, party: str, situation_id: str) -> bool:
        with self.db.transaction():
            cur = self.db.execute("delete from own_situations where id = ? and party = ?", [situation_id, party])
            if cur.rowcount == 1:
                self.db.execute("delete from own_situation_cases where situation_id = ?", [situation_id])
        return cur.rowcount == 1

    def add_own_situation_case(self, situation_id: str, case_handle: str) -> None:
        with self.db.transaction():
            self.db.execute("insert into own_situation_cases (situation_id, case_handle, added_at)"
                            " values (?, ?, ?) on conflict do nothing", [situation_id, case_handle, _iso(now())])

    def remove_own_situation_case(self, situation_id: str, case_handle: str) -> None:
        with self.db.transaction():
            self.db.execute("delete from own_situation_cases where situation_id = ? and case_handle = ?",
                                 [situation_id, case_handle])
