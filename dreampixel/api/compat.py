"""The original Dream Pixel API, for clients written against its README: a thin adapter over v1.

`POST /api/generations`, `GET /api/generations/{jobId}`, `GET /api/generations?page=&limit=`
and `GET /api/health/providers` answer in the original shapes; the work is v1's (the same
services, scopes, rate limits and problem+json errors). New clients should use `/api/v1`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from dreampixel.api.deps import ApiCaller, require
from dreampixel.api.v1.generations import read_generation, resolve_reference
from dreampixel.core.db import uow
from dreampixel.core.models import GenerationSource, utcnow
from services.accounts import service as accounts
from services.generation import service as generations
from services.generation.compat_schemas import (
    ESTIMATED_SECONDS_PER_IMAGE,
    LegacyGeneration,
    LegacyGenerationEnvelope,
    LegacyGenerationList,
    LegacyGenerationRequest,
    LegacyJob,
    LegacyPagination,
    LegacyProvidersHealth,
)
from services.generation.schemas import GenerationRequest, generation_public, to_create
from services.providers import registry

router = APIRouter(tags=["original API (compatibility)"])

MAX_LIMIT = 100


@router.post("/generations", status_code=202)
async def submit_generation(body: LegacyGenerationRequest,
                            caller: ApiCaller = require("generations:write")) -> LegacyJob:
    """Queue a generation (the original body, `settings` included); poll `GET /api/generations/{jobId}`."""
    request = GenerationRequest.model_validate(body.to_v1())
    reference_id = await resolve_reference(caller, request)
    create = to_create(request, reference_image_id=reference_id)

    def submit() -> LegacyJob:
        with uow() as session:
            user = accounts.active_user(session, caller.user_id)
            generation = generations.submit(session, user=user, request=create, source=GenerationSource.API,
                                            api_key_id=caller.key_id)
            session.refresh(user)  # the hold was an UPDATE in SQL: read the balance it left
            return LegacyJob(jobId=generation.id, status="PENDING",
                             estimatedProcessingTime=ESTIMATED_SECONDS_PER_IMAGE * generation.num_variations,
                             creditsUsed=generation.credits_held, creditsRemaining=user.credit_balance,
                             createdAt=generation.created_at)

    return await asyncio.to_thread(submit)


@router.get("/generations/{job_id}")
def get_generation(job_id: str, caller: ApiCaller = require("generations:read")) -> LegacyGenerationEnvelope:
    """One of the caller's generations; `resultImageUrl` is its first image once SUCCEEDED."""
    return LegacyGenerationEnvelope(generation=LegacyGeneration.of(read_generation(caller, job_id)))


@router.get("/generations")
def list_generations(
    caller: ApiCaller = require("generations:read"),
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> LegacyGenerationList:
    """The caller's generations, newest first, by page number."""
    with uow() as session:
        rows, total = generations.numbered_page_for_user(session, user_id=caller.user_id, page=page, limit=limit)
        items = [LegacyGeneration.of(generation_public(session, row)) for row in rows]
    return LegacyGenerationList(generations=items, pagination=LegacyPagination(
        page=page, limit=limit, total=total, totalPages=(total + limit - 1) // limit))


@router.get("/health/providers")
async def providers_health() -> LegacyProvidersHealth:
    """Each provider's health in the original shape; answers anyone, so it names no account detail."""
    return LegacyProvidersHealth.of(await registry.provider_statuses(), utcnow())
