"""Reference images: uploaded or fetched, validated, stripped of metadata, stored once per user."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from dreampixel.core.errors import NotFound
from dreampixel.core.logging import get_logger
from dreampixel.core.models import Image, ImageStatus, ImageType
from dreampixel.core.settings import settings
from services.images import pool
from services.images import repository as image_rows
from services.images.fetch import fetch
from services.images.pipeline import Derived
from services.images.schemas import ImagePublic
from services.storage import get_storage

log = get_logger(__name__)

UnitOfWork = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class SavedReference:
    image: ImagePublic
    created: bool  # False when the user had stored the same bytes before


def find_duplicate(session: Session, *, user_id: str, sha256: str) -> Image | None:
    return image_rows.reference_with_content(session, user_id=user_id, sha256=sha256)


async def prepare(data: bytes) -> Derived:
    """Validate and re-encode (uploads are untrusted: re-encoding drops anything hidden in them)."""
    return await pool.derive_async(data, output_format="png")


async def store(user_id: str, derived: Derived, *, source: str) -> tuple[str, dict[str, Any]]:
    """Write the files; returns the storage key and the row's fields. Keys derive from the content hash."""
    storage = get_storage()
    base = f"references/{user_id}/{derived.sha256[:32]}"
    ttl = settings.cache_ttl_reference
    await storage.put(f"{base}/full.png", derived.full.data, content_type="image/png", cache_seconds=ttl)
    await storage.put(f"{base}/thumb.webp", derived.thumbnail.data, content_type="image/webp", cache_seconds=ttl)
    fields = {
        "user_id": user_id, "type": ImageType.REFERENCE, "status": ImageStatus.READY,
        "storage_key": f"{base}/full.png", "width": derived.full.width, "height": derived.full.height,
        "bytes": len(derived.full.data), "content_type": "image/png", "sha256": derived.sha256,
        "perceptual_hash": derived.perceptual_hash, "meta": {"source": source, "thumbnail_key": f"{base}/thumb.webp"},
    }
    return f"{base}/full.png", fields


def record(session: Session, fields: dict[str, Any]) -> Image:
    """Insert the reference row unless the same user already stored the same bytes."""
    existing = find_duplicate(session, user_id=fields["user_id"], sha256=fields["sha256"])
    if existing is not None:
        return existing
    image = Image(**fields)
    image_rows.add(session, image)
    return image


async def save(user_id: str, data: bytes, *, source: str, unit_of_work: UnitOfWork) -> SavedReference:
    """Validate, re-encode and store a reference image once per user; bad files raise InvalidImage.

    The edge passes its `unit_of_work`: the duplicate check and the insert each run in one, on a
    thread, and no transaction stays open while the files are written.
    """
    derived = await prepare(data)

    def existing() -> ImagePublic | None:
        with unit_of_work() as session:
            found = find_duplicate(session, user_id=user_id, sha256=derived.sha256)
            return ImagePublic.of(found) if found else None

    duplicate = await asyncio.to_thread(existing)
    if duplicate is not None:
        return SavedReference(duplicate, created=False)
    _key, fields = await store(user_id, derived, source=source)

    def insert() -> ImagePublic:
        with unit_of_work() as session:
            return ImagePublic.of(record(session, fields))

    return SavedReference(await asyncio.to_thread(insert), created=True)


async def fetch_bytes(url: str) -> bytes:
    fetched = await fetch(url, max_bytes=settings.max_image_size, timeout=15.0)
    return fetched.content


def get_for_user(session: Session, *, user_id: str, image_id: str) -> Image:
    image = image_rows.get(session, image_id)
    if image is None or image.user_id != user_id or image.status is not ImageStatus.READY:
        raise NotFound("No such image.")
    return image

