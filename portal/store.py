"""All persistence, in one module: SQLite through sqlite-utils.

Everything the portal keeps goes through ``Store``, so a server database can take
SQLite's place when several portal instances share state. One ``Store`` (one
connection) per request or thread, never shared across threads.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from portal.standard.models import Event

UTC = dt.timezone.utc


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _from_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@dataclass
class SyncState:
    """What we know of one (party, producer, scope) fetch."""

    last_success_at: dt.datetime | None = None
    last_full_at: dt.datetime | None = None
    last_error_at: dt.datetime | None = None
    failing_since: dt.datetime | None = None
    last_error: str | None = None
    invalid: int = 0
    foreign: int = 0


@dataclass(frozen=True)
class CaseRow:
    """A case as the overview lists it, read from the case rows (not rebuilt from its events)."""

    producer: str
    case_key: str
    latest_at: dt.datetime
    latest_typ: str
    ball: str
    deadline: dt.date | None
    first_rubrik: str
    first_sprak: str
    latest_rubrik: str
    latest_sprak: str
    reference: str | None
    events: int
    types: tuple[str, ...]


@dataclass(frozen=True)
class CaseQuery:
    """Which of a party's cases to list. Every field narrows; ``gate`` decides per case what a basis may see."""

    producers: tuple[str, ...]
    gate: object = None  # callable(producer, types) -> bool, or None for full access
    ball: str | None = None
    not_ball: str | None = None
    producer: str | None = None
    prefixes: tuple[str, ...] = ()  # latest type under one of these
    exclude_prefixes: tuple[str, ...] = ()  # and under none of these
    text: str = ""  # casefolded; in any event's title or description, or the reference
    start_utc: str | None = None  # some event at or after (ISO, UTC)
    end_utc: str | None = None  # some event before (ISO, UTC)


_CASE_COLUMNS = ("producer, case_key, latest_at, latest_typ, ball, deadline, first_rubrik, first_sprak, latest_rubrik,"
                 " latest_sprak, reference, events, types")


def _case_row(r) -> CaseRow:
    return CaseRow(r[0], r[1], dt.datetime.fromisoformat(r[2]), r[3], r[4],
                   dt.date.fromisoformat(r[5]) if r[5] else None, r[6], r[7], r[8], r[9], r[10], r[11],
                   tuple(r[12].split(",")) if r[12] else ())


def _prefix_sql(column: str, prefixes) -> tuple[str, list]:
    """``column`` is one of the type prefixes, at a segment boundary."""
    parts, params = [], []
    for p in prefixes:
        parts.append(f"({column} = ? or substr({column}, 1, ?) = ?)")
        params += [p, len(p) + 1, p + "."]
    return "(" + " or ".join(parts) + ")", params


@dataclass(frozen=True)
class StoredEvent:
    producer: str
    event: Event
    first_stored_at: dt.datetime | None = None


