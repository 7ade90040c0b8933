"""State several portal instances share, and text search both engines can run.

- ``fetch_leases``: "someone is asking this agency for this party now" (one fan-out per
  party and agency across every instance).
- ``rate_limits``: the log-in rate limit's counters, across instances.
- ``readiness``: the row ``/readyz`` writes.
- ``events.search_text``: an event's headline and description, case-folded once when
  stored, so a search is a plain ``like`` on either engine (no SQL function of ours).

Revision ID: 0002
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Column, Float, Integer, PrimaryKeyConstraint, Text

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("fetch_leases", Column("party", Text), Column("producer", Text), Column("scope", Text),
                    Column("holder", Text), Column("expires_at", Float),
                    PrimaryKeyConstraint("party", "producer", "scope"))
    op.create_table("rate_limits", Column("key", Text, primary_key=True), Column("hits", Integer),
                    Column("expires_at", Float))
    # A database older than migrations may have it already (/readyz made it on demand).
    op.create_table("readiness", Column("id", Integer, primary_key=True, autoincrement=False), Column("at", Text),
                    if_not_exists=True)
    with op.batch_alter_table("events") as batch:
        batch.add_column(Column("search_text", Text))
    _fill_search_text()


def _fill_search_text() -> None:
    """Events stored before this revision get their search text too (in steps, for a big cache)."""
    bind = op.get_bind()
    events = sa.table("events", sa.column("party"), sa.column("producer"), sa.column("kundhandelse_id"),
                      sa.column("data"), sa.column("search_text"))
    rows = bind.execute(sa.select(events.c.party, events.c.producer, events.c.kundhandelse_id, events.c.data)
                        .where(events.c.search_text.is_(None))).fetchall()
    update = (events.update().where(events.c.party == sa.bindparam("p"), events.c.producer == sa.bindparam("pr"),
                                    events.c.kundhandelse_id == sa.bindparam("k"))
              .values(search_text=sa.bindparam("t")))
    for start in range(0, len(rows), 1000):
        bind.execute(update, [{"p": p, "pr": pr, "k": k, "t": search_text(json.loads(d))}
                              for p, pr, k, d in rows[start:start + 1000]])


def search_text(doc: dict) -> str:
    """As ``portal.store.events.search_text`` computed it when this revision was written."""
    return "\n".join([str(doc.get("rubrik") or ""), str(doc.get("beskrivning") or "")]).casefold()


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("search_text")
    op.drop_table("rate_limits")
    op.drop_table("fetch_leases")
