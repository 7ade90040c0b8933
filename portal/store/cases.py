"""Case rows: the overview's read model, kept in step with the events."""

from __future__ import annotations

import datetime as dt
import json



from portal.standard.models import Event

from .database import Database
from .clock import _from_iso, _iso
from .records import (
    _CASE_COLUMNS,
    CaseQuery,
    CaseRow,
    StoredEvent,
    _case_row,
    _prefix_sql,
)


class CasesStore:
    """Case rows: the overview's read model, kept in step with the events."""

    db: Database

    # --- case rows: the overview's read model -------------------------------
    def _case_where(self, party: str, q: CaseQuery) -> tuple[str, list]:
        if not q.producers:
            return "1 = 0", []
        clauses = [f"c.party = ? and c.producer in ({','.join('?' * len(q.producers))})"]
        params: list = [party, *q.producers]
        for column, value, op in (("c.ball", q.ball, "="), ("c.ball", q.not_ball, "!="), ("c.producer", q.producer, "=")):
            if value:
                clauses.append(f"{column} {op} ?")
                params.append(value)
        if q.prefixes:
            sql, more = _prefix_sql("c.latest_typ", q.prefixes)
            clauses.append(sql)
            params += more
        if q.exclude_prefixes:
            sql, more = _prefix_sql("c.latest_typ", q.exclude_prefixes)
            clauses.append(f"not {sql}")
            params += more
        event_terms, event_params = [], []
        if q.text:
            # search_text is headline and description, case-folded when stored (one column, no SQL function).
            event_terms.append("e.search_text like ? escape '\\'")
            event_params.append(_contains(q.text))
        if q.start_utc:
            event_terms.append("e.tidpunkt >= ?")
            event_params.append(q.start_utc)
        if q.end_utc:
            event_terms.append("e.tidpunkt < ?")
            event_params.append(q.end_utc)
        if event_terms:
            exists = ("exists (select 1 from events e where e.party = c.party and e.producer = c.producer"
                      " and e.case_key = c.case_key and " + " and ".join(event_terms) + ")")
            if q.text and not (q.start_utc or q.end_utc):
                # A reference (diarienummer) is plain ASCII: lower() folds it alike on both engines.
                exists = f"({exists} or lower(coalesce(c.reference, '')) like ? escape '\\')"
                event_params.append(_contains(q.text))
            clauses.append(exists)
            params += event_params
        return " and ".join(clauses), params

    def case_index(self, party: str, q: CaseQuery) -> list[tuple]:
        """(producer, case key, latest type, ball, deadline, latest at) of every matching case, newest first.

        Light enough to read whole, so the overview sorts cases into sections here and then reads
        full rows only for the page it shows.
        """
        where, params = self._case_where(party, q)
        rows = self.db.execute(
            f"select c.producer, c.case_key, c.latest_typ, c.ball, c.deadline, c.latest_at, c.types from cases c"
            f" where {where} order by c.latest_at desc, c.producer, c.case_key", params).fetchall()
        # The gate (what a mandate lets one see) is the one visibility rule in Python, applied to the light rows.
        return [tuple(r[:6]) for r in rows if q.gate is None or q.gate(r[0], r[6])]

    def case_rows_for(self, party: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], CaseRow]:
        """Full rows of the given (producer, case key) pairs (one primary-key look-up each)."""
        out = {}
        sql = f"select {_CASE_COLUMNS} from cases where party = ? and producer = ? and case_key = ?"
        for producer, key in keys:
            r = self.db.execute(sql, [party, producer, key]).fetchone()
            if r is not None:
                out[(producer, key)] = _case_row(r)
        return out

    def case_keys(self, party: str, producers: list[str]) -> list[tuple[str, str]]:
        if not producers:
            return []
        return self.db.execute(
            f"select producer, case_key from cases where party = ? and producer in ({','.join('?' * len(producers))})",
            [party, *producers]).fetchall()

    def case_events(self, party: str, producer: str, case_key: str) -> list[StoredEvent]:
        """One case's events, newest first."""
        rows = self.db.execute(
            "select data, first_stored_at from events where party = ? and producer = ? and case_key = ?"
            # "tidpunkt || ''": sorting the case's few rows beats walking the party's whole history in time order,
            # which SQLite otherwise picks (the (party, tidpunkt) index) to avoid that sort.
            " order by tidpunkt || '' desc, kundhandelse_id desc", [party, producer, case_key]).fetchall()
        return [StoredEvent(producer, Event.from_json(json.loads(d)), _from_iso(f)) for d, f in rows]

    def unread_counts(self, party: str, cases: list[tuple[str, str, dt.datetime | None]]) -> dict[tuple[str, str], int]:
        """Per (producer, case key, since): how many of the case's events we first had after ``since`` (None: all).

        Counted in SQLite on an index of (case, first stored at), so the cost follows the cases, not their events.
        """
        sql = ("select count(*) from events where party = ? and producer = ? and case_key = ?"
               " and first_stored_at is not null and first_stored_at > ?")
        return {(producer, key): self.db.execute(sql, [party, producer, key, _iso(since) or ""]).fetchone()[0]
                for producer, key, since in cases}

    def arrivals(self, party: str, cases: list[tuple[str, str]]) -> dict[tuple[str, str], list[dt.datetime]]:
        """When we first had each event of the given cases (for unread counts): an index look-up each."""
        out: dict[tuple[str, str], list[dt.datetime]] = {}
        sql = "select first_stored_at from events where party = ? and producer = ? and case_key = ?"
        for producer, key in cases:
            out[(producer, key)] = [_from_iso(r[0]) for r in self.db.execute(sql, [party, producer, key]) if r[0]]
        return out


def _contains(text: str) -> str:
    """A ``like`` pattern for "contains ``text``" (its own ``%``, ``_`` and ``\\`` taken literally)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