def connect(path: str) -> sqlite_utils.Database:
    """A new connection; the caller owns it and closes it."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10, check_same_thread=True)
    conn.execute("PRAGMA busy_timeout = 10000")
    # WAL with synchronous=NORMAL: no fsync per commit, still never corrupt; at worst a power cut loses the last
    # few cached answers, which the next page view fetches again.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


def prepare_database(path: str) -> None:
    """Create or migrate the schema once, even when several workers start at the same moment.

    Switching to WAL and creating tables need the database to themselves; a file
    lock next to the database makes workers take turns instead of failing with
    "database is locked".
    """
    if path == ":memory:":
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        db = connect(path)
        try:
            ensure_schema(db)
        finally:
            db.conn.close()
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create tables and indexes if missing; idempotent. Enables WAL once."""
    if db.conn.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        db.conn.execute("PRAGMA journal_mode = WAL")
    db["users"].create({"handle": str, "pnr": str, "name": str, "created_at": str}, pk="handle", if_not_exists=True)
    db["users"].create_index(["pnr"], unique=True, if_not_exists=True)
    db["sessions"].create({"nonce": str, "user_handle": str, "created_at": str, "last_seen": str, "ended_at": str},
                          pk="nonce", if_not_exists=True)
    db["representation"].create({"user_handle": str, "fetched_at": str, "data": str}, pk="user_handle",
                                if_not_exists=True)
    db["events"].create({
        "party": str, "producer": str, "kundhandelse_id": str, "case_key": str, "typ": str,
        "tidpunkt": str, "ball": str, "deadline": str, "data": str, "stored_at": str, "first_stored_at": str,
    }, pk=("party", "producer", "kundhandelse_id"), if_not_exists=True)
    if "first_stored_at" not in db["events"].columns_dict:  # databases made before unread marking
        db["events"].add_column("first_stored_at", str)
    db["audit"].create({"id": int, "at": str, "user_handle": str, "party": str, "basis": str, "action": str,
                        "outcome": str, "correlation_id": str}, pk="id", if_not_exists=True)
    db["audit"].create_index(["party", "at"], if_not_exists=True)
    # Append-only: the database itself refuses to change or remove what was written.
    db.conn.execute("create trigger if not exists audit_no_update before update on audit"
                    " begin select raise(abort, 'the audit log is append-only'); end")
    db.conn.execute("create trigger if not exists audit_no_delete before delete on audit"
                    " begin select raise(abort, 'the audit log is append-only'); end")
    db["own_situations"].create({"id": str, "party": str, "name": str, "created_by": str, "created_at": str},
                                pk="id", if_not_exists=True)
    db["own_situations"].create_index(["party"], if_not_exists=True)
    db["own_situation_cases"].create({"situation_id": str, "case_handle": str, "added_at": str},
                                     pk=("situation_id", "case_handle"), if_not_exists=True)
    db["calendar_links"].create({"token_hash": str, "user_handle": str, "party": str, "created_at": str,
                                 "revoked_at": str}, pk="token_hash", if_not_exists=True)
    # One row per case, kept in step with its events: the overview reads pages of these, never the whole history.
    db["cases"].create({
        "party": str, "producer": str, "case_key": str, "latest_at": str, "latest_typ": str, "ball": str,
        "deadline": str, "first_rubrik": str, "first_sprak": str, "latest_rubrik": str, "latest_sprak": str,
        "reference": str, "events": int, "types": str, "last_arrival": str,
    }, pk=("party", "producer", "case_key"), if_not_exists=True)
    db["cases"].create_index(["party", "latest_at"], if_not_exists=True)
    db["cases"].create_index(["party", "ball", "deadline"], if_not_exists=True)
    if db["cases"].count == 0 and db["events"].count > 0:  # databases made before the case rows existed
        store = Store(db)
        for party, producer in db.execute("select distinct party, producer from events").fetchall():
            keys = {k for (k,) in db.execute("select distinct case_key from events where party = ? and producer = ?",
                                             [party, producer])}
            with db.conn:
                store._rebuild_cases(party, producer, keys)
    db["case_versions"].create({"party": str, "version": int}, pk="party", if_not_exists=True)
    db["catalogs"].create({"producer": str, "fetched_at": str, "data": str}, pk="producer", if_not_exists=True)
    db["seen"].create({"user_handle": str, "party": str, "case_handle": str, "seen_at": str},
                      pk=("user_handle", "party", "case_handle"), if_not_exists=True)
    db["events"].create_index(["party", "tidpunkt"], if_not_exists=True)
    db["events"].create_index(["party", "producer", "case_key"], if_not_exists=True)
    db["sync"].create({
        "party": str, "producer": str, "scope": str, "last_success_at": str, "last_full_at": str,
        "last_error_at": str, "failing_since": str, "last_error": str, "invalid": int, "foreign": int,
    }, pk=("party", "producer", "scope"), if_not_exists=True)


