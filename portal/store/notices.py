"""E-mail notices: subscriptions, the triggers seen (idempotency keys) and the outbox of messages.

Exactly-once rests on three things: a trigger's key is its primary key (``on conflict
do nothing``: found twice, stored once); triggers are attached to a message in the same
write transaction that creates it (two notifiers cannot both take a trigger); and a
message is claimed with one conditional UPDATE before it is sent (one claimant wins;
a claim whose notifier died is taken over after the lease).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets



from .database import Database
from .clock import _from_iso, _iso, now

IMMEDIATE, DAILY = "immediate", "daily"
PENDING, CONFIRMED, REFUSED = "pending", "confirmed", "refused"  # address states
BASELINE = "baseline"  # message_key of a trigger that was history when notices started: never sent


class NoticesStore:
    """E-mail notices: subscriptions, the triggers seen (idempotency keys) and the outbox of messages."""

    db: Database

    # --- subscriptions ------------------------------------------------------
    def subscription(self, user_handle: str) -> dict | None:
        row = self.db.row(
            "select user_handle, address, address_state, mode, parties, language, active, confirmed_at, refused_at"
            " from notice_subscriptions where user_handle = ?", [user_handle])
        if row is None:
            return None
        names = ("user_handle", "address", "address_state", "mode", "parties", "language", "active", "confirmed_at",
                 "refused_at")
        sub = dict(zip(names, row))
        sub["parties"] = json.loads(sub["parties"] or "[]")
        sub["active"] = bool(sub["active"])
        return sub

    def set_notice_address(self, user_handle: str, address: str, language: str, parties: list[str] = ()) -> None:
        """A new address, unconfirmed: nothing is sent to it but the confirmation.

        ``parties`` are the first choice (the user themself); a later address keeps the choices made.
        """
        stamp = _iso(now())
        with self.db.transaction():
            self.db.execute(
                "insert into notice_subscriptions (user_handle, address, address_state, mode, parties, language,"
                " active, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 1, ?, ?)"
                " on conflict (user_handle) do update set address = excluded.address, address_state = excluded.address_state,"
                " language = excluded.language, confirmed_at = null, refused_at = null, updated_at = excluded.updated_at",
                [user_handle, address, PENDING, IMMEDIATE, json.dumps(sorted(set(parties))), language, stamp, stamp])

    def confirm_notice_address(self, user_handle: str, address: str) -> bool:
        """Confirm the address if it is still the one waiting (a link for an older address does nothing)."""
        with self.db.transaction():
            cur = self.db.execute(
                "update notice_subscriptions set address_state = ?, confirmed_at = ?, refused_at = null, updated_at = ?"
                " where user_handle = ? and address = ? and address_state != ?",
                [CONFIRMED, _iso(now()), _iso(now()), user_handle, address, CONFIRMED])
        return cur.rowcount == 1

    def save_notice_choices(self, user_handle: str, mode: str, parties: list[str], language: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "update notice_subscriptions set mode = ?, parties = ?, language = ?, active = 1, updated_at = ?"
                " where user_handle = ?", [mode, json.dumps(sorted(set(parties))), language, _iso(now()), user_handle])

    def stop_notices(self, user_handle: str, address: str | None = None) -> bool:
        """Stop every notice (only while ``address`` is still the subscribed one, when given)."""
        sql = "update notice_subscriptions set active = 0, updated_at = ? where user_handle = ?"
        params = [_iso(now()), user_handle]
        if address is not None:
            sql += " and address = ?"
            params.append(address)
        with self.db.transaction():
            return self.db.execute(sql, params).rowcount == 1

    def mark_address_refused(self, user_handle: str, address: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "update notice_subscriptions set address_state = ?, refused_at = ?, updated_at = ?"
                " where user_handle = ? and address = ?", [REFUSED, _iso(now()), _iso(now()), user_handle, address])

    def notice_subscribers(self) -> list[dict]:
        """Subscriptions that may be sent to: confirmed, active, with at least one party."""
        handles = [h for (h,) in self.db.rows(
            "select user_handle from notice_subscriptions where active = 1 and address_state = ?"
            " and parties != '[]' order by user_handle", [CONFIRMED])]
        return [s for s in (self.subscription(h) for h in handles) if s is not None]

    # --- triggers (idempotency keys) ----------------------------------------
    def baselined_producers(self, user_handle: str, party: str) -> set[str]:
        return {p for (p,) in self.db.rows(
            "select producer from notice_baselines where user_handle = ? and party = ?", [user_handle, party])}

    def record_triggers(self, user_handle: str, party: str, party_name: str, keyed: list[tuple[str, str]], *,
                        baseline_producer: str | None = None) -> int:
        """Store (key, kind) triggers not seen before; returns how many were new.

        With ``baseline_producer`` they are history (never sent) and the producer counts as baselined.
        """
        stamp = _iso(now())
        mark = BASELINE if baseline_producer else None
        with self.db.transaction():
            new = self.db.executemany(
                "insert into notice_triggers (key, user_handle, party, party_name, kind, created_at,"
                " message_key) values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
                [(key, user_handle, party, party_name, kind, stamp, mark) for key, kind in keyed])
            if baseline_producer:
                self.db.execute("insert into notice_baselines (user_handle, party, producer, at)"
                            " values (?, ?, ?, ?) on conflict do nothing", [user_handle, party, baseline_producer, stamp])
        return new

    def compose_message(self, user_handle: str, address: str, language: str, *, summary_key: str | None = None,
                        parties: list[str] | None = None) -> str | None:
        """Put the user's waiting triggers into one new message; its key, or None when there was nothing.

        One write transaction: a trigger joins exactly one message even when two notifiers compose at once. A daily summary has a key per user and day and is made once a day.
        """
        key = summary_key or f"notice-{secrets.token_hex(12)}"
        scope, params = "", []
        if parties is not None:  # only parties still chosen; the others' triggers stay unsent
            scope = f" and party in ({','.join('?' * len(parties))})"
            params = list(parties)
        stamp = _iso(now())
        try:
            with self.db.transaction():
                # The message first: a summary made already today (by anyone) means there is nothing to do.
                if not self.db.execute(
                        "insert into notice_messages (key, user_handle, address, kind, language, link, state, attempts,"
                        " next_attempt_at, created_at) values (?, ?, ?, ?, ?, null, 'pending', 0, ?, ?)"
                        " on conflict do nothing",
                        [key, user_handle, address, "summary" if summary_key else "notice", language, stamp,
                         stamp]).rowcount:
                    raise _NothingToSend
                # A trigger another notifier took meanwhile is no longer free here (its row is locked, then re-read).
                taken = self.db.execute(f"update notice_triggers set message_key = ? where user_handle = ?"
                                        f" and message_key is null{scope}", [key, user_handle, *params]).rowcount
                if taken == 0:
                    raise _NothingToSend  # rolls the empty message back
        except _NothingToSend:
            return None
        return key

    def message_triggers(self, key: str) -> list[tuple[str, str, str]]:
        """(party, party name, kind) of every trigger in a message."""
        return self.db.rows("select party, party_name, kind from notice_triggers where message_key = ?"
                            " order by party, kind", [key])

    # --- the outbox ---------------------------------------------------------
    def queue_confirmation(self, user_handle: str, address: str, language: str, link: str) -> str:
        key = f"confirm-{secrets.token_hex(12)}"
        stamp = _iso(now())
        with self.db.transaction():
            self.db.execute(
                "insert into notice_messages (key, user_handle, address, kind, language, link, state, attempts,"
                " next_attempt_at, created_at) values (?, ?, ?, 'confirm', ?, ?, 'pending', 0, ?, ?)",
                [key, user_handle, address, language, link, stamp, stamp])
        return key

    def due_messages(self, moment: dt.datetime, lease_s: float) -> list[str]:
        """Messages to try now: pending and due, or claimed by a notifier whose lease ran out."""
        stale = _iso(moment - dt.timedelta(seconds=lease_s))
        return [k for (k,) in self.db.rows(
            "select key from notice_messages where (state = 'pending' and next_attempt_at <= ?)"
            " or (state = 'sending' and claimed_at <= ?) order by created_at", [_iso(moment), stale])]

    def claim_message(self, key: str, worker: str, moment: dt.datetime, lease_s: float) -> dict | None:
        """Claim a message for sending; None when another notifier has it (or it is done)."""
        stale = _iso(moment - dt.timedelta(seconds=lease_s))
        with self.db.transaction():
            cur = self.db.execute(
                "update notice_messages set state = 'sending', claimed_by = ?, claimed_at = ?, attempts = attempts + 1"
                " where key = ? and ((state = 'pending' and next_attempt_at <= ?)"
                " or (state = 'sending' and claimed_at <= ?))", [worker, _iso(moment), key, _iso(moment), stale])
        if cur.rowcount != 1:
            return None
        row = self.db.row("select key, user_handle, address, kind, language, link, attempts"
                          " from notice_messages where key = ?", [key])
        return dict(zip(("key", "user_handle", "address", "kind", "language", "link", "attempts"), row))

    def finish_message(self, key: str, worker: str, state: str, *, error: str | None = None,
                       retry_at: dt.datetime | None = None) -> None:
        """Record how sending ended: ``sent``, ``pending`` (retry at ``retry_at``), ``refused``, ``failed``, ``dropped``."""
        with self.db.transaction():
            self.db.execute(
                "update notice_messages set state = ?, last_error = ?, next_attempt_at = coalesce(?, next_attempt_at),"
                " sent_at = case when ? = 'sent' then ? else sent_at end, claimed_by = null, claimed_at = null"
                " where key = ? and claimed_by = ?",
                [state, error, _iso(retry_at), state, _iso(now()), key, worker])

    def message_states(self, user_handle: str) -> dict[str, int]:
        """How many of the user's messages are in each state (the settings page tells of failures)."""
        return dict(self.db.rows("select state, count(*) from notice_messages where user_handle = ?"
                                 " group by state", [user_handle]))

    def last_sent_at(self, user_handle: str) -> dt.datetime | None:
        row = self.db.row("select max(sent_at) from notice_messages where user_handle = ? and state = 'sent'"
                          " and kind != 'confirm'", [user_handle])
        return _from_iso(row[0]) if row else None

    # --- what the notifier reads of a party's cache -------------------------
    def notice_event_rows(self, party: str, producer: str) -> list[tuple[str, str, str]]:
        """(kundhandelse id, type, ball) of the stored events that put the ball with the customer or close a case."""
        return self.db.rows(
            "select kundhandelse_id, typ, ball from events where party = ? and producer = ?"
            " and ball in ('customer', 'closed')", [party, producer])

    def notice_deadline_rows(self, party: str, producer: str) -> list[tuple[str, str, str, str]]:
        """(case key, latest type, ball, deadline) of the cases waiting for the customer with a last day."""
        return self.db.rows(
            "select case_key, latest_typ, ball, deadline from cases where party = ? and producer = ?"
            " and ball = 'customer' and deadline is not null", [party, producer])


class _NothingToSend(Exception):
    """Inside compose_message: roll back, there is no message to make."""
