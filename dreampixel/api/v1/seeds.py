"""/api/v1/seeds: the marketplace's approved seeds, read with an API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from dreampixel.api.deps import ApiCaller, SessionDep, require
from dreampixel.core.schemas import Page
from services.seeds import service as seeds
from services.seeds.schemas import SeedPublic, seeds_public

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
) -> Page[SeedPublic]:
    """Approved seeds, most used first (or `sort=new`), cursor-paginated."""
    page, next_cursor = seeds.browse(session, category=seeds.parse_category(category), q=q, sort=sort,
                                     featured=featured, cursor=cursor, limit=limit)
    return Page[SeedPublic].of(seeds_public(session, page), next_cursor)


@router.get("/{seed_id}")
def get_seed(session: SessionDep, _caller: Annotated[ApiCaller, require("seeds:read")], seed_id: str) -> SeedPublic:
    """One approved seed with its recipe and example images."""
    return seeds_public(session, [seeds.get_public(session, seed_id)])[0]
