"""Which of a user's generations the gallery shows: search, filters, sort and a cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from dreampixel.core.models import Generation, GenerationStatus

PAGE_SIZE = 24
LIKE_ESCAPE = "\\"


class Sort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"


class Shape(StrEnum):
    """The size filter: by orientation, which is what people remember about an image."""

    SQUARE = "square"
    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"


@dataclass(frozen=True)
class GalleryFilter:
    text: str = ""
    status: GenerationStatus | None = None
    provider: str | None = None
    favorites_only: bool = False
    shape: Shape | None = None
    created_from: date | None = None
    created_to: date | None = None  # inclusive: the whole day
    sort: Sort = Sort.NEWEST


def like_pattern(text: str) -> str:
    """`%text%` for LIKE, with the user's own % and _ (and the escape character) taken literally."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped.lower()}%"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def search(
    session: Session, *, user_id: str, filters: GalleryFilter = GalleryFilter(), cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Generation], str | None]:
    """One page of the user's generations matching `filters`, and the cursor of the next page.

    Ids sort by creation, so the cursor is the last id shown; the prompt search lowercases
    both sides, which works the same on SQLite and PostgreSQL.
    """
    query = select(Generation).where(Generation.user_id == user_id)
    words = filters.text.split()
    for word in words:
        query = query.where(func.lower(Generation.prompt).like(like_pattern(word), escape=LIKE_ESCAPE))
    if filters.status is not None:
        query = query.where(Generation.status == filters.status)
    if filters.provider:
        query = query.where(Generation.provider_used == filters.provider)
    if filters.favorites_only:
        query = query.where(col(Generation.is_favorite).is_(True))
    if filters.shape is Shape.SQUARE:
        query = query.where(col(Generation.width) == col(Generation.height))
    elif filters.shape is Shape.PORTRAIT:
        query = query.where(col(Generation.width) < col(Generation.height))
    elif filters.shape is Shape.LANDSCAPE:
        query = query.where(col(Generation.width) > col(Generation.height))
    if filters.created_from is not None:
        query = query.where(col(Generation.created_at) >= _day_start(filters.created_from))
    if filters.created_to is not None:
        query = query.where(col(Generation.created_at) < _day_start(filters.created_to + timedelta(days=1)))
    newest = filters.sort is Sort.NEWEST
    if cursor:
        query = query.where(col(Generation.id) < cursor if newest else col(Generation.id) > cursor)
    order = col(Generation.id).desc() if newest else col(Generation.id).asc()
    rows = list(session.exec(query.order_by(order).limit(limit + 1)).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if has_more and rows else None)


def providers_used(session: Session, *, user_id: str) -> list[str]:
    """The providers that made at least one of the user's generations (the provider filter's choices)."""
    query = (select(Generation.provider_used).where(Generation.user_id == user_id)
             .where(col(Generation.provider_used).is_not(None)).distinct())
    return sorted(p for p in session.exec(query).all() if p)
