"""Prompt moderation: the rules staff manage, and every prompt they refused (each one a strike)."""

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field

from dreampixel.core.models.base import CreatedAt, Timestamps, flag_field, id_field, reference

PHRASE_MAX_LENGTH = 200
CATEGORY_MAX_LENGTH = 80
PROMPT_EXCERPT_LENGTH = 300


class PromptRule(Timestamps, table=True):
    """A word or phrase no prompt may contain, under the category the refusal names."""

    __tablename__ = "prompt_rules"
    __table_args__ = (UniqueConstraint("normalised"),)

    id: str = id_field("rul")
    # As staff typed it, and as the screen reads it (services.moderation.service.normalise):
    # two spellings that read the same are one rule.
    phrase: str = Field(max_length=PHRASE_MAX_LENGTH)
    normalised: str = Field(max_length=PHRASE_MAX_LENGTH)
    category: str = Field(max_length=CATEGORY_MAX_LENGTH)
    enabled: bool = flag_field(default=True)
    # NULL for the rules the platform ships with.
    created_by_id: str | None = reference("users.id", ondelete="SET NULL", nullable=True)
    updated_by_id: str | None = reference("users.id", ondelete="SET NULL", nullable=True)


class BlockedPrompt(CreatedAt, table=True):
    """One refused prompt: who, what (an excerpt), which rule, through which face; a strike for the user."""

    __tablename__ = "blocked_prompts"
    __table_args__ = (
        Index("ix_blocked_prompts_user_id_created_at", "user_id", "created_at"),
        Index("ix_blocked_prompts_created_at", "created_at"),
    )

    id: str = id_field("blk")
    user_id: str = reference("users.id", ondelete="CASCADE")
    prompt_excerpt: str = Field(sa_type=Text)
    # A plain id: the log keeps its rows when a rule is deleted, with the phrase and category as they were.
    rule_id: str | None = Field(default=None, max_length=32)
    phrase: str = Field(max_length=PHRASE_MAX_LENGTH)
    category: str = Field(max_length=CATEGORY_MAX_LENGTH)
    source: str = Field(default="web", max_length=16)
    # The block that reached the strike limit: strikes before it no longer count.
    suspended: bool = flag_field()
