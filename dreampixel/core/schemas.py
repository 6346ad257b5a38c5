"""Pieces every domain's read models share: the timestamp as the API writes it, and the cursor page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, PlainSerializer, WithJsonSchema


def _iso(value: datetime) -> str:
    return value.isoformat()


# `datetime.isoformat()` ("+00:00"), not pydantic's "Z": the API has always written it this way.
Timestamp = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, newest first; pass `next_cursor` back as `cursor` for the next."""

    object: Literal["list"] = "list"
    data: list[T]
    next_cursor: str | None
    has_more: bool

    @classmethod
    def of(cls, data: list[T], next_cursor: str | None) -> Page[T]:
        return cls(data=data, next_cursor=next_cursor, has_more=next_cursor is not None)
