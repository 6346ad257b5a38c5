"""Every query on the `images` table, named for what it answers.

Full images carry the generation (or the upload); their derivatives (medium, thumbnail) hang
off them by `parent_id`, so "the images of X" always means the full rows and their children.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from dreampixel.core.models import Generation, Image, ImageStatus, ImageType, new_id, utcnow
from services.images.pipeline import Encoded

# Prepared once: the worker inserts every generation's rows through it.
_INSERT = Image.__table__.insert()  # type: ignore[attr-defined]


def get(session: Session, image_id: str) -> Image | None:
    return session.get(Image, image_id)


def reference_with_content(session: Session, *, user_id: str, sha256: str) -> Image | None:
    """The user's ready reference upload with these exact bytes, if they stored it before."""
    return session.exec(
        select(Image).where(Image.user_id == user_id, Image.sha256 == sha256, Image.type == ImageType.REFERENCE,
                            Image.status == ImageStatus.READY)
    ).first()


def outputs_of(session: Session, generation_id: str) -> list[Image]:
    """Every row a generation delivered (full images and derivatives), by variation."""
    return list(session.exec(
        select(Image).where(Image.generation_id == generation_id).order_by(col(Image.variation_index))
    ).all())


def full_image_ids(session: Session, generation_id: str) -> list[str]:
    """The ids of a generation's full-size images, by variation."""
    return list(session.exec(
        select(Image.id).where(Image.generation_id == generation_id, Image.type == ImageType.FULL)
        .order_by(col(Image.variation_index))
    ).all())


def of_generations(session: Session, generation_ids: list[str]) -> list[Image]:
    """Every image row of these generations: full images and the derivatives hanging off them."""
    if not generation_ids:
        return []
    direct = col(Image.generation_id).in_(generation_ids)
    parents = select(Image.id).where(direct)
    return list(session.exec(select(Image).where(or_(direct, col(Image.parent_id).in_(parents)))).all())


def with_derivatives(session: Session, image_ids: Sequence[str]) -> list[Image]:
    """These images and the derivatives hanging off them."""
    return list(session.exec(
        select(Image).where(or_(col(Image.id).in_(image_ids), col(Image.parent_id).in_(image_ids)))
    ).all())


def of_user(session: Session, user_id: str) -> list[Image]:
    """Every image row of an account: its uploads, its generations' outputs, and their derivatives."""
    generation_ids = select(Generation.id).where(Generation.user_id == user_id)
    owned = or_(col(Image.user_id) == user_id, col(Image.generation_id).in_(generation_ids))
    image_ids = list(session.exec(select(Image.id).where(owned)).all())
    return with_derivatives(session, image_ids) if image_ids else []


def storage_keys(images: Sequence[Image]) -> list[str]:
    """Every stored file of these rows: each row's own, and a reference upload's thumbnail (kept in its meta)."""
    keys = {image.storage_key for image in images}
    keys.update(str(key) for image in images if (key := (image.meta or {}).get("thumbnail_key")))
    return sorted(keys)


def add(session: Session, *images: Image) -> None:
    session.add_all(images)
    session.flush()


def ready_row(*, user_id: str, generation_id: str, parent_id: str | None, kind: ImageType, storage_key: str,
              encoded: Encoded, variation_index: int, perceptual_hash: str | None = None,
              meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ready `images` row as column values, for `insert_rows` (no ORM object on the hot path)."""
    return {
        "id": new_id("img"), "created_at": utcnow(), "user_id": user_id, "generation_id": generation_id,
        "parent_id": parent_id, "type": kind, "status": ImageStatus.READY, "storage_key": storage_key, "url": None,
        "width": encoded.width, "height": encoded.height, "bytes": len(encoded.data),
        "content_type": encoded.content_type, "sha256": encoded.sha256, "perceptual_hash": perceptual_hash,
        "variation_index": variation_index, "metadata": meta or {},
    }


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert `ready_row`s in one multi-row INSERT."""
    if rows:
        session.execute(_INSERT, rows)


def delete_rows(session: Session, images: list[Image]) -> None:
    if images:
        session.execute(delete(Image).where(col(Image.id).in_([image.id for image in images])))