class Store:
    """The portal's persistence operations over one connection."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def close(self) -> None:
        self.db.conn.close()

    # --- users and sessions -------------------------------------------------
    def user_for(self, pnr: str, name: str) -> str:
        """The opaque handle of the user with this personnummer, created on first login.

        One statement, so that several first log-ins of one person at the same moment agree on one handle.
        """
        with self.db.conn:
            self.db.conn.execute(
                "insert into users (handle, pnr, name, created_at) values (?, ?, ?, ?)"
                " on conflict (pnr) do update set name = excluded.name",
                [secrets.token_urlsafe(16), pnr, name, _iso(now())])
        return self.db.conn.execute("select handle from users where pnr = ?", [pnr]).fetchone()[0]

    def user(self, handle: str) -> dict | None:
        rows = list(self.db["users"].rows_where("handle = ?", [handle]))
        return rows[0] if rows else None

    def start_session(self, user_handle: str) -> str:
        nonce = secrets.token_urlsafe(24)
        stamp = _iso(now())
        self.db["sessions"].insert({"nonce": nonce, "user_handle": user_handle, "created_at": stamp,
                                    "last_seen": stamp, "ended_at": None})
        return nonce

    def rotate_session(self, nonce: str) -> str | None:
        """End a session and start its successor with the same start time (the absolute lifetime carries over)."""
        row = self.session(nonce)
        if row is None:
            return None
        new = secrets.token_urlsafe(24)
        with self.db.conn:
            self.db.conn.execute("update sessions set ended_at = ? where nonce = ?", [_iso(now()), nonce])
            self.db.conn.execute(
                "insert into sessions (nonce, user_handle, created_at, last_seen, ended_at) values (?, ?, ?, ?, null)",
                [new, row["user_handle"], row["created_at"], _iso(now())])
        return new

    def session(self, nonce: str) -> dict | None:
        rows = list(self.db["sessions"].rows_where("nonce = ? and ended_at is null", [nonce]))
        return rows[0] if rows else None

    def touch_session(self, nonce: str) -> None:
        self.db["sessions"].update(nonce, {"last_seen": _iso(now())})

    def end_session(self, nonce: str) -> None:
        if self.session(nonce):
            self.db["sessions"].update(nonce, {"ended_at": _iso(now())})

    # --- representation cache -----------------------------------------------
    def cached_representation(self, user_handle: str) -> tuple[dt.datetime, dict] | None:
        rows = list(self.db["representation"].rows_where("user_handle = ?", [user_handle]))
        if not rows:
            return None
        return _from_iso(rows[0]["fetched_at"]), json.loads(rows[0]["data"])

    def save_representation(self, user_handle: str, data: dict) -> None:
        self.db["representation"].upsert({"user_handle": user_handle, "fetched_at": _iso(now()),
                                          "data": json.dumps(data)}, pk="user_handle")

    def forget_representation(self, user_handle: str) -> None:
        self.db.execute("delete from representation where user_handle = ?", [user_handle])
        self.db.conn.commit()

    # --- events -------------------------------------------------------------
    def upsert_events(self, party: str, producer: str, events: list[Event]) -> None:
        """Insert or replace events by (party, producer, kundhandelseId).

        ``first_stored_at`` keeps the moment we first got an event (unread marking
        compares it with the user's last visit); a replaced event keeps it.
        """
        stamp = _iso(now())
        rows = [(party, producer, e.kundhandelse_id, e.case_key, e.typ, _iso(e.tidpunkt), e.ball_holder.value,
                 e.deadline.isoformat() if e.deadline else None, json.dumps(e.to_json(), ensure_ascii=False),
                 stamp, stamp) for e in events]
        if not rows:
            return
        keys = {e.case_key for e in events}
        with self.db.conn:
            self.db.conn.executemany(
                "insert into events (party, producer, kundhandelse_id, case_key, typ, tidpunkt, ball, deadline, data,"
                " stored_at, first_stored_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " on conflict (party, producer, kundhandelse_id) do update set case_key = excluded.case_key,"
                " typ = excluded.typ, tidpunkt = excluded.tidpunkt, ball = excluded.ball, deadline = excluded.deadline,"
                " data = excluded.data, stored_at = excluded.stored_at",
                rows)
            self._rebuild_cases(party, producer, keys)

    def delete_missing(self, party: str, producer: str, keep_ids: set[str], in_scope) -> int:
        """After a full fetch: drop stored events the producer no longer sends (withdrawn or replaced).

        Only events ``in_scope(typ)`` are considered, so a representative's narrower
        fetch never deletes what a wider one stored.
        """
        rows = self.db.execute("select kundhandelse_id, typ from events where party = ? and producer = ?",
                               [party, producer]).fetchall()
        gone = [r[0] for r in rows if r[0] not in keep_ids and in_scope(r[1])]
        if not gone:
            return 0
        with self.db.conn:
            keys = {k for (k,) in self.db.conn.execute(
                f"select distinct case_key from events where party = ? and producer = ?"
                f" and kundhandelse_id in ({','.join('?' * len(gone))})", [party, producer, *gone])}
            self.db.conn.executemany("delete from events where party = ? and producer = ? and kundhandelse_id = ?",
                                     [(party, producer, kid) for kid in gone])
            self._rebuild_cases(party, producer, keys)
        return len(gone)

    def _rebuild_cases(self, party: str, producer: str, keys: set[str]) -> None:
        """Recompute the case rows for ``keys`` from their events (inside the caller's transaction).

        One read of the producer's events for this party, grouped here: a full fetch touches every case.
        """
        if not keys:
            return
        grouped: dict[str, list] = {}
        for row in self.db.conn.execute(
                "select case_key, tidpunkt, typ, ball, deadline, data, first_stored_at from events"
                " where party = ? and producer = ? order by case_key, tidpunkt desc, kundhandelse_id desc",
                [party, producer]):
            if row[0] in keys:
                grouped.setdefault(row[0], []).append(row)
        gone = [(party, producer, k) for k in keys if k not in grouped]
        self.db.conn.executemany("delete from cases where party = ? and producer = ? and case_key = ?", gone)
        rows = []
        for key, events in grouped.items():
            latest, first = json.loads(events[0][5]), json.loads(events[-1][5])
            arende = latest.get("part", {}).get("arende") or {}
            rows.append([party, producer, key, events[0][1], events[0][2], events[0][3], events[0][4],
                         first["rubrik"], first.get("sprak", "sv"), latest["rubrik"], latest.get("sprak", "sv"),
                         arende.get("identifierare"), len(events), ",".join(sorted({e[2] for e in events})),
                         max((e[6] or "") for e in events) or None])
        self.db.conn.executemany(
            "insert or replace into cases (party, producer, case_key, latest_at, latest_typ, ball, deadline,"
            " first_rubrik, first_sprak, latest_rubrik, latest_sprak, reference, events, types, last_arrival)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.db.conn.execute("insert into case_versions (party, version) values (?, 1)"
                             " on conflict (party) do update set version = version + 1", [party])

    def case_version(self, party: str) -> int:
        """Grows whenever any of the party's case rows change: lets a reader keep what it built from them."""
        row = self.db.conn.execute("select version from case_versions where party = ?", [party]).fetchone()
        return row[0] if row else 0

    def events(self, party: str, producers: list[str] | None = None) -> list[StoredEvent]:
        """Stored events of a party (optionally only some producers), newest first."""
        sql = "select producer, data, first_stored_at from events where party = ?"
        params: list = [party]
        if producers is not None:
            if not producers:
                return []
            sql += f" and producer in ({','.join('?' * len(producers))})"
            params += producers
        sql += " order by tidpunkt desc, kundhandelse_id"
        return [StoredEvent(p, Event.from_json(json.loads(d)), _from_iso(first))
                for p, d, first in self.db.execute(sql, params).fetchall()]

    # --- case rows: the overview's read model -------------------------------
    def _case_where(self, party: str, q: CaseQuery) -> tuple[str, list]:
        if not q.producers:
            return "0", []
        clauses = [f"c.party = ? and c.producer in ({','.join('?' * len(q.producers))})"]
        params: list = [party, *q.producers]
        if q.gate is not None:
            self.db.conn.create_function("portal_gate", 2, lambda producer, types: bool(q.gate(producer, types)),
                                         deterministic=True)
            clauses.append("portal_gate(c.producer, c.types)")
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
            self.db.conn.create_function("portal_casefold", 1, lambda v: v.casefold() if isinstance(v, str) else v,
                                         deterministic=True)
            event_terms.append("(instr(portal_casefold(json_extract(e.data, '$.rubrik')), ?) > 0"
                               " or instr(portal_casefold(coalesce(json_extract(e.data, '$.beskrivning'), '')), ?) > 0)")
            event_params += [q.text, q.text]
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
                exists = f"({exists} or instr(portal_casefold(coalesce(c.reference, '')), ?) > 0)"
                event_params.append(q.text)
            clauses.append(exists)
            params += event_params
        return " and ".join(clauses), params

    def case_count(self, party: str, q: CaseQuery) -> int:
        where, params = self._case_where(party, q)
        return self.db.conn.execute(f"select count(*) from cases c where {where}", params).fetchone()[0]

    def case_rows(self, party: str, q: CaseQuery, *, by_deadline: bool = False, limit: int | None = None,
                  offset: int = 0) -> list[CaseRow]:
        """A page of cases: newest activity first, or (your turn) earliest deadline first."""
        where, params = self._case_where(party, q)
        order = ("c.deadline is null, c.deadline, c.latest_at desc" if by_deadline else "c.latest_at desc")
        sql = f"select {_CASE_COLUMNS} from cases c where {where} order by {order}, c.producer, c.case_key"
        if limit is not None:
            sql += " limit ? offset ?"
            params = [*params, limit, offset]
        return [_case_row(r) for r in self.db.conn.execute(sql, params)]

    def case_index(self, party: str, q: CaseQuery) -> list[tuple]:
        """(producer, case key, latest type, ball, deadline, latest at) of every matching case, newest first.

        Light enough to read whole, so the overview sorts cases into sections here and then reads
        full rows only for the page it shows.
        """
        where, params = self._case_where(party, q)
        return self.db.conn.execute(
            f"select c.producer, c.case_key, c.latest_typ, c.ball, c.deadline, c.latest_at from cases c where {where}"
            " order by c.latest_at desc, c.producer, c.case_key", params).fetchall()

    def case_rows_for(self, party: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], CaseRow]:
        """Full rows of the given (producer, case key) pairs (one primary-key look-up each)."""
        out = {}
        sql = f"select {_CASE_COLUMNS} from cases where party = ? and producer = ? and case_key = ?"
        for producer, key in keys:
            r = self.db.conn.execute(sql, [party, producer, key]).fetchone()
            if r is not None:
                out[(producer, key)] = _case_row(r)
        return out

    def case_keys(self, party: str, producers: list[str]) -> list[tuple[str, str]]:
        if not producers:
            return []
        return self.db.conn.execute(
            f"select producer, case_key from cases where party = ? and producer in ({','.join('?' * len(producers))})",
            [party, *producers]).fetchall()

    def case_events(self, party: str, producer: str, case_key: str) -> list[StoredEvent]:
        """One case's events, newest first."""
        rows = self.db.conn.execute(
            "select data, first_stored_at from events where party = ? and producer = ? and case_key = ?"
            " order by tidpunkt desc, kundhandelse_id desc", [party, producer, case_key]).fetchall()
        return [StoredEvent(producer, Event.from_json(json.loads(d)), _from_iso(f)) for d, f in rows]

    def arrivals(self, party: str, cases: list[tuple[str, str]]) -> dict[tuple[str, str], list[dt.datetime]]:
        """When we first had each event of the given cases (for unread counts): an index look-up each."""
        out: dict[tuple[str, str], list[dt.datetime]] = {}
        sql = "select first_stored_at from events where party = ? and producer = ? and case_key = ?"
        for producer, key in cases:
            out[(producer, key)] = [_from_iso(r[0]) for r in self.db.conn.execute(sql, [party, producer, key]) if r[0]]
        return out

    # --- unread marking -----------------------------------------------------
    def seen_cases(self, user_handle: str, party: str) -> dict[str, dt.datetime]:
        """When this user last opened each of this party's cases (case handle -> time)."""
        rows = self.db.execute("select case_handle, seen_at from seen where user_handle = ? and party = ?",
                               [user_handle, party]).fetchall()
        return {h: _from_iso(t) for h, t in rows}

    def mark_seen(self, user_handle: str, party: str, case_handle: str) -> None:
        with self.db.conn:
            self.db["seen"].upsert({"user_handle": user_handle, "party": party, "case_handle": case_handle,
                                    "seen_at": _iso(now())}, pk=("user_handle", "party", "case_handle"))

    # --- sync state ---------------------------------------------------------
    def sync_state(self, party: str, producer: str, scope: str) -> SyncState:
        rows = list(self.db["sync"].rows_where("party = ? and producer = ? and scope = ?", [party, producer, scope]))
        if not rows:
            return SyncState()
        r = rows[0]
        return SyncState(_from_iso(r["last_success_at"]), _from_iso(r["last_full_at"]), _from_iso(r["last_error_at"]),
                         _from_iso(r["failing_since"]), r["last_error"], r["invalid"] or 0, r["foreign"] or 0)

    def save_sync_state(self, party: str, producer: str, scope: str, state: SyncState) -> None:
        with self.db.conn:
            self.db["sync"].upsert({
                "party": party, "producer": producer, "scope": scope,
                "last_success_at": _iso(state.last_success_at), "last_full_at": _iso(state.last_full_at),
                "last_error_at": _iso(state.last_error_at), "failing_since": _iso(state.failing_since),
                "last_error": state.last_error, "invalid": state.invalid, "foreign": state.foreign,
            }, pk=("party", "producer", "scope"))

    # --- audit log (append-only) --------------------------------------------
    def audit(self, user_handle: str | None, party: str | None, basis: str | None, action: str, outcome: str,
              correlation_id: str) -> None:
        """Record that a user looked (or tried to look) at a party's cases."""
        with self.db.conn:
            self.db.conn.execute(
                "insert into audit (at, user_handle, party, basis, action, outcome, correlation_id)"
                " values (?, ?, ?, ?, ?, ?, ?)",
                [_iso(now()), user_handle, party, basis, action, outcome, correlation_id])

    def audit_for_party(self, party: str, limit: int = 200) -> list[dict]:
        """Who looked at this party's cases, newest first, with the viewer's name."""
        rows = self.db.execute(
            "select a.at, a.user_handle, u.name, a.basis, a.action, a.outcome from audit a"
            " left join users u on u.handle = a.user_handle where a.party = ? order by a.id desc limit ?",
            [party, limit]).fetchall()
        return [{"at": _from_iso(at), "user_handle": uh, "name": name or "", "basis": basis, "action": action,
                 "outcome": outcome} for at, uh, name, basis, action, outcome in rows]

    def audit_rows(self, since: dt.datetime | None = None):
        """Every audit row (for export), oldest first."""
        sql = "select id, at, user_handle, party, basis, action, outcome, correlation_id from audit"
        params: list = []
        if since is not None:
            sql += " where at >= ?"
            params.append(_iso(since))
        cursor = self.db.execute(sql + " order by id", params)
        names = [c[0] for c in cursor.description]
        for row in cursor:
            yield dict(zip(names, row))

    # --- situations the customer defines ------------------------------------
    def own_situations(self, party: str) -> list[dict]:
        rows = self.db.execute("select id, name, created_at from own_situations where party = ? order by created_at",
                               [party]).fetchall()
        return [{"id": i, "name": n, "created_at": _from_iso(c), "cases": self.own_situation_cases(i)}
                for i, n, c in rows]

    def own_situation(self, party: str, situation_id: str) -> dict | None:
        """The situation if it belongs to ``party`` (never another party's, whatever the id)."""
        row = self.db.execute("select id, name, created_at from own_situations where id = ? and party = ?",
                              [situation_id, party]).fetchone()
        if row is None:
            return None
        return {"id": row[0], "name": row[1], "created_at": _from_iso(row[2]), "cases": self.own_situation_cases(row[0])}

    def own_situation_cases(self, situation_id: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "select case_handle from own_situation_cases where situation_id = ? order by added_at", [situation_id])]

    def create_own_situation(self, party: str, name: str, created_by: str) -> str:
        situation_id = secrets.token_urlsafe(12)
        with self.db.conn:
            self.db.conn.execute("insert into own_situations (id, party, name, created_by, created_at) values (?, ?, ?, ?, ?)",
                                 [situation_id, party, name, created_by, _iso(now())])
        return situation_id

    def rename_own_situation(self, party: str, situation_id: str, name: str) -> bool:
        with self.db.conn:
            cur = self.db.conn.execute("update own_situations set name = ? where id = ? and party = ?",
                                       [name, situation_id, party])
        return cur.rowcount == 1

    def delete_own_situation(self, party: str, situation_id: str) -> bool:
        with self.db.conn:
            cur = self.db.conn.execute("delete from own_situations where id = ? and party = ?", [situation_id, party])
            if cur.rowcount == 1:
                self.db.conn.execute("delete from own_situation_cases where situation_id = ?", [situation_id])
        return cur.rowcount == 1

    def add_own_situation_case(self, situation_id: str, case_handle: str) -> None:
        with self.db.conn:
            self.db.conn.execute("insert or ignore into own_situation_cases (situation_id, case_handle, added_at)"
                                 " values (?, ?, ?)", [situation_id, case_handle, _iso(now())])

    def remove_own_situation_case(self, situation_id: str, case_handle: str) -> None:
        with self.db.conn:
            self.db.conn.execute("delete from own_situation_cases where situation_id = ? and case_handle = ?",
                                 [situation_id, case_handle])

    # --- catalogs -----------------------------------------------------------
    def catalogs(self) -> dict[str, tuple[dt.datetime, dict | None]]:
        """Cached catalogs by producer: (fetched at, document or None for "publishes none")."""
        rows = self.db.execute("select producer, fetched_at, data from catalogs").fetchall()
        return {row[0]: _catalog_row(row) for row in rows}

    def save_catalog(self, producer: str, doc: dict | None) -> None:
        with self.db.conn:
            self.db["catalogs"].upsert({"producer": producer, "fetched_at": _iso(now()),
                                        "data": json.dumps(doc, ensure_ascii=False) if doc is not None else None},
                                       pk="producer")

    # --- calendar links -----------------------------------------------------
    def new_calendar_link(self, user_handle: str, party: str) -> str:
        """A new secret for the user's deadline feed of this party; earlier links stop working."""
        token = secrets.token_urlsafe(24)
        with self.db.conn:
            self.db.conn.execute("update calendar_links set revoked_at = ? where user_handle = ? and party = ?"
                                 " and revoked_at is null", [_iso(now()), user_handle, party])
            self.db.conn.execute("insert into calendar_links (token_hash, user_handle, party, created_at, revoked_at)"
                                 " values (?, ?, ?, ?, null)", [_token_hash(token), user_handle, party, _iso(now())])
        return token

    def revoke_calendar_links(self, user_handle: str, party: str) -> None:
        with self.db.conn:
            self.db.conn.execute("update calendar_links set revoked_at = ? where user_handle = ? and party = ?"
                                 " and revoked_at is null", [_iso(now()), user_handle, party])

    def has_calendar_link(self, user_handle: str, party: str) -> bool:
        return self.db.execute("select 1 from calendar_links where user_handle = ? and party = ? and revoked_at is null",
                               [user_handle, party]).fetchone() is not None

    def calendar_link(self, token: str) -> dict | None:
        """(user, party) of a live link; the token itself is never stored, only its hash."""
        row = self.db.execute("select user_handle, party from calendar_links where token_hash = ? and revoked_at is null",
                              [_token_hash(token)]).fetchone()
        return {"user_handle": row[0], "party": row[1]} if row else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _catalog_row(row) -> tuple:
    return _from_iso(row[1]), (json.loads(row[2]) if row[2] else None)
