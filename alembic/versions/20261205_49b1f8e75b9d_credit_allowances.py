"""credit allowances: grants once per reference, usage notices, this month's FREE allowance

Adds the partial unique index that makes a plan allowance or a paid pack (ledger reasons
`subscription` and `purchase`) grant once per (user, reason, reference), the usage_notices
table behind "one email per crossing", and grants this month's FREE allowance to every
verified, active FREE account that lacks it (topped up to CREDITS_FREE_MONTHLY, as the
monthly renewal does). Downgrading drops the index and the table; granted credits stay.

Revision ID: 49b1f8e75b9d
Revises: 11ef198293f1
Create Date: 2026-12-05 08:00:00.000000+00:00
"""

import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "49b1f8e75b9d"
down_revision: str | Sequence[str] | None = "11ef198293f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTED_ONCE = "reason IN ('subscription', 'purchase')"
CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

users = sa.table(
    "users", sa.column("id", sa.String), sa.column("tier", sa.String), sa.column("status", sa.String),
    sa.column("credit_balance", sa.Integer), sa.column("email_verified_at", sa.DateTime(timezone=True)),
)
ledger = sa.table(
    "credit_ledger", sa.column("id", sa.String), sa.column("user_id", sa.String), sa.column("delta", sa.Integer),
    sa.column("reason", sa.String), sa.column("reference", sa.String), sa.column("balance_after", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _ledger_ids(count: int) -> list[str]:
    """Time-sortable `led_` ids in the app's format (48 bits of milliseconds, 80 increasing bits)."""
    millis, start = time.time_ns() // 1_000_000, secrets.randbits(79)
    ids = []
    for offset in range(count):
        value = (millis << 80) | (start + offset)
        chars = []
        for _ in range(26):
            chars.append(CROCKFORD_BASE32[value & 31])
            value >>= 5
        ids.append("led_" + "".join(reversed(chars)))
    return ids


def _grant_free_allowances() -> None:
    # The setting, not a number frozen here: an installation that changed it gets its own.
    from dreampixel.core.settings import settings

    allowance = settings.credits_free_monthly
    connection = op.get_bind()
    now = datetime.now(UTC)
    reference = f"allowance:FREE:{now:%Y-%m}"
    granted = sa.exists().where(ledger.c.user_id == users.c.id, ledger.c.reason == "subscription",
                                ledger.c.reference == reference)
    due = connection.execute(
        sa.select(users.c.id, users.c.credit_balance)
        .where(users.c.tier == "FREE", users.c.status == "ACTIVE", users.c.email_verified_at.is_not(None), ~granted)
        .order_by(users.c.id)
    ).all()
    created_at = now.replace(tzinfo=None) if connection.dialect.name == "sqlite" else now
    for (user_id, balance), ledger_id in zip(due, _ledger_ids(len(due)), strict=True):
        delta = max(0, allowance - balance)
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(credit_balance=users.c.credit_balance + delta))
        connection.execute(ledger.insert().values(
            id=ledger_id, user_id=user_id, delta=delta, reason="subscription", reference=reference,
            balance_after=balance + delta, created_at=created_at,
        ))


def upgrade() -> None:
    op.create_table(
        "usage_notices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_usage_notices_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_notices")),
        sa.UniqueConstraint("user_id", "kind", "period", name=op.f("uq_usage_notices_user_id")),
    )
    op.create_index(
        "uq_credit_ledger_user_id_reason_reference", "credit_ledger", ["user_id", "reason", "reference"], unique=True,
        postgresql_where=sa.text(GRANTED_ONCE), sqlite_where=sa.text(GRANTED_ONCE),
    )
    _grant_free_allowances()


def downgrade() -> None:
    op.drop_index("uq_credit_ledger_user_id_reason_reference", table_name="credit_ledger")
    op.drop_table("usage_notices")
