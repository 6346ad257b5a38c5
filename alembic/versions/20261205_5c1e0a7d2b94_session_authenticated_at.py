"""auth_sessions.authenticated_at: when a session last proved its password or OAuth sign-in

Sessions from before this revision have none, so they count as stale: the next sensitive
change asks for the password (or a fresh OAuth sign-in) once.

Revision ID: 5c1e0a7d2b94
Revises: 8d3f2a61c0b7
Create Date: 2026-12-05 07:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5c1e0a7d2b94"
down_revision: str | Sequence[str] | None = "8d3f2a61c0b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("authenticated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("authenticated_at")
