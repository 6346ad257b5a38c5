"""Seed example files under keys that do not name their creator.

Generations now store their files under `generations/<generation id>/...`. Older ones used
`generations/<user id>/<generation id>/...`, so a published seed's example URL told who made
it. `rekey_legacy_examples` moves such files (and their derivatives) to the id-free key and
points the rows at it; run once after upgrading (`python -m dreampixel rekey-seed-examples`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlmodel import Session, select

from dreampixel.core.logging import get_logger
from dreampixel.core.models import Image, Seed
from services.images import repository as image_rows
from services.storage import StorageNotFound, get_storage

log = get_logger(__name__)

UnitOfWork = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class Move:
    image_id: str
    old_key: str
    new_key: str
    content_type: str


def id_free_key(image: Image) -> str | None:
    """The key without the owner's id, for a file stored under the old scheme; None otherwise."""
    prefix = f"generations/{image.user_id}/"
    if not image.user_id or not image.storage_key.startswith(prefix):
        return None
    return "generations/" + image.storage_key.removeprefix(prefix)


def legacy_moves(session: Session) -> list[Move]:
    """Every file of a seed's examples still stored under a key naming its owner."""
    ids = [image_id for seed in session.exec(select(Seed)).all()
           for image_id in seed.example_image_ids]
    rows = image_rows.with_derivatives(session, ids) if ids else []
    return [Move(row.id, row.storage_key, new_key, row.content_type)
            for row in rows if (new_key := id_free_key(row)) is not None]


async def rekey_legacy_examples(*, unit_of_work: UnitOfWork) -> int:
    """Copy each legacy example file to its id-free key, repoint its row, then remove the old file."""

    def find() -> list[Move]:
        with unit_of_work() as session:
            return legacy_moves(session)

    def repoint(move: Move) -> None:
        with unit_of_work() as session:
            image = image_rows.get(session, move.image_id)
            if image is not None and image.storage_key == move.old_key:
                image.storage_key = move.new_key
                session.add(image)
                session.flush()

    storage = get_storage()
    moved = 0
    for move in await asyncio.to_thread(find):
        try:
            data = await storage.get(move.old_key)
        except StorageNotFound:
            log.warning("seeds.example_file_missing", image_id=move.image_id)
            continue
        await storage.put(move.new_key, data, content_type=move.content_type)
        await asyncio.to_thread(repoint, move)
        await storage.delete(move.old_key)
        moved += 1
    log.info("seeds.examples_rekeyed", files=moved)
    return moved
