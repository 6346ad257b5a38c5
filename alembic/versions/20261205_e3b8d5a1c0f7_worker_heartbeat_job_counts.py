"""worker heartbeats: jobs done and failed since the worker started

Each worker reports, with its heartbeat, how many jobs it has finished and how many failed,
so the admin console and `python -m dreampixel worker-health` can tell a busy worker from a
stuck one.

Revision ID: e3b8d5a1c0f7
Revises: a7c4e2f19d36
Create Date: 2026-12-05 10:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e3b8d5a1c0f7"
down_revision: str | Sequence[str] | None = "a7c4e2f19d36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills the rows already there; the model sets the value itself.
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.add_column(sa.Column("jobs_done", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("jobs_failed", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.alter_column("jobs_done", existing_type=sa.Integer(), server_default=None)
        batch.alter_column("jobs_failed", existing_type=sa.Integer(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.drop_column("jobs_failed")
        batch.drop_column("jobs_done")
