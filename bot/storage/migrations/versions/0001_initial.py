"""Initial schema: users, invites, registration failures, assignments, updates with
revisions, and the hash-chained audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("mission", sa.String(100)),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("platform", "external_id", name="uq_users_platform_external_id"),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("uses_left", sa.Integer, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("created_by", sa.Integer,
                  sa.ForeignKey("users.id", name="fk_invites_created_by_users")),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("code_hash", name="uq_invites_code_hash"),
    )
    op.create_table(
        "registration_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer,
                  sa.ForeignKey("users.id", name="fk_registration_failures_user_id_users"),
                  nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_registration_failures_user_id", "registration_failures", ["user_id"])
    op.create_table(
        "assignments",
        sa.Column("user_id", sa.Integer,
                  sa.ForeignKey("users.id", name="fk_assignments_user_id_users"),
                  primary_key=True),
        sa.Column("commitment_id", sa.String(8), primary_key=True),
    )
    op.create_table(
        "updates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commitment_id", sa.String(8), nullable=False),
        sa.Column("user_id", sa.Integer,
                  sa.ForeignKey("users.id", name="fk_updates_user_id_users"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("mission", sa.String(100), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("withdrawn_at", TS),
        sa.Column("idempotency_key", sa.String(128)),
        sa.UniqueConstraint("idempotency_key", name="uq_updates_idempotency_key"),
    )
    op.create_index("ix_updates_commitment_id", "updates", ["commitment_id"])
    op.create_index("ix_updates_user_id", "updates", ["user_id"])
    op.create_table(
        "update_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("update_id", sa.Integer,
                  sa.ForeignKey("updates.id", name="fk_update_revisions_update_id_updates"),
                  nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("mission", sa.String(100), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("by_user_id", sa.Integer,
                  sa.ForeignKey("users.id", name="fk_update_revisions_by_user_id_users"),
                  nullable=False),
        sa.UniqueConstraint("update_id", "revision", name="uq_update_revisions_update_id_revision"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("hash", name="uq_audit_log_hash"),
    )


def downgrade() -> None:
    for table in ("audit_log", "update_revisions", "updates", "assignments",
                  "registration_failures", "invites", "users"):
        op.drop_table(table)
