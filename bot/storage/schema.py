"""The bot's own tables (SQLAlchemy Core). The Alembic migrations in `bot/storage/migrations/` must
build exactly this schema; `tests/test_store.py` compares them on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table,
                        Text, UniqueConstraint)

ROLES = ("reader", "focal_point", "admin")
INBOX_STATES = ("pending", "done", "dropped")  # dropped: given up after too many attempts
STATUSES = ("not_started", "in_progress", "done", "blocked")
MAX_MISSION = 100  # a mission name's length: these columns, and the one rule (access.mission_name)

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("mission", String(MAX_MISSION)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("linked_to", Integer, ForeignKey("users.id")),  # the same person's main account
    Column("remind", String(8), nullable=False, server_default="weekly"),  # off|weekly|monthly
    Column("reminded_at", DateTime(timezone=True)),
    Column("language", String(8)),  # the user's /lang choice; NULL: follow the platform
    UniqueConstraint("platform", "external_id", name="uq_users_platform_external_id"),
)
invites = Table(
    "invites", metadata,
    Column("id", Integer, primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("uses_left", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
registration_failures = Table(
    "registration_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
)
assignments = Table(
    "assignments", metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("commitment_id", String(8), primary_key=True),
)
mission_assignments = Table(
    "mission_assignments", metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("mission", String(MAX_MISSION), primary_key=True),
)
updates = Table(
    "updates", metadata,
    Column("id", Integer, primary_key=True),
    Column("commitment_id", String(8), nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("mission", String(MAX_MISSION), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("idempotency_key", String(128), unique=True),
)
revisions = Table(
    "update_revisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("update_id", Integer, ForeignKey("updates.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("mission", String(MAX_MISSION), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by_user_id", Integer, ForeignKey("users.id"), nullable=False),
    UniqueConstraint("update_id", "revision", name="uq_update_revisions_update_id_revision"),
)
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", Integer),
    Column("action", String(32), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)
drafts = Table(
    "drafts", metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("step", String(16), nullable=False),
    Column("data", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
deliveries = Table(
    "deliveries", metadata,
    Column("key", String(128), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
)
misses = Table(
    "misses", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # miss: not answered; wrong: "not what I meant"
    Column("source", String(16), nullable=False),  # telegram, slack, console, cli
    Column("text", Text, nullable=False),
    Column("normalised", String(500), nullable=False),
    Column("best_id", String(8)),
    Column("score", Float, nullable=False),
)
inbox = Table(  # updates and events received, kept until answered (bot/storage/inbox.py)
    "inbox", metadata,
    Column("id", Integer, primary_key=True),  # arrival order: pending ones replay oldest first
    Column("platform", String(16), nullable=False),
    Column("key", String(128), nullable=False),  # Telegram "<bot id>:<update id>", Slack event id
    Column("payload", Text, nullable=False),  # the update or event as JSON; "" once done
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("state", String(8), nullable=False, index=True),
    Column("done_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False),
    Column("owner", Integer, nullable=False),  # the process answering it (PostgreSQL: alive?)
    UniqueConstraint("platform", "key", name="uq_inbox_platform_key"),
)
