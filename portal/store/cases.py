"""Case rows: the overview's read model, kept in step with the events."""

from __future__ import annotations

import datetime as dt
import json



from portal.standard.models import Event

from .database import Database
from .clock import _from_iso, _iso
from .records import (
    _CASE_COLUMNS_OF_C,
    CaseQuery,
    CaseRow,
    StoredEvent,
    _case_row,
    _prefix_sql,
)


CHUNK = 400  # bound parameters per statement stay far below SQLite's limit
_CASE_VALUES = ("latest_at", "latest_typ", "ball", "deadline", "first_rubrik", "first_sprak", "latest_rubrik",
                "latest_sprak", "reference", "events", "types", "last_arrival")


def _fresh_case_row(party: str, producer: str, key: str, events: list[Event], stamp: str) -> list | None:
    """The case row of ``events``, all of a case's events, as :meth:`CasesStore._rebuild_cases` reads it from the
    database; None when two events share its first or last moment (the database's order settles that tie)."""
    moments = sorted(((_iso(e.tidpunkt), e) for e in events), key=lambda m: m[0])  # ISO text, as the database has it
    if len(moments) > 1 and (moments[0][0] == moments[1][0] or moments[-1][0] == moments[-2][0]):
        return None
    (_, first), (newest_at, latest) = moments[0], moments[-1]
    return [party, producer, key, newest_at, latest.typ, latest.ball_holder.value,
            latest.deadline.isoformat() if latest.deadline else None, first.rubrik, first.sprak, latest.rubrik,
            latest.sprak, latest.reference, len(events), ",".join(sorted({e.typ for e in events})), stamp]


