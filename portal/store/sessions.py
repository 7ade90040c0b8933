"""Users, sessions and the cached registry answer."""

from __future__ import annotations

import datetime as dt
import json
import secrets



from .database import Database
from .clock import _from_iso, _iso, now


class SessionsStore:
    """Users, sessions and the cached registry answer."""

    db: Database

    # --- users and sessions -------------------------------------------------
    def user_for(self, pnr: str, name: str) -> str:
        """The opaque handle of the user with this personnummer, created on first login.

        One statement, so that several first log-ins of one person at the same moment agree on one handle.
        """
        with self.db.transaction():
            self.db.execute(
                "insert into users (handle, pnr, name, created_at) values (?, ?, ?, ?)"
                " on conflict (pnr) do update set name = excluded.name",
                [secrets.token_urlsafe(16), pnr, name, _iso(now())])
        return self.db.row("select handle from users where pnr = ?", [pnr])[0]

    def user(self, handle: str) -> dict | None:
        return self.db.first("select * from users where handle = ?", [handle])

    def start_session(self, user_handle: str, id_token: str | None = None) -> str:
        """A new session; ``id_token`` is the OpenID provider's, kept server-side for log-out there."""
        nonce = secrets.token_urlsafe(24)
        stamp = _iso(now())
        with self.db.transaction():
            self.db.execute("insert into sessions (nonce, user_handle, created_at, last_seen, ended_at, id_token)"
                            " values (?, ?, ?, ?, null, ?)", [nonce, user_handle, stamp, stamp, id_token])
        return nonce

    def rotate_session(self, nonce: str) -> str | None:
        """End a session and start its successor with the same start time (the absolute lifetime carries over)."""
        row = self.session(nonce)
        if row is None:
            return None
        new = secrets.token_urlsafe(24)
        with self.db.transaction():
            self.db.execute("update sessions set ended_at = ?, id_token = null where nonce = ?",
                                 [_iso(now()), nonce])
            self.db.execute(
                "insert into sessions (nonce, user_handle, created_at, last_seen, ended_at, id_token)"
                " values (?, ?, ?, ?, null, ?)",
                [new, row["user_handle"], row["created_at"], _iso(now()), row.get("id_token")])
        return new

    def session(self, nonce: str) -> dict | None:
        return self.db.first("select * from sessions where nonce = ? and ended_at is null", [nonce])

    def signed_in(self, nonce: str) -> dict | None:
        """The open session with this nonce and its user (``pnr``, ``name``) in one read: every page asks."""
        return self.db.first(
            "select s.nonce, s.user_handle, s.created_at, s.last_seen, u.pnr, u.name from sessions s"
            " join users u on u.handle = s.user_handle where s.nonce = ? and s.ended_at is null", [nonce])

    def touch_session(self, nonce: str) -> None:
        with self.db.transaction():
            self.db.execute("update sessions set last_seen = ? where nonce = ?", [_iso(now()), nonce])

    def end_session(self, nonce: str) -> None:
        if self.session(nonce):
            # An ended session keeps no ID token: it was only needed to end the provider's session too.
            with self.db.transaction():
                self.db.execute("update sessions set ended_at = ?, id_token = null where nonce = ?", [_iso(now()), nonce])

    # --- representation cache -----------------------------------------------
    def cached_representation(self, user_handle: str) -> tuple[dt.datetime, dict] | None:
        found = self.cached_representation_text(user_handle)
        return (found[0], json.loads(found[1])) if found else None

    def cached_representation_text(self, user_handle: str) -> tuple[dt.datetime, str] | None:
        """The registry's answer as stored (JSON text) and when it was fetched."""
        row = self.db.row("select fetched_at, data from representation where user_handle = ?",
                          [user_handle])
        return (_from_iso(row[0]), row[1]) if row else None

    def save_representation(self, user_handle: str, data: dict) -> None:
        with self.db.transaction():
            self.db.execute("insert into representation (user_handle, fetched_at, data) values (?, ?, ?)"
                            " on conflict (user_handle) do update set fetched_at = excluded.fetched_at,"
                            " data = excluded.data", [user_handle, _iso(now()), json.dumps(data)])
