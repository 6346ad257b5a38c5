"""generation heartbeat

A running generation writes `heartbeat_at` while it works, so the reaper can tell a slow run
from a dead one.

Revision ID: 8d3f2a61c0b7
Revises: 49b1f8e75b9d
Create Date: 2026-12-05 07:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "8d3f2a61c0b7"
down_revision: str | Sequence[str] | None = "49b1f8e75b9d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
