"""Questions the bot could not answer (or answered wrongly, says the user), without the
asker's identity, so maintainers learn which words the knowledge lacks.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "misses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("normalised", sa.String(500), nullable=False),
        sa.Column("best_id", sa.String(8)),
        sa.Column("score", sa.Float, nullable=False),
    )
    op.create_index("ix_misses_at", "misses", ["at"])


def downgrade() -> None:
    op.drop_table("misses")
