"""The seeds marketplace: browse approved seeds, use and favourite them, publish your own.

Only APPROVED seeds are public; a creator also sees their own pending and rejected ones.
Counters move with single `UPDATE ... SET n = n + 1` statements, never read-then-write, so
concurrent uses and favourites add up.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import delete, exc, or_, update
from sqlmodel import Session, col, select

from dreampixel.core.errors import Conflict, NotFound, ValidationFailed
from dreampixel.core.logging import get_logger
from dreampixel.core.models import (
    Generation,
    GenerationStatus,
    ModerationStatus,
    Seed,
    SeedCategory,
    SeedCreate,
    SeedFavorite,
    SeedUse,
    utcnow,
)
from services.generation import service as generations
from services.images import repository as image_rows

log = get_logger(__name__)

Sort = Literal["popular", "new"]
SORTS: tuple[Sort, ...] = ("popular", "new")
CATEGORIES = tuple(category.value.lower() for category in SeedCategory)
MAX_PAGE = 100
# Recipe keys a generation is rebuilt from; anything else in a stored recipe is left out.
RECIPE_KEYS = ("prompt", "negative_prompt", "width", "height", "steps", "guidance_scale", "provider")


def parse_category(value: str | None) -> SeedCategory | None:
    """'anime' -> SeedCategory.ANIME; empty -> None; anything else is a 422."""
    if not value:
        return None
    try:
        return SeedCategory(value.strip().upper())
    except ValueError:
        raise ValidationFailed(
            "Unknown category.", errors=[{"field": "category", "message": f"Choose from {', '.join(CATEGORIES)}."}]
        ) from None


def _encode_cursor(sort: Sort, seed: Seed) -> str:
    key = [seed.use_count, seed.id] if sort == "popular" else [seed.id]
    return base64.urlsafe_b64encode(json.dumps([sort, *key]).encode()).decode().rstrip("=")


def _decode_cursor(sort: Sort, cursor: str) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or raw[0] != sort:
            raise ValueError
        if sort == "popular" and isinstance(raw[1], int) and isinstance(raw[2], str) and len(raw) == 3:
            return raw[1:]
        if sort == "new" and isinstance(raw[1], str) and len(raw) == 2:
            return raw[1:]
        raise ValueError
    except (ValueError, IndexError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("Invalid cursor.", errors=[{"field": "cursor", "message": "Use a next_cursor "
                                                           "returned by the same query."}]) from None


def browse(
    session: Session, *, category: SeedCategory | None = None, q: str | None = None, sort: Sort = "popular",
    featured: bool | None = None, cursor: str | None = None, limit: int = 24,
) -> tuple[list[Seed], str | None]:
    """Approved seeds, most used (or newest) first; returns the page and the next cursor."""
    if sort not in SORTS:
        raise ValidationFailed("Unknown sort.", errors=[{"field": "sort", "message": "Choose popular or new."}])
    limit = max(1, min(limit, MAX_PAGE))
    query = select(Seed).where(Seed.moderation_status == ModerationStatus.APPROVED)
    if category is not None:
        query = query.where(Seed.category == category)
    if featured is not None:
        query = query.where(Seed.featured == featured)
    if q and q.strip():
        needle = q.strip()[:100]
        query = query.where(or_(col(Seed.title).icontains(needle, autoescape=True),
                                col(Seed.description).icontains(needle, autoescape=True)))
    # Ids sort by creation, so they break ties and order "new" on their own.
    if sort == "popular":
        if cursor:
            uses, last_id = _decode_cursor(sort, cursor)
            query = query.where(or_(col(Seed.use_count) < uses,
                                    (col(Seed.use_count) == uses) & (col(Seed.id) < last_id)))
        query = query.order_by(col(Seed.use_count).desc(), col(Seed.id).desc())
    else:
        if cursor:
            (last_id,) = _decode_cursor(sort, cursor)
            query = query.where(col(Seed.id) < last_id)
        query = query.order_by(col(Seed.id).desc())
    rows = list(session.exec(query.limit(limit + 1)).all())
    page = rows[:limit]
    return page, (_encode_cursor(sort, page[-1]) if len(rows) > limit and page else None)


def featured(session: Session, *, limit: int = 8) -> list[Seed]:
    """The approved seeds the team picked, most used first."""
    return browse(session, featured=True, limit=limit)[0]


def get_public(session: Session, seed_id: str, *, viewer_id: str | None = None) -> Seed:
    """An approved seed, or the viewer's own in any status; anything else is NotFound."""
    seed = session.get(Seed, seed_id)
    if seed is None or (seed.moderation_status is not ModerationStatus.APPROVED
                        and (viewer_id is None or seed.creator_id != viewer_id)):
        raise NotFound("No such seed.")
    return seed


