"""One delivered image in the format its owner asks for.

The stored full-size image is served as it is when the format matches; otherwise it is
re-encoded with the pipeline's settings, and a PNG carries the generation's parameters like
every PNG Dream Pixel writes, so a download restores its settings when dropped on Generate.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal, cast

from PIL import Image as PILImage
from sqlmodel import Session

from dreampixel.core.errors import DreamPixelError, NotFound
from dreampixel.core.models import Generation, ImageType
from services.gallery.archive import EXTENSIONS, image_parameters
from services.images import repository as image_rows
from services.images.pipeline import CONTENT_TYPES, Encoded, encode

Format = Literal["png", "jpeg", "webp"]
FORMATS: tuple[Format, ...] = ("png", "jpeg", "webp")


@dataclass(frozen=True)
class Source:
    """A full-size image the caller owns: where it is stored and what to call the download."""

    storage_key: str
    content_type: str
    stem: str
    params: dict[str, Any]


def locate(session: Session, *, user_id: str, image_id: str) -> Source:
    """The caller's full-size generated image `image_id`; NotFound for anyone else's, or a derivative."""
    image = image_rows.get(session, image_id)
    generation = session.get(Generation, image.generation_id) if image and image.generation_id else None
    if image is None or generation is None or image.user_id != user_id or image.type is not ImageType.FULL:
        raise NotFound("No such image.")
    stem = f"dreampixel-{generation.created_at:%Y%m%d-%H%M%S}-{generation.id}-{(image.variation_index or 0) + 1}"
    return Source(storage_key=image.storage_key, content_type=image.content_type, stem=stem,
                  params=image_parameters(generation, image))


def filename(source: Source, fmt: Format) -> str:
    return f"{source.stem}.{EXTENSIONS[CONTENT_TYPES[fmt]]}"


def convert(data: bytes, fmt: Format, params: dict[str, Any], *, quality: int) -> Encoded:
    """Re-encode a stored image (already validated when it was stored) as `fmt`."""
    with PILImage.open(io.BytesIO(data)) as opened:
        opened.load()
        image = opened if opened.mode in ("RGB", "RGBA", "L") else opened.convert("RGBA")
        return encode(image, fmt, quality=quality, params=params if fmt == "png" else None)


def parse_format(value: str) -> Format:
    wanted = value.lower().replace("jpg", "jpeg")
    if wanted not in FORMATS:
        raise DreamPixelError("format must be png, jpeg or webp.", status_code=422, code="validation_failed",
                              errors=[{"field": "format", "message": "One of png, jpeg, webp."}])
    return cast(Format, wanted)

