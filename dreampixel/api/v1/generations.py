"""/api/v1/generations: submit, read, list, cancel, retry and watch generations."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dreampixel.api.deps import ApiCaller, require
from dreampixel.api.v1.uploads import save_reference
from dreampixel.core.db import uow
from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import GenerationCreate, GenerationSource, GenerationStatus, User
from services import events
from services.generation import service as generations
from services.generation import views
from services.idempotency import service as idempotency
from services.images import references

router = APIRouter(prefix="/generations", tags=["generations"])

MAX_WAIT_SECONDS = 60
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait=(\d+)")


class GenerationInput(BaseModel):
    """The body of POST /generations; bounds are checked again by the model's own schema."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=10_000)
    negative_prompt: str = Field(default="", max_length=10_000)
    seed: int | None = Field(default=None, ge=0, le=generations.MAX_SEED)
    width: int = 1024
    height: int = 1024
    steps: int = 30
    guidance_scale: float = 7.5
    num_variations: int = 1
    format: str = "png"
    provider: str | None = None
    reference_image_id: str | None = None
    reference_image_url: str | None = Field(default=None, max_length=2048)
    seed_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


def _to_create(body: GenerationInput, idempotency_key: str | None, reference_image_id: str | None) -> GenerationCreate:
    try:
        return GenerationCreate(
            prompt=body.prompt, negative_prompt=body.negative_prompt, seed_requested=body.seed, width=body.width,
            height=body.height, steps=body.steps, guidance_scale=body.guidance_scale,
            num_variations=body.num_variations, output_format=body.format, provider_requested=body.provider,
            reference_image_id=reference_image_id, seed_listing_id=body.seed_id, idempotency_key=idempotency_key,
        )
    except ValidationError as error:
        fields = {"seed_requested": "seed", "output_format": "format", "provider_requested": "provider"}
        raise ValidationFailed(
            "The request has invalid fields.",
            errors=[{"field": fields.get(str(e["loc"][0]), str(e["loc"][0])) if e["loc"] else "body",
                     "message": e["msg"]} for e in error.errors()],
        ) from error


def _prefer_wait(prefer: str | None) -> int | None:
    if not prefer:
        return None
    match = _PREFER_WAIT.search(prefer)
    return min(int(match.group(1)), MAX_WAIT_SECONDS) if match else None


async def _wait_for_final(stream: AsyncIterator[dict[str, Any]], generation_id: str, seconds: float) -> None:
    final = {s.value for s in GenerationStatus if s.is_final}
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            async for event in stream:
                if event.get("generation_id") == generation_id and event.get("status") in final:
                    return


def _read(caller: ApiCaller, generation_id: str) -> dict[str, Any]:
    with uow() as session:
        generation = generations.get_for_user(session, user_id=caller.user_id, generation_id=generation_id)
        return views.generation_object(session, generation)


async def _resolve_reference(caller: ApiCaller, body: GenerationInput) -> str | None:
    if body.reference_image_url and body.reference_image_id:
        raise ValidationFailed("Send reference_image_id or reference_image_url, not both.",
                               errors=[{"field": "reference_image_url", "message": "Choose one."}])
    if body.reference_image_id:
        image_id = body.reference_image_id

        def check() -> str:
            with uow() as session:
                return references.get_for_user(session, user_id=caller.user_id, image_id=image_id).id
        return await asyncio.to_thread(check)
    if body.reference_image_url:
        data = await references.fetch_bytes(body.reference_image_url)
        image, _created = await save_reference(caller.user_id, data, source="url")
        return str(image["id"])
    return None


