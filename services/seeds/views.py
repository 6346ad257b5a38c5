"""Seeds as the outside sees them: the API's seed object and the pages' small display values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, or_, select

from dreampixel.core.models import Image, ImageType, Seed, User
from services.storage import get_storage


@dataclass(frozen=True)
class Example:
    url: str
    thumbnail_url: str
    width: int
    height: int


def examples(session: Session, seeds: list[Seed]) -> dict[str, list[Example]]:
    """Each seed's example images as public URLs (thumbnail falls back to the full image)."""
    ids = [image_id for seed in seeds for image_id in seed.example_image_ids]
    if not ids:
        return {seed.id: [] for seed in seeds}
    rows = session.exec(select(Image).where(or_(col(Image.id).in_(ids), col(Image.parent_id).in_(ids)))).all()
    storage = get_storage()
    full = {row.id: row for row in rows if row.id in ids}
    thumbs = {row.parent_id: row for row in rows if row.type is ImageType.THUMBNAIL and row.parent_id}
    result: dict[str, list[Example]] = {}
    for seed in seeds:
        shown = []
        for image_id in seed.example_image_ids:
            image = full.get(image_id)
            if image is None:
                continue
            url = storage.url(image.storage_key, public=True)
            thumb = thumbs.get(image_id)
            shown.append(Example(url=url, thumbnail_url=storage.url(thumb.storage_key, public=True) if thumb else url,
                                 width=image.width, height=image.height))
        result[seed.id] = shown
    return result


def creator_names(session: Session, seeds: list[Seed]) -> dict[str, str]:
    ids = {seed.creator_id for seed in seeds if seed.creator_id}
    if not ids:
        return {}
    return {user.id: user.name for user in session.exec(select(User).where(col(User.id).in_(ids))).all()}


def seed_object(seed: Seed, shown: list[Example], creator: str | None) -> dict[str, Any]:
    """The API's seed: its recipe, counts and example images; no moderation internals."""
    return {
        "id": seed.id,
        "object": "seed",
        "title": seed.title,
        "description": seed.description,
        "category": seed.category.value.lower(),
        "seed": seed.seed_number,
        "recipe": seed.recipe,
        "creator": {"name": creator} if creator else None,
        "featured": seed.featured,
        "use_count": seed.use_count,
        "favorite_count": seed.favorite_count,
        "examples": [{"url": e.url, "thumbnail_url": e.thumbnail_url, "width": e.width, "height": e.height}
                     for e in shown],
        "published_at": seed.published_at.isoformat() if seed.published_at else None,
    }


def seed_objects(session: Session, seeds: list[Seed]) -> list[dict[str, Any]]:
    shown, names = examples(session, seeds), creator_names(session, seeds)
    return [seed_object(seed, shown[seed.id], names.get(seed.creator_id or "")) for seed in seeds]
