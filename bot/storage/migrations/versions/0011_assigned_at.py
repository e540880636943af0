"""When each commitment was assigned: silence is counted from the later of the last update
and the assignment, so a focal point assigned a minute ago is not "silent for 30 days".

Existing assignments get the time of the audit entry that made them (every `assign` entry
lists the commitments it added); one without such an entry stays NULL, read as "assigned
before this was recorded": silence then counts from the last update alone, as before.
Setting them all to the migration's time instead would make every overdue commitment look
freshly assigned and empty `/overdue` and the reminders for a month.

Revision ID: 0011
Revises: 0010 (re-chained onto 0010 when merged)
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assignments", sa.Column("assigned_at", sa.DateTime(timezone=True)))
    audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", sa.DateTime()),
                     sa.column("action", sa.String), sa.column("subject", sa.String),
                     sa.column("detail", sa.Text))
    assignments = sa.table("assignments", sa.column("user_id", sa.Integer),
                           sa.column("commitment_id", sa.String),
                           sa.column("assigned_at", sa.DateTime(timezone=True)))
    bind = op.get_bind()
    made: dict[tuple[int, str], object] = {}  # the latest entry that added each pair wins
    for row in bind.execute(sa.select(audit.c.at, audit.c.subject, audit.c.detail)
                            .where(audit.c.action == "assign").order_by(audit.c.id)):
        if row.subject.startswith("U") and row.subject[1:].isdigit():
            for commitment in json.loads(row.detail).get("commitments", []):
                made[int(row.subject[1:]), commitment] = row.at
    if made:
        bind.execute(sa.update(assignments)
                     .where(assignments.c.user_id == sa.bindparam("u"),
                            assignments.c.commitment_id == sa.bindparam("c"))
                     .values(assigned_at=sa.bindparam("at")),
                     [{"u": u, "c": c, "at": at} for (u, c), at in made.items()])


def downgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("assigned_at")
