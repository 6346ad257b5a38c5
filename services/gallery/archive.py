"""A ZIP of chosen generations: each delivered image beside a text file of its parameters.

The entries are decided inside a unit of work (ownership checked there); the archive is then
written while it streams, one image at a time, so memory stays at about one image.
"""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from dreampixel.core.logging import get_logger
from dreampixel.core.models import Generation, Image, ImageType
from services.gallery.service import owned
from services.images import repository as image_rows
from services.images.parameters import a1111_text
from services.storage import StorageNotFound, get_storage

log = get_logger(__name__)

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


@dataclass(frozen=True)
class ZipEntry:
    """One image of the archive: where it is stored, its name inside the ZIP, its parameters text."""

    storage_key: str
    name: str
    parameters: str
    made_at: datetime


def image_parameters(generation: Generation, image: Image) -> dict[str, Any]:
    """What made one delivered image: the recipe a PNG carries and a ZIP's text file spells out."""
    return {
        "prompt": generation.prompt,
        "negative_prompt": generation.negative_prompt,
        "steps": generation.steps,
        "guidance_scale": generation.guidance_scale,
        "seed": (image.meta or {}).get("seed", generation.seed_used),
        "width": image.width,
        "height": image.height,
        "provider": generation.provider_used,
    }


def entries(session: Session, *, user_id: str, generation_ids: list[str]) -> list[ZipEntry]:
    """The full images of the user's chosen generations; NotFound if any generation is not theirs."""
    generations = owned(session, user_id=user_id, generation_ids=generation_ids)
    by_generation: dict[str, list] = {}
    for image in image_rows.of_generations(session, [g.id for g in generations]):
        if image.type is ImageType.FULL and image.generation_id:
            by_generation.setdefault(image.generation_id, []).append(image)
    result = []
    for generation in generations:
        for image in sorted(by_generation.get(generation.id, []), key=lambda i: i.variation_index or 0):
            base = f"{generation.created_at:%Y%m%d-%H%M%S}-{generation.id}-{(image.variation_index or 0) + 1}"
            params = image_parameters(generation, image)
            result.append(ZipEntry(storage_key=image.storage_key,
                                   name=f"{base}.{EXTENSIONS.get(image.content_type, 'bin')}",
                                   parameters=a1111_text(params) + "\n", made_at=generation.created_at))
    return result


class _Sink:
    """A write-only stream ZipFile writes into; what it wrote is taken out chunk by chunk."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _info(name: str, made_at: datetime, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=made_at.timetuple()[:6])
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16
    return info


async def stream(zip_entries: list[ZipEntry]) -> AsyncIterator[bytes]:
    """The archive's bytes as they are written; a file missing from storage is left out."""
    storage = get_storage()
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as archive:  # type: ignore[call-overload]
        for entry in zip_entries:
            try:
                data = await storage.get(entry.storage_key)
            except StorageNotFound:
                log.warning("gallery.zip_file_missing", key=entry.storage_key)
                continue
            # Images are compressed already; the CRC and copy still run off the event loop.
            await asyncio.to_thread(archive.writestr, _info(entry.name, entry.made_at, zipfile.ZIP_STORED), data)
            text_name = entry.name.rsplit(".", 1)[0] + ".txt"
            archive.writestr(_info(text_name, entry.made_at, zipfile.ZIP_DEFLATED), entry.parameters)
            yield sink.take()
    yield sink.take()
