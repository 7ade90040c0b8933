"""The schema as the portal had it before migrations (the last ``ensure_schema``, December 2026).

A database made before Alembic has exactly these tables: it is stamped at this
revision and continues from here.

Revision ID: 0001
"""

from alembic import op
from sqlalchemy import Column, Integer, PrimaryKeyConstraint, Text

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _create(name, *columns, pk=()):
    cols = [c if isinstance(c, Column) else Column(c, Text) for c in columns]
    op.create_table(name, *cols, *([PrimaryKeyConstraint(*pk)] if pk else []))


def upgrade() -> None:
    _create("users", Column("handle", Text, primary_key=True), Column("pnr", Text, nullable=False), "name",
            "created_at")
    op.create_index("idx_users_pnr", "users", ["pnr"], unique=True)
    _create("sessions", Column("nonce", Text, primary_key=True), "user_handle", "created_at", "last_seen", "ended_at",
            "id_token")
    _create("representation", Column("user_handle", Text, primary_key=True), "fetched_at", "data")
    _create("events", "party", "producer", "kundhandelse_id", "case_key", "typ", "tidpunkt", "ball", "deadline", "data",
            "stored_at", "first_stored_at", pk=("party", "producer", "kundhandelse_id"))
    op.create_index("idx_events_party_tidpunkt", "events", ["party", "tidpunkt"])
    op.create_index("idx_events_party_producer_case_key", "events", ["party", "producer", "case_key"])
    op.create_index("idx_events_case_arrival", "events", ["party", "producer", "case_key", "first_stored_at"])
    _create("audit", Column("id", Integer, primary_key=True, autoincrement=True), "at", "user_handle", "party", "basis",
            "action", "outcome", "correlation_id", "subject")
    op.create_index("idx_audit_party_at", "audit", ["party", "at"])
    _audit_append_only()
    _create("own_situations", Column("id", Text, primary_key=True), "party", "name", "created_by", "created_at")
    op.create_index("idx_own_situations_party", "own_situations", ["party"])
    _create("own_situation_cases", "situation_id", "case_handle", "added_at", pk=("situation_id", "case_handle"))
    _create("calendar_links", Column("token_hash", Text, primary_key=True), "user_handle", "party", "created_at",
            "revoked_at")
    _create("cases", "party", "producer", "case_key", "latest_at", "latest_typ", "ball", "deadline", "first_rubrik",
            "first_sprak", "latest_rubrik", "latest_sprak", "reference", Column("events", Integer), "types",
            "last_arrival", pk=("party", "producer", "case_key"))
    op.create_index("idx_cases_party_latest_at", "cases", ["party", "latest_at"])
    op.create_index("idx_cases_party_ball_deadline", "cases", ["party", "ball", "deadline"])
    _create("case_versions", Column("party", Text, primary_key=True), Column("version", Integer))
    _create("catalogs", Column("producer", Text, primary_key=True), "fetched_at", "data")
    _create("seen", "user_handle", "party", "case_handle", "seen_at", pk=("user_handle", "party", "case_handle"))
    _create("sync", "party", "producer", "scope", "last_success_at", "last_full_at", "last_error_at", "failing_since",
            "last_error", Column("invalid", Integer), Column("foreign", Integer), "incomplete", "failed_behind",
            Column("capped", Integer), "language", pk=("party", "producer", "scope"))
    _create("notice_subscriptions", Column("user_handle", Text, primary_key=True), "address", "address_state", "mode",
            "parties", "language", Column("active", Integer), "created_at", "confirmed_at", "refused_at", "updated_at")
    _create("notice_baselines", "user_handle", "party", "producer", "at", pk=("user_handle", "party", "producer"))
    _create("notice_triggers", Column("key", Text, primary_key=True), "user_handle", "party", "party_name", "kind",
            "created_at", "message_key")
    op.create_index("idx_notice_triggers_user_message", "notice_triggers", ["user_handle", "message_key"])
    _create("notice_messages", Column("key", Text, primary_key=True), "user_handle", "address", "kind", "language",
            "link", "state", Column("attempts", Integer), "next_attempt_at", "claimed_by", "claimed_at", "sent_at",
            "last_error", "created_at")
    op.create_index("idx_notice_messages_state_due", "notice_messages", ["state", "next_attempt_at"])


def _audit_append_only() -> None:
    """The database itself refuses to change or remove what the audit log holds."""
    if op.get_bind().dialect.name == "sqlite":
        for what in ("update", "delete"):
            op.execute(f"create trigger audit_no_{what} before {what} on audit"
                       " begin select raise(abort, 'the audit log is append-only'); end")
        return
    op.execute("create function audit_append_only() returns trigger language plpgsql as"
               " $$ begin raise exception 'the audit log is append-only'; end $$")
    op.execute("create trigger audit_no_change before update or delete on audit"
               " for each row execute function audit_append_only()")
    op.execute("create trigger audit_no_truncate before truncate on audit"
               " for each statement execute function audit_append_only()")


def downgrade() -> None:
    raise NotImplementedError("the first schema has nothing before it")
