"""webhook deliveries: per-request targets, an owner, a row per attempt, default secrets

`webhook_deliveries` gains `user_id` (filled from the endpoint) and `url`, and `endpoint_id`
may be NULL for a generation's own `webhook`. Each HTTP attempt gets a `webhook_attempts` row.
`webhook_signing_secrets` holds each user's default secret; `generation_webhooks` the
`webhook` a generation was submitted with.

Revision ID: a7c4e2f19d36
Revises: 5b7a0c3e9d21
Create Date: 2026-12-05 08:40:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a7c4e2f19d36"
down_revision: str | Sequence[str] | None = "5b7a0c3e9d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("user_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("url", sa.String(length=2048), nullable=True))
    op.execute(
        "UPDATE webhook_deliveries SET user_id = "
        "(SELECT user_id FROM webhook_endpoints WHERE webhook_endpoints.id = webhook_deliveries.endpoint_id)"
    )
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.alter_column("user_id", existing_type=sa.String(length=32), nullable=False)
        batch.alter_column("endpoint_id", existing_type=sa.String(length=32), nullable=True)
        batch.create_foreign_key(op.f("fk_webhook_deliveries_user_id_users"), "users", ["user_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_index(op.f("ix_webhook_deliveries_user_id"), ["user_id"])

    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("delivery_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_deliveries.id"],
                                name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"])

    op.create_table(
        "webhook_signing_secrets",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("secret_ciphertext", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_webhook_signing_secrets_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_webhook_signing_secrets")),
    )

    op.create_table(
        "generation_webhooks",
        sa.Column("generation_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", JSON_TYPE, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"],
                                name=op.f("fk_generation_webhooks_generation_id_generations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("generation_id", name=op.f("pk_generation_webhooks")),
    )


def downgrade() -> None:
    op.drop_table("generation_webhooks")
    op.drop_table("webhook_signing_secrets")
    op.drop_index(op.f("ix_webhook_attempts_delivery_id"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.execute("DELETE FROM webhook_deliveries WHERE endpoint_id IS NULL")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_index(op.f("ix_webhook_deliveries_user_id"))
        batch.drop_constraint(op.f("fk_webhook_deliveries_user_id_users"), type_="foreignkey")
        batch.alter_column("endpoint_id", existing_type=sa.String(length=32), nullable=False)
        batch.drop_column("url")
        batch.drop_column("user_id")
