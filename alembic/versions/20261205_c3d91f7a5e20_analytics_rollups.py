"""analytics: per-account generation milestones and active weeks, provider daily rollups, console indexes

`user_activity` and `user_active_weeks` are kept by every submit from now on; existing
generations are counted into them here. `provider_daily_stats` fills itself as the analytics
page asks for finished days. The indexes serve the admin dashboard and users list at scale.

Revision ID: c3d91f7a5e20
Revises: e3b8d5a1c0f7
Create Date: 2026-12-05 10:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c3d91f7a5e20"
down_revision: str | Sequence[str] | None = "e3b8d5a1c0f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _week(column: str) -> str:
    """The Monday (UTC) of the week a timestamp falls in, as a date."""
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(date_trunc('week', {column} AT TIME ZONE 'UTC') AS date)"
    return f"date({column}, '-6 days', 'weekday 1')"


def upgrade() -> None:
    op.create_table(
        "user_activity",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("cohort_week", sa.Date(), nullable=False),
        sa.Column("generations", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("first_generation_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fifth_generation_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_activity_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_activity")),
    )
    op.create_index("ix_user_activity_cohort_week", "user_activity", ["cohort_week"])
    op.create_table(
        "user_active_weeks",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("cohort_week", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_active_weeks_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "week", name=op.f("pk_user_active_weeks")),
    )
    op.create_index("ix_user_active_weeks_cohort_week_week", "user_active_weeks", ["cohort_week", "week"])
    op.create_table(
        "provider_daily_stats",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        *[sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)
          for name in ("calls", "succeeded", "failed", "skipped", "delivered", "failovers_out", "failovers_in")],
        sa.Column("latency", JSON_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("day", "hour", "provider", name=op.f("pk_provider_daily_stats")),
    )
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"])
    op.create_index("ix_auth_sessions_last_used_at", "auth_sessions", ["last_used_at"])
    op.create_index("ix_generations_created_at", "generations", ["created_at"])
    op.create_index("ix_generations_completed_at", "generations", ["completed_at"])

    # What the submits before this revision would have recorded.
    activity = (
        "SELECT g.user_id, min(g.signed_up), count(*), min(g.created_at), min(CASE WHEN g.n = 5 THEN g.created_at END) "
        f"FROM (SELECT generations.user_id, generations.created_at, {_week('users.created_at')} AS signed_up, "
        "row_number() OVER (PARTITION BY generations.user_id ORDER BY generations.created_at, generations.id) AS n "
        "FROM generations JOIN users ON users.id = generations.user_id) AS g GROUP BY g.user_id"
    )
    op.execute("INSERT INTO user_activity (user_id, cohort_week, generations, first_generation_at, "
               "fifth_generation_at) " + activity)
    weeks = f"SELECT DISTINCT g.user_id, {_week('g.created_at')}, {_week('u.created_at')} "
    op.execute("INSERT INTO user_active_weeks (user_id, week, cohort_week) " + weeks
               + "FROM generations AS g JOIN users AS u ON u.id = g.user_id")


def downgrade() -> None:
    op.drop_index("ix_generations_completed_at", table_name="generations")
    op.drop_index("ix_generations_created_at", table_name="generations")
    op.drop_index("ix_auth_sessions_last_used_at", table_name="auth_sessions")
    op.drop_index("ix_users_created_at_id", table_name="users")
    op.drop_table("provider_daily_stats")
    op.drop_index("ix_user_active_weeks_cohort_week_week", table_name="user_active_weeks")
    op.drop_table("user_active_weeks")
    op.drop_index("ix_user_activity_cohort_week", table_name="user_activity")
    op.drop_table("user_activity")
