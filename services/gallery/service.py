"""Changing the gallery: favourites and deletion, always of the caller's own generations.

Deletion removes the rows in the caller's unit of work and returns the storage keys of the
files; the edge deletes the files after the commit (`delete_files`), so a rollback never
leaves rows pointing at missing files.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from dreampixel.core.errors import NotFound
from dreampixel.core.logging import get_logger
from dreampixel.core.models import Generation, GenerationStatus, Image
from services.generation import service as generation_service
from services.images import repository as image_rows
from services.storage import delete_many

log = get_logger(__name__)

MAX_BATCH = 100  # generations in one bulk delete or download


def owned(session: Session, *, user_id: str, generation_ids: list[str]) -> list[Generation]:
    """The user's generations with these ids, in the given order; NotFound if any is not theirs."""
    wanted = list(dict.fromkeys(generation_ids))
    if not wanted:
        return []
    if len(wanted) > MAX_BATCH:
        raise NotFound(f"Choose at most {MAX_BATCH} images at a time.")
    rows = session.exec(select(Generation).where(col(Generation.id).in_(wanted),
                                                 Generation.user_id == user_id)).all()
    by_id = {row.id: row for row in rows}
    if len(by_id) != len(wanted):
        raise NotFound("No such generation.")
    return [by_id[i] for i in wanted]


def images_of(session: Session, generation_ids: list[str]) -> list[Image]:
    """Every image row of these generations: full images and the derivatives hanging off them."""
    return image_rows.of_generations(session, generation_ids)


def set_favorite(session: Session, *, user_id: str, generation_id: str, favorite: bool) -> bool:
    """Mark or unmark one of the user's generations as a favourite; returns the new value."""
    (generation,) = owned(session, user_id=user_id, generation_ids=[generation_id])
    generation.is_favorite = favorite
    session.add(generation)
    session.flush()
    return favorite


def delete_generations(session: Session, *, user_id: str, generation_ids: list[str]) -> list[str]:
    """Delete the user's generations and their image rows; returns the storage keys to remove.

    A generation still queued or processing is canceled first, so its held credits come back;
    its job then finds no row and stops.
    """
    generations = owned(session, user_id=user_id, generation_ids=generation_ids)
    if not generations:
        return []
    for generation in generations:
        if not GenerationStatus(generation.status).is_final:
            generation_service.cancel(session, user_id=user_id, generation_id=generation.id)
    ids = [g.id for g in generations]
    images = image_rows.of_generations(session, ids)
    keys = image_rows.storage_keys(images)
    image_rows.delete_rows(session, images)
    session.execute(delete(Generation).where(col(Generation.id).in_(ids), col(Generation.user_id) == user_id))
    session.flush()
    session.expunge_all()
    active = sum(1 for g in generations if not GenerationStatus(g.status).is_final)
    log.info("gallery.deleted", user_id=user_id, generations=len(ids), files=len(keys), active=active)
    return keys


async def delete_files(keys: list[str]) -> int:
    """Remove the stored files whose rows were deleted; returns how many were removed."""
    return await delete_many(keys)
