"""The schema, defined once for SQLite and PostgreSQL (SQLAlchemy Core metadata).

Alembic's migrations (``portal/migrations``) are written from this metadata; a test
compares a migrated database with it, so the two cannot drift. Time stamps are ISO
8601 text in UTC on both engines: text compares in time order, and every query reads
the same on both.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, PrimaryKeyConstraint, Table, Text

metadata = MetaData()


def _table(name: str, *columns, pk: tuple[str, ...] = (), **kw) -> Table:
    """A table whose primary key is ``pk`` (several columns allowed), all text unless a Column says otherwise."""
    cols = [c if isinstance(c, Column) else Column(c, Text) for c in columns]
    extra = [PrimaryKeyConstraint(*pk)] if pk else []
    return Table(name, metadata, *cols, *extra, **kw)


users = _table("users", Column("handle", Text, primary_key=True), Column("pnr", Text, nullable=False),
               "name", "created_at")
Index("idx_users_pnr", users.c.pnr, unique=True)

sessions = _table("sessions", Column("nonce", Text, primary_key=True), "user_handle", "created_at", "last_seen",
                  "ended_at", "id_token")

representation = _table("representation", Column("user_handle", Text, primary_key=True), "fetched_at", "data")

events = _table("events", "party", "producer", "kundhandelse_id", "case_key", "typ", "tidpunkt", "ball", "deadline",
                "data", "stored_at", "first_stored_at", "search_text", pk=("party", "producer", "kundhandelse_id"))
Index("idx_events_party_tidpunkt", events.c.party, events.c.tidpunkt)
Index("idx_events_party_producer_case_key", events.c.party, events.c.producer, events.c.case_key)
# Unread counts read only this index: how many of a case's events arrived after the user last looked.
Index("idx_events_case_arrival", events.c.party, events.c.producer, events.c.case_key, events.c.first_stored_at)

# The audit log: append-only. The migrations add what refuses UPDATE and DELETE (a trigger on each engine).
audit = _table("audit", Column("id", Integer, primary_key=True, autoincrement=True), "at", "user_handle", "party",
               "basis", "action", "outcome", "correlation_id", "subject")
Index("idx_audit_party_at", audit.c.party, audit.c.at)

own_situations = _table("own_situations", Column("id", Text, primary_key=True), "party", "name", "created_by",
                        "created_at")
Index("idx_own_situations_party", own_situations.c.party)
own_situation_cases = _table("own_situation_cases", "situation_id", "case_handle", "added_at",
                             pk=("situation_id", "case_handle"))

calendar_links = _table("calendar_links", Column("token_hash", Text, primary_key=True), "user_handle", "party",
                        "created_at", "revoked_at")

# One row per case, kept in step with its events: the overview reads pages of these, never the whole history.
cases = _table("cases", "party", "producer", "case_key", "latest_at", "latest_typ", "ball", "deadline", "first_rubrik",
               "first_sprak", "latest_rubrik", "latest_sprak", "reference", Column("events", Integer), "types",
               "last_arrival", pk=("party", "producer", "case_key"))
Index("idx_cases_party_latest_at", cases.c.party, cases.c.latest_at)
Index("idx_cases_party_ball_deadline", cases.c.party, cases.c.ball, cases.c.deadline)
case_versions = _table("case_versions", Column("party", Text, primary_key=True), Column("version", Integer))

catalogs = _table("catalogs", Column("producer", Text, primary_key=True), "fetched_at", "data")

seen = _table("seen", "user_handle", "party", "case_handle", "seen_at", pk=("user_handle", "party", "case_handle"))
# Grows whenever the user's seen-log changes (with case_versions: what the party switcher's counts were made at).
seen_versions = _table("seen_versions", Column("user_handle", Text, primary_key=True), Column("version", Integer))

sync = _table("sync", "party", "producer", "scope", "last_success_at", "last_full_at", "last_error_at",
              "failing_since", "last_error", Column("invalid", Integer), Column("foreign", Integer), "incomplete",
              "failed_behind", Column("capped", Integer), "language", pk=("party", "producer", "scope"))

notice_subscriptions = _table(
    "notice_subscriptions", Column("user_handle", Text, primary_key=True), "address", "address_state", "mode",
    "parties", "language", Column("active", Integer), "created_at", "confirmed_at", "refused_at", "updated_at")
# Per (user, party, producer): the events present when notices started are history, not news.
notice_baselines = _table("notice_baselines", "user_handle", "party", "producer", "at",
                          pk=("user_handle", "party", "producer"))
# One row per trigger and recipient, keyed by a hash of (user, party, producer, case or event, kind):
# the key is what makes a trigger be sent once, whoever finds it first and however often.
notice_triggers = _table("notice_triggers", Column("key", Text, primary_key=True), "user_handle", "party",
                         "party_name", "kind", "created_at", "message_key")
Index("idx_notice_triggers_user_message", notice_triggers.c.user_handle, notice_triggers.c.message_key)
notice_messages = _table(
    "notice_messages", Column("key", Text, primary_key=True), "user_handle", "address", "kind", "language", "link",
    "state", Column("attempts", Integer), "next_attempt_at", "claimed_by", "claimed_at", "sent_at", "last_error",
    "created_at")
Index("idx_notice_messages_state_due", notice_messages.c.state, notice_messages.c.next_attempt_at)

# State several portal instances share (issue 17).
# "Someone is asking this agency for this party now": a lease row, taken with one conditional upsert.
fetch_leases = _table("fetch_leases", "party", "producer", "scope", "holder", Column("expires_at", Float),
                      pk=("party", "producer", "scope"))
# Fixed-window hit counters of the rate limiter (log-in attempts per client address), shared by every instance.
rate_limits = _table("rate_limits", Column("key", Text, primary_key=True), Column("hits", Integer),
                     Column("expires_at", Float))
# /readyz writes here: a real write, on whichever engine.
readiness = _table("readiness", Column("id", Integer, primary_key=True, autoincrement=False), "at")
