"""Linked accounts: a user's Slack and Telegram identities can be one person.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("linked_to", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_users_linked_to_users", "users", ["linked_to"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_linked_to_users", type_="foreignkey")
        batch.drop_column("linked_to")
