"""The inbox: every update or event received, written before it is acknowledged and marked
done once answered, so a crash loses nothing (bot/storage/inbox.py).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("owner", sa.Integer, nullable=False),
        sa.UniqueConstraint("platform", "key", name="uq_inbox_platform_key"),
    )
    op.create_index("ix_inbox_state", "inbox", ["state"])


def downgrade() -> None:
    op.drop_index("ix_inbox_state", table_name="inbox")
    op.drop_table("inbox")
