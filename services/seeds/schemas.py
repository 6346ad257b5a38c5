"""Seeds as the outside sees them: the API's seed object, which the seeds pages' cards also read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from sqlmodel import Session, col, select

from dreampixel.core.models import ImageType, ModerationStatus, Seed, User
from dreampixel.core.schemas import Timestamp
from services.images import repository as image_rows
from services.storage import get_storage


class SeedExample(BaseModel):
    """An example image of a seed, as public URLs (the thumbnail falls back to the full image)."""

    url: str
    thumbnail_url: str
    width: int
    height: int


class SeedCreator(BaseModel):
    name: str


class SeedPublic(BaseModel):
    """The API's seed: its recipe, counts and example images; no moderation internals."""

    id: str
    object: Literal["seed"] = "seed"
    title: str
    description: str
    category: str
    seed: int
    recipe: dict[str, Any]
    creator: SeedCreator | None
    featured: bool
    use_count: int
    favorite_count: int
    examples: list[SeedExample]
    published_at: Timestamp | None


def examples(session: Session, seeds: list[Seed]) -> dict[str, list[SeedExample]]:
    """Each seed's example images: public URLs once approved, signed ones before (thumbnail falls back to the full image)."""
    ids = [image_id for seed in seeds for image_id in seed.example_image_ids]
    if not ids:
        return {seed.id: [] for seed in seeds}
    rows = image_rows.with_derivatives(session, ids)
    storage = get_storage()
    full = {row.id: row for row in rows if row.id in ids}
    thumbs = {row.parent_id: row for row in rows if row.type is ImageType.THUMBNAIL and row.parent_id}
    result: dict[str, list[SeedExample]] = {}
    for seed in seeds:
        shown = []
        # Until a moderator approves the seed, its examples are still their creator's private images.
        public = seed.moderation_status is ModerationStatus.APPROVED
        for image_id in seed.example_image_ids:
            image = full.get(image_id)
            if image is None:
                continue
            url = storage.url(image.storage_key, public=public)
            thumb = thumbs.get(image_id)
            shown.append(SeedExample(url=url, thumbnail_url=storage.url(thumb.storage_key, public=public) if thumb else url,
                                     width=image.width, height=image.height))
        result[seed.id] = shown
    return result


def creator_names(session: Session, seeds: list[Seed]) -> dict[str, str]:
    ids = {seed.creator_id for seed in seeds if seed.creator_id}
    if not ids:
        return {}
    return {user.id: user.name for user in session.exec(select(User).where(col(User.id).in_(ids))).all()}


def seed_public(seed: Seed, shown: list[SeedExample], creator: str | None) -> SeedPublic:
    return SeedPublic(
        id=seed.id,
        title=seed.title,
        description=seed.description,
        category=seed.category.value.lower(),
        seed=seed.seed_number,
        recipe=seed.recipe,
        creator=SeedCreator(name=creator) if creator else None,
        featured=seed.featured,
        use_count=seed.use_count,
        favorite_count=seed.favorite_count,
        examples=shown,
        published_at=seed.published_at,
    )


def seeds_public(session: Session, seeds: list[Seed]) -> list[SeedPublic]:
    """The seed objects of several seeds, with two queries for all their images and creators."""
    shown, names = examples(session, seeds), creator_names(session, seeds)
    return [seed_public(seed, shown[seed.id], names.get(seed.creator_id or "")) for seed in seeds]


class SeedModeration(BaseModel):
    """A seed's moderation state after an admin decision."""

    object: Literal["seed"] = "seed"
    id: str
    moderation_status: ModerationStatus
    moderation_reason: str | None

    @classmethod
    def of(cls, seed: Seed) -> SeedModeration:
        return cls(id=seed.id, moderation_status=seed.moderation_status, moderation_reason=seed.moderation_reason)
