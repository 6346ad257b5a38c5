"""/api/v1/generations: submit, read, list, cancel, retry and watch generations."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import Field, field_validator
from sse_starlette import EventSourceResponse, ServerSentEvent

from dreampixel.api.deps import ApiCaller, require
from dreampixel.core.db import uow
from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import GenerationSource, GenerationStatus
from dreampixel.core.models.webhooks import URL_MAX_LENGTH, checked_webhook_url
from dreampixel.core.schemas import Page
from services.accounts import service as accounts
from services.api_keys import service as api_keys
from services.events import service as events
from services.gallery import service as gallery
from services.generation import service as generations
from services.generation.schemas import (
    DailyUsage,
    Estimate,
    GenerationDeleted,
    GenerationPublic,
    GenerationRequest,
    generation_public,
    to_create,
)
from services.idempotency import service as idempotency
from services.images import references
from services.webhooks import delivery as webhook_delivery
from services.webhooks import service as webhooks
from services.webhooks.schemas import RequestEvent

router = APIRouter(prefix="/generations", tags=["generations"])


class GenerationSubmit(GenerationRequest):
    """The request, plus a `webhook` for this generation alone, signed with the owner's default secret."""

    webhook: str | None = Field(default=None, max_length=URL_MAX_LENGTH)
    # Which of this generation's events go to `webhook`; default: the final ones.
    webhook_events_filter: list[RequestEvent] | None = None

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        return None if value is None else checked_webhook_url(value)

MAX_WAIT_SECONDS = 60
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait=(\d+)")


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


def read_generation(caller: ApiCaller, generation_id: str) -> GenerationPublic:
    """The caller's generation as the API shows it (404 for another user's)."""
    with uow(read_only=True) as session:
        generation = generations.get_for_user(session, user_id=caller.user_id, generation_id=generation_id)
        return generation_public(session, generation)


async def resolve_reference(caller: ApiCaller, body: GenerationRequest) -> str | None:
    """The checked id of the request's reference image, fetching a URL into an upload."""
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
        # Fetching a URL creates an upload, so it needs what POST /uploads needs.
        if "uploads:write" not in caller.scopes:
            raise api_keys.MissingScope("This API key lacks the 'uploads:write' scope that reference_image_url needs.",
                                        errors=[{"field": "reference_image_url",
                                                 "message": "Needs the uploads:write scope."}])
        data = await references.fetch_bytes(body.reference_image_url)
        saved = await references.save(caller.user_id, data, source="url", unit_of_work=uow)
        return saved.image.id
    return None


