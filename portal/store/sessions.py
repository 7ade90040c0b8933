"""Users, sessions and the cached registry answer."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import sqlite_utils

from .clock import _from_iso, _iso, now
from .records import _first_row


class SessionsStore:
    """Users, sessions and the cached registry answer."""

    db: sqlite_utils.Database

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
        return _first_row(self.db.conn, "select * from users where handle = ?", [handle])

    def start_session(self, user_handle: str, id_token: str | None = None) -> str:
        """A new session; ``id_token`` is the OpenID provider's, kept server-side for log-out there."""
        nonce = secrets.token_urlsafe(24)
        stamp = _iso(now())
        self.db["sessions"].insert({"nonce": nonce, "user_handle": user_handle, "created_at": stamp,
                                    "last_seen": stamp, "ended_at": None, "id_token": id_token})
        return nonce

    def rotate_session(self, nonce: str) -> str | None:
        """End a session and start its successor with the same start time (the absolute lifetime carries over)."""
        row = self.session(nonce)
        if row is None:
            return None
        new = secrets.token_urlsafe(24)
        with self.db.conn:
            self.db.conn.execute("update sessions set ended_at = ?, id_token = null where nonce = ?",
                                 [_iso(now()), nonce])
            self.db.conn.execute(
                "insert into sessions (nonce, user_handle, created_at, last_seen, ended_at, id_token)"
                " values (?, ?, ?, ?, null, ?)",
                [new, row["user_handle"], row["created_at"], _iso(now()), row.get("id_token")])
        return new

    def session(self, nonce: str) -> dict | None:
        return _first_row(self.db.conn, "select * from sessions where nonce = ? and ended_at is null", [nonce])

    def touch_session(self, nonce: str) -> None:
        with self.db.conn:
            self.db.conn.execute("update sessions set last_seen = ? where nonce = ?", [_iso(now()), nonce])

    def end_session(self, nonce: str) -> None:
        if self.session(nonce):
            # An ended session keeps no ID token: it was only needed to end the provider's session too.
            self.db["sessions"].update(nonce, {"ended_at": _iso(now()), "id_token": None})

    # --- representation cache -----------------------------------------------
    def cached_representation(self, user_handle: str) -> tuple[dt.datetime, dict] | None:
        row = self.db.conn.execute("select fetched_at, data from representation where user_handle = ?",
                                   [user_handle]).fetchone()
        if row is None:
            return None
        return _from_iso(row[0]), json.loads(row[1])

    def save_representation(self, user_handle: str, data: dict) -> None:
        self.db["representation"].upsert({"user_handle": user_handle, "fetched_at": _iso(now()),
                                          "data": json.dumps(data)}, pk="user_handle")
