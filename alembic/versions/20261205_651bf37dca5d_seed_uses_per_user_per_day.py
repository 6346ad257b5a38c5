"""seed uses per user per day

A seed's use count moves once per user and UTC day: one row per (seed, user, day) records it.

Revision ID: 651bf37dca5d
Revises: 11ef198293f1
Create Date: 2026-12-05 07:44:16.710093+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "651bf37dca5d"
down_revision: str | Sequence[str] | None = "11ef198293f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seed_uses",
        sa.Column("seed_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["seed_id"], ["seeds.id"], name=op.f("fk_seed_uses_seed_id_seeds"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_seed_uses_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seed_id", "user_id", "day", name=op.f("pk_seed_uses")),
    )
    op.create_index(op.f("ix_seed_uses_user_id"), "seed_uses", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_seed_uses_user_id"), table_name="seed_uses")
    op.drop_table("seed_uses")