@router.post("", status_code=202, responses={201: {"description": "Finished within Prefer: wait"}})
async def create_generation(
    body: GenerationInput,
    request: Request,
    caller: ApiCaller = require("generations:write"),
    idempotency_key: Annotated[str | None, Header()] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Queue a generation. Credits are held now, charged per delivered image, released on failure."""
    fingerprint = idempotency.request_fingerprint("POST", request.url.path, body.model_dump())
    if idempotency_key:
        def claim() -> idempotency.Replay | None:
            with uow() as session:
                return idempotency.begin(session, owner=caller.key_id, key=idempotency_key, method="POST",
                                         path=request.url.path, fingerprint=fingerprint)
        replay = await asyncio.to_thread(claim)
        if replay is not None:
            return JSONResponse(replay.body, status_code=replay.status,
                                headers={**replay.headers, "Idempotent-Replayed": "true"})
    try:
        wait = _prefer_wait(prefer)
        reference_id = await _resolve_reference(caller, body)
        create = _to_create(body, idempotency_key, reference_id)

        def submit() -> str:
            with uow() as session:
                user = session.get(User, caller.user_id)
                assert user is not None
                generation = generations.submit(session, user=user, request=create, source=GenerationSource.API,
                                                api_key_id=caller.key_id)
                return generation.id

        if wait:
            async with events.subscribe(caller.user_id) as stream:
                generation_id = await asyncio.to_thread(submit)
                await _wait_for_final(stream, generation_id, wait)
        else:
            generation_id = await asyncio.to_thread(submit)
        payload = await asyncio.to_thread(_read, caller, generation_id)
    except BaseException:
        if idempotency_key:
            def forget() -> None:
                with uow() as session:
                    idempotency.abandon(session, owner=caller.key_id, key=idempotency_key)
            await asyncio.to_thread(forget)
        raise

    finished = GenerationStatus(payload["status"]).is_final
    status = 201 if finished else 202
    headers = {"Location": f"/api/v1/generations/{generation_id}"}
    if wait is not None:
        headers["Preference-Applied"] = f"wait={wait}"
    if idempotency_key:
        def remember() -> None:
            with uow() as session:
                idempotency.complete(session, owner=caller.key_id, key=idempotency_key, status=status,
                                     body=payload, headers=headers, resource_id=generation_id)
        await asyncio.to_thread(remember)
    return JSONResponse(payload, status_code=status, headers=headers)


@router.post("/estimate")
def estimate_generation(body: GenerationInput, caller: ApiCaller = require("generations:read")) -> dict[str, Any]:
    """What a generation would cost and what is left today; spends nothing."""
    create = _to_create(body, None, None)
    with uow() as session:
        user = session.get(User, caller.user_id)
        assert user is not None
        return {"credits": generations.estimate(create), "balance": user.credit_balance,
                "daily": _usage_json(generations.usage(session, user))}


def _usage_json(usage: dict[str, Any]) -> dict[str, Any]:
    return {**usage, "resets_at": usage["resets_at"].isoformat() if usage["resets_at"] else None}


@router.get("")
def list_generations(
    caller: ApiCaller = require("generations:read"),
    status: GenerationStatus | None = None,
    cursor: str | None = Query(default=None, max_length=64),
    limit: int = Query(default=20, ge=1, le=100),
) -> dict[str, Any]:
    with uow() as session:
        rows, next_cursor = generations.list_for_user(session, user_id=caller.user_id, status=status,
                                                      cursor=cursor, limit=limit)
        return {"object": "list", "data": [views.generation_object(session, g) for g in rows],
                "next_cursor": next_cursor, "has_more": next_cursor is not None}


@router.get("/{generation_id}")
def get_generation(generation_id: str, caller: ApiCaller = require("generations:read")) -> dict[str, Any]:
    return _read(caller, generation_id)


@router.post("/{generation_id}/cancel")
def cancel_generation(generation_id: str, caller: ApiCaller = require("generations:write")) -> dict[str, Any]:
    """End a queued or running generation; its held credits are released."""
    with uow() as session:
        generations.cancel(session, user_id=caller.user_id, generation_id=generation_id)
    return _read(caller, generation_id)


@router.post("/{generation_id}/retry", status_code=202)
def retry_generation(generation_id: str, caller: ApiCaller = require("generations:write")) -> JSONResponse:
    """A new generation with the same input as a failed, expired or canceled one."""
    with uow() as session:
        user = session.get(User, caller.user_id)
        assert user is not None
        retried = generations.retry(session, user=user, generation_id=generation_id, source=GenerationSource.API,
                                    api_key_id=caller.key_id)
        new_id = retried.id
    return JSONResponse(_read(caller, new_id), status_code=202, headers={"Location": f"/api/v1/generations/{new_id}"})


@router.get("/{generation_id}/events")
async def generation_events(generation_id: str, caller: ApiCaller = require("generations:read")) -> StreamingResponse:
    """Server-Sent Events: the current state, then every change until a final status."""
    await asyncio.to_thread(_read, caller, generation_id)  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        # Subscribe first, then read: a change between the two is seen, never missed.
        async with events.subscribe(caller.user_id) as updates:
            current = await asyncio.to_thread(_read, caller, generation_id)
            yield f"event: generation.{current['status']}\ndata: {json.dumps(current)}\n\n"
            if GenerationStatus(current["status"]).is_final:
                return
            async for event in updates:
                if event.get("generation_id") != generation_id:
                    continue
                current = await asyncio.to_thread(_read, caller, generation_id)
                yield f"event: {event['type']}\ndata: {json.dumps(current)}\n\n"
                if GenerationStatus(current["status"]).is_final:
                    return

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