class CasesStore:
    """Case rows: the overview's read model, kept in step with the events."""

    db: Database

    # --- case rows: the overview's read model, kept in step with the events ------
    def _rebuild_cases(self, party: str, producer: str, keys: set[str], fresh: dict[str, list[Event]] | None = None,
                       stamp: str | None = None) -> None:
        """Recompute the case rows for ``keys`` from their events (inside the caller's transaction).

        ``fresh``: cases whose every event is in hand (just stored at ``stamp``, none stored before): their rows
        are built from those events, without reading them back (a new party's first page stores only such cases).

        The database does the work per case (on the case index): how many events, the newest arrival, its first
        and last moment and its distinct types; then only the rows at those two moments are read whole. A case of
        a long history has hundreds of events; reading every one of them (its JSON too) into Python for each answer
        that touched the case was most of the time of storing an incremental answer (and window functions, which
        sort every row, were slower still on SQLite).
        """
        if not keys:
            return
        rows = [row for key, events in (fresh or {}).items()
                if (row := _fresh_case_row(party, producer, key, events, stamp)) is not None]
        keys = keys - {row[2] for row in rows}  # row[2]: the case key
        grouped: dict[str, dict] = {}
        wanted = sorted(keys)
        for start in range(0, len(wanted), 400):
            chunk = wanted[start:start + 400]
            marks = ",".join("?" * len(chunk))
            where = f"from events where party = ? and producer = ? and case_key in ({marks})"
            for key, count, last_arrival, newest_at, oldest_at in self.db.rows(
                    f"select case_key, count(*), max(first_stored_at), max(tidpunkt), min(tidpunkt) {where}"
                    " group by case_key", [party, producer, *chunk]):
                grouped[key] = {"count": count, "last_arrival": last_arrival, "newest_at": newest_at,
                                "oldest_at": oldest_at, "types": set()}
            for key, typ in self.db.rows(f"select case_key, typ {where} group by case_key, typ",
                                         [party, producer, *chunk]):
                grouped[key]["types"].add(typ)
        # The newest and the oldest event of each case: only the rows at its first and last moment are read, in the
        # order the case page uses (so a tie in time is settled the same way, by the database's own ordering).
        ends = [(k, c[t]) for k, c in grouped.items() for t in ("newest_at", "oldest_at")]
        for start in range(0, len(ends), CHUNK // 2):
            chunk = ends[start:start + CHUNK // 2]
            for key, tidpunkt, typ, ball, deadline, data, _id in self.db.rows(
                    f"with k(case_key, at) as (values {','.join(['(?, ?)'] * len(chunk))})"
                    " select distinct e.case_key, e.tidpunkt, e.typ, e.ball, e.deadline, e.data, e.kundhandelse_id"
                    " from k join events e on e.party = ? and e.producer = ? and e.case_key = k.case_key"
                    " and e.tidpunkt = k.at order by e.case_key, e.tidpunkt desc, e.kundhandelse_id desc",
                    [v for pair in chunk for v in pair] + [party, producer]):
                case = grouped[key]
                if tidpunkt == case["newest_at"] and "latest" not in case:
                    case["latest"] = (tidpunkt, typ, ball, deadline, data)
                if tidpunkt == case["oldest_at"]:
                    case["first"] = data  # the last row at the first moment: the oldest
        gone = [(party, producer, k) for k in keys if k not in grouped]
        if gone:
            self.db.executemany("delete from cases where party = ? and producer = ? and case_key = ?", gone)
        for key, case in grouped.items():
            tidpunkt, typ, ball, deadline, data = case["latest"]
            latest, first = json.loads(data), json.loads(case["first"])
            rows.append([party, producer, key, tidpunkt, typ, ball, deadline,
                         first["rubrik"], first.get("sprak", "sv"), latest["rubrik"], latest.get("sprak", "sv"),
                         Event.from_json(latest).reference, case["count"], ",".join(sorted(case["types"])),
                         case["last_arrival"] or None])
        self.db.executemany(
            "insert into cases (party, producer, case_key, latest_at, latest_typ, ball, deadline,"
            " first_rubrik, first_sprak, latest_rubrik, latest_sprak, reference, events, types, last_arrival)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (party, producer, case_key) do update set"
            + ", ".join(f" {c} = excluded.{c}" for c in _CASE_VALUES), rows)
        self.db.executemany("insert into case_versions (party, version) values (?, 1)"  # many: may be deferred
                            " on conflict (party) do update set version = case_versions.version + 1", [(party,)])

    def case_version(self, party: str) -> int:
        """Grows whenever any of the party's case rows change: lets a reader keep what it built from them."""
        row = self.db.row("select version from case_versions where party = ?", [party])
        return row[0] if row else 0

    def _case_where(self, party: str, q: CaseQuery) -> tuple[str, list]:
        if not q.producers:
            return "1 = 0", []
        clauses = [f"c.party = ? and c.producer in ({','.join('?' * len(q.producers))})"]
        params: list = [party, *q.producers]
        for column, value in (("c.ball", q.ball), ("c.producer", q.producer)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if q.prefixes:
            sql, more = _prefix_sql("c.latest_typ", q.prefixes)
            clauses.append(sql)
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
        rows = self.db.rows(
            f"select c.producer, c.case_key, c.latest_typ, c.ball, c.deadline, c.latest_at, c.types from cases c"
            f" where {where} order by c.latest_at desc, c.producer, c.case_key", params)
        # The gate (what a mandate lets one see) is the one visibility rule in Python, applied to the light rows.
        return [tuple(r[:6]) for r in rows if q.gate is None or q.gate(r[0], r[6])]

    def case_rows_for(self, party: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], CaseRow]:
        """Full rows of the given (producer, case key) pairs: one statement (primary-key look-ups) per few hundred,
        not one per case, since on a database server each statement is a round trip."""
        out = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), CHUNK // 2):
            chunk = wanted[start:start + CHUNK // 2]
            values = ",".join(["(?, ?)"] * len(chunk))
            for r in self.db.rows(
                    f"with k(producer, case_key) as (values {values}) select {_CASE_COLUMNS_OF_C} from k"
                    " join cases c on c.party = ? and c.producer = k.producer and c.case_key = k.case_key",
                    [v for pair in chunk for v in pair] + [party]):
                out[(r[0], r[1])] = _case_row(r)
        return out

    def case_keys(self, party: str, producers: list[str] | None = None) -> list[tuple[str, str]]:
        """(producer, case key) of the party's cases at these producers (None: at every producer)."""
        if producers is None:
            return self.db.rows("select producer, case_key from cases where party = ?", [party])
        if not producers:
            return []
        return self.db.rows(
            f"select producer, case_key from cases where party = ? and producer in ({','.join('?' * len(producers))})",
            [party, *producers])

    def case_events(self, party: str, producer: str, case_key: str) -> list[StoredEvent]:
        """One case's events, newest first."""
        rows = self.db.rows(
            "select data, first_stored_at from events where party = ? and producer = ? and case_key = ?"
            # "tidpunkt || ''": sorting the case's few rows beats walking the party's whole history in time order,
            # which SQLite otherwise picks (the (party, tidpunkt) index) to avoid that sort.
            " order by tidpunkt || '' desc, kundhandelse_id desc", [party, producer, case_key])
        return [StoredEvent(producer, Event.from_json(json.loads(d)), _from_iso(f)) for d, f in rows]

    def events_of_cases(self, party: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[StoredEvent]]:
        """The events of each given (producer, case key), newest first: ``case_events`` for many cases in one
        statement per few hundred (on a database server each statement is a round trip)."""
        out: dict[tuple[str, str], list[StoredEvent]] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), CHUNK // 2):
            chunk = wanted[start:start + CHUNK // 2]
            values = ",".join(["(?, ?)"] * len(chunk))
            for producer, key, data, first in self.db.rows(
                    f"with k(producer, case_key) as (values {values}) select k.producer, k.case_key, e.data,"
                    " e.first_stored_at from k join events e on e.party = ? and e.producer = k.producer"
                    " and e.case_key = k.case_key order by k.producer, k.case_key, e.tidpunkt desc,"
                    " e.kundhandelse_id desc", [v for pair in chunk for v in pair] + [party]):
                out.setdefault((producer, key), []).append(
                    StoredEvent(producer, Event.from_json(json.loads(data)), _from_iso(first)))
        return out

    def unread_counts(self, party: str, cases: list[tuple[str, str, dt.datetime | None]]) -> dict[tuple[str, str], int]:
        """Per (producer, case key, since): how many of the case's events we first had after ``since`` (None: all).

        Counted on an index of (case, first stored at), so the cost follows the cases, not their events; one
        statement for many cases.
        """
        out = {(producer, key): 0 for producer, key, _ in cases}
        for start in range(0, len(cases), CHUNK // 3):
            chunk = cases[start:start + CHUNK // 3]
            values = ",".join(["(?, ?, ?)"] * len(chunk))
            params = [v for producer, key, since in chunk for v in (producer, key, _iso(since) or "")]
            for producer, key, n in self.db.rows(
                    f"with c(producer, case_key, since) as (values {values})"
                    " select c.producer, c.case_key, count(*) from c join events e on e.party = ?"
                    " and e.producer = c.producer and e.case_key = c.case_key"
                    " where e.first_stored_at is not null and e.first_stored_at > c.since"
                    " group by c.producer, c.case_key", params + [party]):
                out[(producer, key)] = n
        return out

    def case_starts(self, party: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dt.datetime]:
        """When each of the given cases began (its earliest event), in one statement for many cases."""
        out = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), CHUNK // 2):
            chunk = wanted[start:start + CHUNK // 2]
            values = ",".join(["(?, ?)"] * len(chunk))
            for producer, key, first in self.db.rows(
                    f"with k(producer, case_key) as (values {values}) select k.producer, k.case_key,"
                    " min(e.tidpunkt) from k join events e on e.party = ? and e.producer = k.producer"
                    " and e.case_key = k.case_key group by k.producer, k.case_key",
                    [v for pair in chunk for v in pair] + [party]):
                out[(producer, key)] = _from_iso(first)
        return out

    # --- many parties at once (the party switcher, "Everyone I represent") ---
    def case_facts(self, parties: list[str]) -> list[tuple]:
        """(party, producer, case key, ball, types, last arrival) of every case row of these parties."""
        out = []
        wanted = sorted(set(parties))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            out += self.db.rows("select party, producer, case_key, ball, types, last_arrival from cases"
                                f" where party in ({','.join('?' * len(chunk))})", chunk)
        return out

    def new_events_per_party(self, cases: list[tuple[str, str, str, dt.datetime]]) -> dict[str, int]:
        """Per party: events of the given (party, producer, case key, since) that we first had after ``since``."""
        out: dict[str, int] = {}
        for start in range(0, len(cases), CHUNK // 4):
            chunk = cases[start:start + CHUNK // 4]
            values = ",".join(["(?, ?, ?, ?)"] * len(chunk))
            params = [v for party, producer, key, since in chunk for v in (party, producer, key, _iso(since))]
            for party, n in self.db.rows(
                    f"with c(party, producer, case_key, since) as (values {values})"
                    " select c.party, count(*) from c join events e on e.party = c.party and e.producer = c.producer"
                    " and e.case_key = c.case_key where e.first_stored_at is not null and e.first_stored_at > c.since"
                    " group by c.party", params):
                out[party] = out.get(party, 0) + n
        return out

def _contains(text: str) -> str:
    """A ``like`` pattern for "contains ``text``" (its own ``%``, ``_`` and ``\\`` taken literally)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
