"""Calendar links: a secret, revocable address per user and party for the deadline feed (only its hash kept)."""

from __future__ import annotations

import hashlib
import secrets

from .clock import _iso, now
from .database import Database


class CalendarLinksStore:
    """Calendar links."""

    db: Database

    def new_calendar_link(self, user_handle: str, party: str) -> str:
        """A new secret for the user's deadline feed of this party; earlier links stop working."""
        token = secrets.token_urlsafe(24)
        with self.db.transaction():
            self.db.execute("update calendar_links set revoked_at = ? where user_handle = ? and party = ?"
                                 " and revoked_at is null", [_iso(now()), user_handle, party])
            self.db.execute("insert into calendar_links (token_hash, user_handle, party, created_at, revoked_at)"
                                 " values (?, ?, ?, ?, null)", [_token_hash(token), user_handle, party, _iso(now())])
        return token

    def revoke_calendar_links(self, user_handle: str, party: str) -> None:
        with self.db.transaction():
            self.db.execute("update calendar_links set revoked_at = ? where user_handle = ? and party = ?"
                                 " and revoked_at is null", [_iso(now()), user_handle, party])

    def has_calendar_link(self, user_handle: str, party: str) -> bool:
        return self.db.row("select 1 from calendar_links where user_handle = ? and party = ? and revoked_at is null",
                           [user_handle, party]) is not None

    def calendar_link(self, token: str) -> dict | None:
        """(user, party) of a live link; the token itself is never stored, only its hash."""
        row = self.db.row("select user_handle, party from calendar_links where token_hash = ? and revoked_at is null",
                          [_token_hash(token)])
        return {"user_handle": row[0], "party": row[1]} if row else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
