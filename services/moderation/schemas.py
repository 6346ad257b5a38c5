"""Moderation as staff read it: prompt rules, a prompt tested against them, blocked prompts, the seed queue."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from sqlmodel import Session, col, select

from dreampixel.core.models import BlockedPrompt, PromptRule, Seed, User
from dreampixel.core.schemas import Timestamp


def _emails(session: Session, ids: set[str | None]) -> dict[str, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {user.id: user.email for user in session.exec(select(User).where(col(User.id).in_(wanted))).all()}


class RulePublic(BaseModel):
    """A prompt rule; `created_by` is None for the rules the platform ships with."""

    object: Literal["moderation.rule"] = "moderation.rule"
    id: str
    phrase: str
    normalised: str
    category: str
    enabled: bool
    created_by: str | None
    created_at: Timestamp
    updated_by: str | None
    updated_at: Timestamp

    @classmethod
    def of_rows(cls, session: Session, rows: list[PromptRule]) -> list[RulePublic]:
        emails = _emails(session, {r.created_by_id for r in rows} | {r.updated_by_id for r in rows})
        return [cls(id=r.id, phrase=r.phrase, normalised=r.normalised, category=r.category, enabled=r.enabled,
                    created_by=emails.get(r.created_by_id or ""), created_at=r.created_at,
                    updated_by=emails.get(r.updated_by_id or ""), updated_at=r.updated_at) for r in rows]


class RuleMatch(BaseModel):
    """A prompt tested against the enabled rules: the rule that refuses it, or none."""

    object: Literal["moderation.test"] = "moderation.test"
    normalised: str
    matched: bool
    rule_id: str | None
    phrase: str | None
    category: str | None


class BlockedPromptPublic(BaseModel):
    object: Literal["moderation.blocked_prompt"] = "moderation.blocked_prompt"
    id: str
    created_at: Timestamp
    user_id: str
    user_email: str | None
    prompt_excerpt: str
    rule_id: str | None
    phrase: str
    category: str
    source: str
    suspended: bool

    @classmethod
    def of(cls, row: BlockedPrompt, email: str | None) -> BlockedPromptPublic:
        return cls(id=row.id, created_at=row.created_at, user_id=row.user_id, user_email=email,
                   prompt_excerpt=row.prompt_excerpt, rule_id=row.rule_id, phrase=row.phrase, category=row.category,
                   source=row.source, suspended=row.suspended)


class QueueExample(BaseModel):
    url: str
    thumbnail_url: str


class SeedQueueEntry(BaseModel):
    """A seed as the moderation queue shows it: the recipe, the examples, the creator and the decision so far."""

    object: Literal["moderation.seed"] = "moderation.seed"
    id: str
    title: str
    description: str
    category: str
    recipe: dict[str, Any]
    creator_id: str | None
    creator_email: str | None
    examples: list[QueueExample]
    moderation_status: str
    moderation_reason: str | None
    featured: bool
    created_at: Timestamp
    moderated_at: Timestamp | None

    @classmethod
    def of(cls, seed: Seed, email: str | None, examples: list[QueueExample]) -> SeedQueueEntry:
        return cls(id=seed.id, title=seed.title, description=seed.description, category=seed.category.value,
                   recipe=dict(seed.recipe or {}), creator_id=seed.creator_id, creator_email=email, examples=examples,
                   moderation_status=seed.moderation_status.value, moderation_reason=seed.moderation_reason,
                   featured=seed.featured, created_at=seed.created_at, moderated_at=seed.moderated_at)