@router.post(
    "",
    status_code=202,
    response_model=GenerationPublic,
    responses={201: {"model": GenerationPublic, "description": "Finished within Prefer: wait"}},
)
async def create_generation(
    body: GenerationSubmit,
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
        reference_id = await resolve_reference(caller, body)
        create = to_create(body.model_dump(exclude={"webhook", "webhook_events_filter"}),
                           reference_image_id=reference_id, idempotency_key=idempotency_key)
        if body.webhook:
            await webhook_delivery.check_target(body.webhook)

        def submit() -> str:
            with uow() as session:
                user = accounts.active_user(session, caller.user_id)
                generation = generations.submit(session, user=user, request=create, source=GenerationSource.API,
                                                api_key_id=caller.key_id)
                if body.webhook:
                    webhooks.attach_request_webhook(session, generation, url=body.webhook,
                                                    events=body.webhook_events_filter)
                return generation.id

        if wait:
            async with events.subscribe(caller.user_id) as stream:
                generation_id = await asyncio.to_thread(submit)
                await _wait_for_final(stream, generation_id, wait)
        else:
            generation_id = await asyncio.to_thread(submit)
        generation = await asyncio.to_thread(read_generation, caller, generation_id)
    except BaseException:
        if idempotency_key:
            def forget() -> None:
                with uow() as session:
                    idempotency.abandon(session, owner=caller.key_id, key=idempotency_key)
            await asyncio.to_thread(forget)
        raise

    payload = generation.json_dict()
    status = 201 if generation.status.is_final else 202
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
def estimate_generation(body: GenerationRequest, caller: ApiCaller = require("generations:read")) -> Estimate:
    """What a generation would cost and what is left today; spends nothing."""
    create = to_create(body, reference_image_id=None)
    with uow() as session:
        user = accounts.active_user(session, caller.user_id)
        return Estimate(credits=generations.estimate(create), balance=user.credit_balance,
                        daily=DailyUsage(**generations.usage(session, user)))


@router.get("")
def list_generations(
    caller: ApiCaller = require("generations:read"),
    status: GenerationStatus | None = None,
    cursor: str | None = Query(default=None, max_length=64),
    limit: int = Query(default=20, ge=1, le=100),
) -> Page[GenerationPublic]:
    with uow() as session:
        rows, next_cursor = generations.list_for_user(session, user_id=caller.user_id, status=status,
                                                      cursor=cursor, limit=limit)
        return Page[GenerationPublic].of([generation_public(session, g) for g in rows], next_cursor)


@router.get("/{generation_id}", response_model=GenerationPublic)
def get_generation(generation_id: str, caller: ApiCaller = require("generations:read")) -> Response:
    # The model is built and checked by read_generation: serialized once here, not validated again.
    return Response(read_generation(caller, generation_id).model_dump_json(), media_type="application/json")


@router.post("/{generation_id}/cancel")
def cancel_generation(generation_id: str, caller: ApiCaller = require("generations:write")) -> GenerationPublic:
    """End a queued or running generation; its held credits are released."""
    with uow() as session:
        generations.cancel(session, user_id=caller.user_id, generation_id=generation_id)
    return read_generation(caller, generation_id)


@router.post("/{generation_id}/retry", status_code=202, response_model=GenerationPublic)
def retry_generation(generation_id: str, caller: ApiCaller = require("generations:write")) -> JSONResponse:
    """A new generation with the same input as a failed, expired or canceled one."""
    with uow() as session:
        user = accounts.active_user(session, caller.user_id)
        retried = generations.retry(session, user=user, generation_id=generation_id, source=GenerationSource.API,
                                    api_key_id=caller.key_id)
        new_id = retried.id
    return JSONResponse(read_generation(caller, new_id).json_dict(), status_code=202,
                        headers={"Location": f"/api/v1/generations/{new_id}"})


# A comment line this often keeps proxies and clients from closing a quiet stream.
SSE_HEARTBEAT_SECONDS = 15


def event_id(generation: GenerationPublic) -> str:
    """The `id:` of the event showing this state; it changes whenever the state does."""
    rank = 2 if generation.status.is_final else 1 if generation.status is GenerationStatus.PROCESSING else 0
    return str(2 * len(generation.provider.attempts) + rank)


def _sse(kind: str, generation: GenerationPublic) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(generation.json_dict()), event=kind, id=event_id(generation))


@router.get(
    "/{generation_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                     "description": "`event: generation.<status>` with an `id:` and the generation object as "
                                    "data; a `:` comment every 15 s while nothing changes"}},
)
async def generation_events(
    generation_id: str,
    caller: ApiCaller = require("generations:read"),
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> EventSourceResponse:
    """Server-Sent Events: the current state, then every change until a final status.

    Reconnecting with `Last-Event-ID` skips the current state when it is the one already seen.
    """
    await asyncio.to_thread(read_generation, caller, generation_id)  # 404 before the stream starts

    async def stream() -> AsyncIterator[ServerSentEvent]:
        # Subscribe first, then read: a change between the two is seen, never missed.
        async with events.subscribe(caller.user_id) as updates:
            current = await asyncio.to_thread(read_generation, caller, generation_id)
            if event_id(current) != last_event_id:
                yield _sse(f"generation.{current.status.value}", current)
            if current.status.is_final:
                return
            async for event in updates:
                if event.get("generation_id") != generation_id:
                    continue
                current = await asyncio.to_thread(read_generation, caller, generation_id)
                yield _sse(str(event["type"]), current)
                if current.status.is_final:
                    return

    return EventSourceResponse(stream(), ping=SSE_HEARTBEAT_SECONDS, sep="\n", headers={"Cache-Control": "no-store"})


@router.delete("/{generation_id}")
async def delete_generation(generation_id: str, caller: ApiCaller = require("generations:write")) -> GenerationDeleted:
    """Delete a generation and its images; a queued or running one is canceled first (credits released)."""

    def delete_rows() -> list[str]:
        with uow() as session:
            return gallery.delete_generations(session, user_id=caller.user_id, generation_ids=[generation_id])

    keys = await asyncio.to_thread(delete_rows)
    # The rows are gone once committed; the files follow, and a leftover file is unreachable.
    await gallery.delete_files(keys)
    return GenerationDeleted(id=generation_id)
