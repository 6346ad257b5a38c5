"""admin console: error log fingerprints, daily rollups, worker heartbeats, audit indexes

Revision ID: 5b7a0c3e9d21
Revises: 5c1e0a7d2b94
Create Date: 2026-12-05 08:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "5b7a0c3e9d21"
down_revision: str | Sequence[str] | None = "5c1e0a7d2b94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before fingerprints existed (none are written yet) would collide on the new key.
    op.execute("DELETE FROM error_logs")
    with op.batch_alter_table("error_logs") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=False))
        batch.add_column(sa.Column("logger", sa.String(length=255), nullable=False))
        batch.add_column(sa.Column("count", sa.Integer(), nullable=False))
        batch.add_column(sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False))
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False))
        batch.add_column(sa.Column("state", sa.String(length=16), nullable=False))
        batch.create_unique_constraint(batch.f("uq_error_logs_fingerprint"), ["fingerprint"])
        batch.create_index("ix_error_logs_last_seen_at", ["last_seen_at"])

    op.create_index("ix_audit_logs_actor_id_created_at", "audit_logs", ["actor_id", "created_at"])
    op.create_index("ix_audit_logs_action_created_at", "audit_logs", ["action", "created_at"])

    op.create_table(
        "daily_stats",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric", "key", name=op.f("pk_daily_stats")),
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
    op.drop_table("daily_stats")
    op.drop_index("ix_audit_logs_action_created_at", table_name="audit_logs")
    op.drop_index("ix_audit_logs_actor_id_created_at", table_name="audit_logs")
    with op.batch_alter_table("error_logs") as batch:
        batch.drop_index("ix_error_logs_last_seen_at")
        batch.drop_constraint(batch.f("uq_error_logs_fingerprint"), type_="unique")
        for column in ("state", "last_seen_at", "first_seen_at", "count", "logger", "fingerprint"):
            batch.drop_column(column)
