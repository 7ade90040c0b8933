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
        """The opaque handle of the user with this personnummer, created on first login."""
        row = self.db.execute("select handle from users where pnr = ?", [pnr]).fetchone()
        if row:
            self.db["users"].update(row[0], {"name": name})
            return row[0]
        handle = secrets.token_urlsafe(16)
        self.db["users"].insert({"handle": handle, "pnr": pnr, "name": name, "created_at": _iso(now())})
        return handle

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
        with self.db.conn:
            self.db.conn.executemany(
                "insert into events (party, producer, kundhandelse_id, case_key, typ, tidpunkt, ball, deadline, data,"
                " stored_at, first_stored_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " on conflict (party, producer, kundhandelse_id) do update set case_key = excluded.case_key,"
                " typ = excluded.typ, tidpunkt = excluded.tidpunkt, ball = excluded.ball, deadline = excluded.deadline,"
                " data = excluded.data, stored_at = excluded.stored_at",
                rows)

    def delete_missing(self, party: str, producer: str, keep_ids: set[str], in_scope) -> int:
        """After a full fetch: drop stored events the producer no longer sends (withdrawn or replaced).

        Only events ``in_scope(typ)`` are considered, so a representative's narrower
        fetch never deletes what a wider one stored.
        """
        rows = self.db.execute("select kundhandelse_id, typ from events where party = ? and producer = ?",
                               [party, producer]).fetchall()
        gone = [r[0] for r in rows if r[0] not in keep_ids and in_scope(r[1])]
        with self.db.conn:
            for kid in gone:
                self.db.execute("delete from events where party = ? and producer = ? and kundhandelse_id = ?",
                                [party, producer, kid])
        return len(gone)

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
