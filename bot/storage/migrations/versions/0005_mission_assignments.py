"""Mission assignments: a focal point may own a mission (every commitment, for that mission).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mission_assignments",
        sa.Column("user_id", sa.Integer,
                  sa.ForeignKey("users.id", name="fk_mission_assignments_user_id_users"),
                  primary_key=True),
        sa.Column("mission", sa.String(100), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("mission_assignments")
