"""/api/v1/seeds: the marketplace's approved seeds, read with an API key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from dreampixel.api.deps import ApiCaller, SessionDep, require
from services.seeds import service as seeds
from services.seeds import views

router = APIRouter(prefix="/seeds", tags=["seeds"])


@router.get("")
def list_seeds(
    session: SessionDep,
    _caller: Annotated[ApiCaller, require("seeds:read")],
    category: str | None = None,
    featured: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sort: seeds.Sort = "popular",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=seeds.MAX_PAGE)] = 24,
) -> dict[str, Any]:
    """Approved seeds, most used first (or `sort=new`), cursor-paginated."""
    page, next_cursor = seeds.browse(session, category=seeds.parse_category(category), q=q, sort=sort,
                                     featured=featured, cursor=cursor, limit=limit)
    return {"object": "list", "data": views.seed_objects(session, page), "next_cursor": next_cursor,
            "has_more": next_cursor is not None}


@router.get("/{seed_id}")
def get_seed(session: SessionDep, _caller: Annotated[ApiCaller, require("seeds:read")], seed_id: str) -> dict[str, Any]:
    """One approved seed with its recipe and example images."""
    return views.seed_objects(session, [seeds.get_public(session, seed_id)])[0]
