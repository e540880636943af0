"""Reminder preferences: how often a focal point hears about their silent commitments.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("remind", sa.String(8), nullable=False,
                                   server_default="weekly"))
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("reminded_at")
        batch.drop_column("remind")
