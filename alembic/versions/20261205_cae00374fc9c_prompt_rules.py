"""prompt moderation: rules managed by staff, the log of blocked prompts

`prompt_rules` starts with the words and phrases the screen had built in, so nothing that was
refused before is allowed after. `blocked_prompts` records every refusal (each one a strike).

Revision ID: cae00374fc9c
Revises: c3d91f7a5e20
Create Date: 2026-12-05 10:30:00.000000+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "cae00374fc9c"
down_revision: str | Sequence[str] | None = "c3d91f7a5e20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The screen's former built-in list: (phrase, category). Lowercase ASCII, so each phrase is
# already in the normalised form the screen compares.
BUILT_IN = [
    ("child sexual", "sexual content involving minors"),
    ("csam", "sexual content involving minors"),
    ("underage nude", "sexual content involving minors"),
    ("loli", "sexual content involving minors"),
    ("beheading", "graphic violence"),
    ("gore", "graphic violence"),
    ("dismembered", "graphic violence"),
    ("swastika", "hate symbols"),
    ("nazi propaganda", "hate symbols"),
    ("revenge porn", "non-consensual sexual content"),
    ("deepfake nude", "non-consensual sexual content"),
]


def upgrade() -> None:
    rules = op.create_table(
        "prompt_rules",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("normalised", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("updated_by_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_prompt_rules_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_prompt_rules_updated_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_rules")),
        sa.UniqueConstraint("normalised", name=op.f("uq_prompt_rules_normalised")),
    )
    op.create_table(
        "blocked_prompts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("prompt_excerpt", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.String(length=32), nullable=True),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("suspended", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_blocked_prompts_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_prompts")),
    )
    op.create_index("ix_blocked_prompts_user_id_created_at", "blocked_prompts", ["user_id", "created_at"])
    op.create_index("ix_blocked_prompts_created_at", "blocked_prompts", ["created_at"])

    now = datetime.now(UTC)
    op.bulk_insert(rules, [
        {"id": f"rul_builtin{number:02d}", "phrase": phrase, "normalised": phrase, "category": category,
         "enabled": True, "created_by_id": None, "updated_by_id": None, "created_at": now, "updated_at": now}
        for number, (phrase, category) in enumerate(BUILT_IN, start=1)
    ])


def downgrade() -> None:
    op.drop_index("ix_blocked_prompts_created_at", table_name="blocked_prompts")
    op.drop_index("ix_blocked_prompts_user_id_created_at", table_name="blocked_prompts")
    op.drop_table("blocked_prompts")
    op.drop_table("prompt_rules")
