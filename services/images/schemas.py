"""Images as the outside sees them: signed URLs and facts about the file, never storage keys."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from dreampixel.core.models import Image
from dreampixel.core.schemas import Timestamp
from services.storage import get_storage


class ImagePublic(BaseModel):
    """A stored image: what `POST /api/v1/uploads` and `GET /api/v1/images/{id}` return."""

    id: str
    object: Literal["image"] = "image"
    type: str  # reference | full | medium | thumbnail
    url: str
    thumbnail_url: str | None
    width: int
    height: int
    bytes: int
    content_type: str
    sha256: str
    perceptual_hash: str | None
    created_at: Timestamp

    @classmethod
    def of(cls, image: Image) -> ImagePublic:
        storage = get_storage()
        thumbnail_key = (image.meta or {}).get("thumbnail_key")
        return cls(
            id=image.id, type=image.type.value.lower(), url=storage.url(image.storage_key),
            thumbnail_url=storage.url(thumbnail_key) if thumbnail_key else None, width=image.width,
            height=image.height, bytes=image.bytes, content_type=image.content_type, sha256=image.sha256,
            perceptual_hash=image.perceptual_hash, created_at=image.created_at,
        )
