"""Connections and the schema: created once, migrated in place, WAL."""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path

import sqlite_utils


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
    if "id_token" not in db["sessions"].columns_dict:  # the provider's ID token, for RP-initiated log-out
        db["sessions"].add_column("id_token", str)
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
    if "subject" not in db["audit"].columns_dict:  # what was looked at (a case's title); databases made before it
        db["audit"].add_column("subject", str)
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
        from . import Store  # the package facade, for its case-row rebuild

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
    # Unread counts read only this index: how many of a case's events arrived after the user last looked.
    db["events"].create_index(["party", "producer", "case_key", "first_stored_at"], if_not_exists=True)
    db["sync"].create({
        "party": str, "producer": str, "scope": str, "last_success_at": str, "last_full_at": str,
        "last_error_at": str, "failing_since": str, "last_error": str, "invalid": int, "foreign": int,
        "incomplete": str, "failed_behind": str,
    }, pk=("party", "producer", "scope"), if_not_exists=True)
    if "capped" not in db["sync"].columns_dict:  # databases made before the storage cap
        db["sync"].add_column("capped", int)
    for column in ("incomplete", "failed_behind", "language"):  # columns added later (answers told apart, language)
        if column not in db["sync"].columns_dict:
            db["sync"].add_column(column, str)
    _notice_tables(db)


def _notice_tables(db: sqlite_utils.Database) -> None:
    """E-mail notices: who wants them, which triggers were seen (idempotency keys), and the outbox."""
    db["notice_subscriptions"].create({
        "user_handle": str, "address": str, "address_state": str, "mode": str, "parties": str, "language": str,
        "active": int, "created_at": str, "confirmed_at": str, "refused_at": str, "updated_at": str,
    }, pk="user_handle", if_not_exists=True)
    # Per (user, party, producer): the events present when notices started are history, not news.
    db["notice_baselines"].create({"user_handle": str, "party": str, "producer": str, "at": str},
                                  pk=("user_handle", "party", "producer"), if_not_exists=True)
    # One row per trigger and recipient, keyed by a hash of (user, party, producer, case or event, kind):
    # the key is what makes a trigger be sent once, whoever finds it first and however often.
    db["notice_triggers"].create({"key": str, "user_handle": str, "party": str, "party_name": str, "kind": str,
                                  "created_at": str, "message_key": str}, pk="key", if_not_exists=True)
    db["notice_triggers"].create_index(["user_handle", "message_key"], if_not_exists=True)
    db["notice_messages"].create({
        "key": str, "user_handle": str, "address": str, "kind": str, "language": str, "link": str, "state": str,
        "attempts": int, "next_attempt_at": str, "claimed_by": str, "claimed_at": str, "sent_at": str,
        "last_error": str, "created_at": str,
    }, pk="key", if_not_exists=True)
    db["notice_messages"].create_index(["state", "next_attempt_at"], if_not_exists=True)
