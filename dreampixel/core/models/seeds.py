"""The seed marketplace: published recipes people can reuse, and who favourited them."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Text
from sqlmodel import Field, SQLModel

from dreampixel.core.models.base import (
    CreatedAt,
    JSONType,
    Timestamps,
    UTCDateTime,
    counter_field,
    enum_field,
    flag_field,
    id_field,
    reference,
)
from dreampixel.core.models.enums import ModerationStatus, SeedCategory

TITLE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 2000


class SeedBase(SQLModel):
    title: str = Field(max_length=TITLE_MAX_LENGTH)
    description: str = Field(default="", sa_type=Text)
    category: SeedCategory = enum_field(SeedCategory, SeedCategory.OTHER)
    # What reproduces the image: prompt, negative_prompt and the generation settings.
    recipe: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)


class SeedCreate(SeedBase):
    title: str = Field(min_length=1, max_length=TITLE_MAX_LENGTH)
    description: str = Field(default="", max_length=DESCRIPTION_MAX_LENGTH)
    source_generation_id: str | None = None
    example_image_ids: list[str] = Field(default_factory=list, max_length=8)


class Seed(SeedBase, Timestamps, table=True):
    __tablename__ = "seeds"
    __table_args__ = (
        Index("ix_seeds_moderation_status_category_use_count", "moderation_status", "category", "use_count"),
        Index("ix_seeds_moderation_status_created_at", "moderation_status", "created_at"),
        Index("ix_seeds_moderation_status_featured", "moderation_status", "featured"),
        Index("ix_seeds_creator_id_created_at", "creator_id", "created_at"),
    )

    id: str = id_field("sed")
    seed_number: int = Field(sa_type=BigInteger, unique=True)
    creator_id: str | None = reference("users.id", ondelete="SET NULL", nullable=True)
    example_image_ids: list[str] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    source_generation_id: str | None = reference("generations.id", ondelete="SET NULL", nullable=True)
    # Counters are bumped with `UPDATE ... SET use_count = use_count + 1`, never read-then-write.
    use_count: int = counter_field()
    favorite_count: int = counter_field()
    featured: bool = flag_field()
    moderation_status: ModerationStatus = enum_field(ModerationStatus, ModerationStatus.PENDING)
    moderation_reason: str | None = Field(default=None, sa_type=Text)
    moderated_by_id: str | None = reference("users.id", ondelete="SET NULL", nullable=True)
    moderated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SeedFavorite(CreatedAt, table=True):
    __tablename__ = "seed_favorites"

    user_id: str = reference("users.id", ondelete="CASCADE", primary_key=True)
    # The primary key starts with user_id; counting a seed's favourites needs its own index.
    seed_id: str = reference("seeds.id", ondelete="CASCADE", primary_key=True, index=True)


class SeedUse(SQLModel, table=True):
    """A user used a seed on a UTC day: a seed's use count moves once per row, not per click."""

    __tablename__ = "seed_uses"

    seed_id: str = reference("seeds.id", ondelete="CASCADE", primary_key=True)
    user_id: str = reference("users.id", ondelete="CASCADE", primary_key=True, index=True)
    day: date = Field(primary_key=True)