def recipe_of(seed: Seed) -> dict[str, Any]:
    """What the generate form is prefilled with: the stored recipe, the seed number and its id."""
    recipe = {key: seed.recipe[key] for key in RECIPE_KEYS if key in seed.recipe}
    return {**recipe, "seed": seed.seed_number, "seed_id": seed.id}


def recipe_for(session: Session, seed_id: str) -> dict[str, Any]:
    """The recipe of an approved seed (for the generate page's `?seed_id=`); NotFound otherwise."""
    return recipe_of(get_public(session, seed_id))


def use(session: Session, seed_id: str, *, user_id: str) -> dict[str, Any]:
    """Return an approved seed's recipe, counting a use once per user and UTC day.

    A popularity that anyone could raise by clicking again would rank whoever clicks most.
    """
    recipe = recipe_for(session, seed_id)
    try:
        with session.begin_nested():
            session.add(SeedUse(seed_id=seed_id, user_id=user_id, day=utcnow().date()))
    except exc.IntegrityError:
        return recipe  # this user's use of today is counted already
    session.execute(update(Seed).where(col(Seed.id) == seed_id).values(use_count=col(Seed.use_count) + 1))
    return recipe


def is_favorite(session: Session, *, user_id: str, seed_id: str) -> bool:
    return session.get(SeedFavorite, (user_id, seed_id)) is not None


def toggle_favorite(session: Session, *, user_id: str, seed_id: str) -> bool:
    """Favourite an approved seed, or unfavourite it; returns whether it is a favourite now."""
    get_public(session, seed_id)
    removed = session.execute(
        delete(SeedFavorite).where(col(SeedFavorite.user_id) == user_id, col(SeedFavorite.seed_id) == seed_id)
    )
    if removed.rowcount:  # type: ignore[attr-defined]
        session.execute(update(Seed).where(col(Seed.id) == seed_id)
                        .values(favorite_count=col(Seed.favorite_count) - 1))
        return False
    try:
        with session.begin_nested():
            session.add(SeedFavorite(user_id=user_id, seed_id=seed_id))
    except exc.IntegrityError:
        return True  # a concurrent request of the same user favourited it first and counted it
    session.execute(update(Seed).where(col(Seed.id) == seed_id).values(favorite_count=col(Seed.favorite_count) + 1))
    return True


def submit(
    session: Session, *, user_id: str, generation_id: str, title: str, description: str = "",
    category: SeedCategory = SeedCategory.OTHER,
) -> Seed:
    """Publish one of the user's own succeeded generations as a seed; it waits for moderation."""
    generation = generations.get_for_user(session, user_id=user_id, generation_id=generation_id)
    if generation.status is not GenerationStatus.SUCCEEDED or generation.seed_used is None:
        raise ValidationFailed("Only a finished generation can be published.",
                               errors=[{"field": "generation_id", "message": "Pick a generation that succeeded."}])
    images = image_rows.full_image_ids(session, generation.id)
    try:
        data = SeedCreate(title=title.strip(), description=description.strip(), category=category,
                          recipe=_recipe_from(generation), source_generation_id=generation.id,
                          example_image_ids=images[:8])
    except ValidationError as error:
        raise ValidationFailed("Check the highlighted fields.", errors=[
            {"field": str(e["loc"][0]), "message": e["msg"]} for e in error.errors()]) from None
    taken = session.exec(select(Seed.id).where(or_(col(Seed.source_generation_id) == generation.id,
                                                    col(Seed.seed_number) == generation.seed_used))).first()
    if taken is not None:
        raise Conflict("This generation's seed is already published.", code="seed_exists")
    seed = Seed(**data.model_dump(), seed_number=generation.seed_used, creator_id=user_id,
                moderation_status=ModerationStatus.PENDING)
    session.add(seed)
    session.flush()
    log.info("seed.submitted", seed_id=seed.id, user_id=user_id, generation_id=generation.id)
    return seed


def _recipe_from(generation: Generation) -> dict[str, Any]:
    return {"prompt": generation.prompt, "negative_prompt": generation.negative_prompt, "width": generation.width,
            "height": generation.height, "steps": generation.steps, "guidance_scale": generation.guidance_scale,
            "provider": generation.provider_used}


def mine(session: Session, *, user_id: str) -> list[Seed]:
    """Every seed the user submitted, newest first, in any moderation status."""
    return list(session.exec(select(Seed).where(Seed.creator_id == user_id).order_by(col(Seed.id).desc())).all())


def publishable(session: Session, *, user_id: str, limit: int = 30) -> list[Generation]:
    """The user's recent succeeded generations, the ones a seed can be made from."""
    return generations.list_for_user(session, user_id=user_id, status=GenerationStatus.SUCCEEDED, limit=limit)[0]
