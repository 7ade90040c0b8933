"""``seen_versions``: grows whenever a user's seen-log changes.

With ``case_versions`` it lets a process keep the party switcher's counts (what waits, what is new, for every
party the user may act for) until one of the parties' case rows or the user's seen-log changes, in whichever
instance (issue 16). A database migrated before starts every user at no version: the first page counts anew.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
from sqlalchemy import Column, Integer, Text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("seen_versions", Column("user_handle", Text, primary_key=True), Column("version", Integer))


def downgrade() -> None:
    op.drop_table("seen_versions")
