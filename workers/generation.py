"""`generation.run`: one generation from queued to a final status.

Idempotent: the claim is a compare-and-set from `queued`, storage keys are derived from the
generation id (a second run overwrites, never duplicates), and completion is a
compare-and-set from `processing`, so a job that runs twice charges and stores once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog

from dreampixel.core.db import uow
from dreampixel.core.models import Generation, Image, ImageStatus, ImageType, new_id, utcnow
from dreampixel.core.settings import settings
from services.generation import service as generations
from services.images import pool
from services.images.pipeline import Derived, Encoded
from services.jobs.queue import backoff_delay
from services.providers import router
from services.providers.base import GenerationRequest, ProviderError, ProviderResult
from services.storage import get_storage

log = structlog.get_logger(__name__)


def _db(fn: Any, *args: Any) -> Any:
    """Run `fn(session, *args)` in a unit of work on a thread, off the event loop."""

    def work() -> Any:
        with uow() as session:
            return fn(session, *args)

    return asyncio.to_thread(work)


async def run(ctx: dict[str, Any], generation_id: str) -> str:
    """Process one generation; returns the status it ended in (or why nothing was done)."""
    generation: Generation | None = await _db(generations.claim, generation_id)
    if generation is None:
        return "skipped"
    started = time.perf_counter()
    log.info("generation.started", generation_id=generation_id, try_=generation.retry_count)
    attempts: list[dict[str, Any]] = list(generation.attempts)  # earlier tries', then this run's
    try:
        request = await _provider_request(generation)
        remaining = _seconds_left(generation)
        result = await asyncio.wait_for(
            router.generate(request, requested=generation.provider_requested,
                            on_attempt=_recorder(generation_id, attempts)),
            timeout=remaining,
        )
    except TimeoutError:
        return await _end_expired(generation)
    except ProviderError as error:
        return await _provider_failed(generation, error)

    # A cancel while the provider worked is caught by succeed()'s compare-and-set below, and
    # the stored files are removed again; checking first would cost a transaction every time.
    outputs = await _store_outputs(generation, result)
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    delivery = generations.Delivery(
        images_delivered=len(outputs), provider=result.provider,
        seed=result.images[0].seed if result.images else None, processing_ms=elapsed_ms, attempts=attempts,
    )

    def complete(session: Any) -> bool:
        # Two statements: the status compare-and-set (with the attempts), then the image rows.
        mine = session.merge(generation, load=False)
        if not generations.succeed(session, mine, delivery):
            return False
        _insert_images(session, mine, outputs)
        return True

    if not await _db(complete):
        await _delete_outputs(generation, outputs)
        return "discarded"
    return "succeeded"


def _seconds_left(generation: Generation) -> float:
    if generation.deadline_at is None:
        return float(settings.generation_timeout_seconds)
    return max(0.1, (generation.deadline_at - utcnow()).total_seconds())


def _recorder(generation_id: str, attempts: list[dict[str, Any]]) -> Any:
    async def record(attempt: router.Attempt) -> None:
        attempts.append(attempt.as_dict())  # all of them are written again with the completion
        if attempt.status == "succeeded":
            return
        # Written between provider calls: the attempt log, and the heartbeat the reaper checks.
        await asyncio.to_thread(_write_attempt, generation_id, attempt.as_dict())

    return record


def _write_attempt(generation_id: str, attempt: dict[str, Any]) -> None:
    with uow() as session:
        generations.record_attempt(session, generation_id, attempt)


async def _provider_request(generation: Generation) -> GenerationRequest:
    reference: bytes | None = None
    if generation.reference_image_id:
        image = await _db(lambda s, i: s.get(Image, i), generation.reference_image_id)
        if image is not None:
            reference = await get_storage().get(image.storage_key)
    return GenerationRequest(
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt,
        seed=int(generation.seed_used or 0),
        width=generation.width,
        height=generation.height,
        steps=generation.steps,
        guidance_scale=generation.guidance_scale,
        num_variations=generation.num_variations,
        output_format=generation.output_format.value,
        reference_image=reference,
    )


async def _provider_failed(generation: Generation, error: ProviderError) -> str:
    def settle(session: Any) -> str:
        fresh = session.get(Generation, generation.id)
        if fresh is None:
            return "missing"
        if error.retryable and fresh.retry_count < settings.generation_max_retries:
            delay = max(error.retry_after or 0.0, backoff_delay(fresh.retry_count + 1, base=2.0, cap=60.0))
            if generations.deadline_allows(fresh, delay) and generations.requeue(session, fresh, defer_by=delay):
                return "retrying"
        generations.fail(session, fresh, code=error.code, message=_explain(error))
        return "failed"

    return await _db(settle)


def _explain(error: ProviderError) -> str:
    if error.code == "content_filtered":
        return "The provider refused this prompt or its result under its content policy. Try rephrasing it."
    if error.retryable:
        return "Every image provider failed or was unavailable. Your credits were returned; try again shortly."
    return error.message


async def _end_expired(generation: Generation) -> str:
    def settle(session: Any) -> str:
        fresh = session.get(Generation, generation.id)
        return "expired" if fresh is not None and generations.expire(session, fresh) else "discarded"

    return await _db(settle)


def _key(generation: Generation, index: int, name: str) -> str:
    return f"generations/{generation.user_id}/{generation.id}/{index}/{name}"


async def _store_outputs(generation: Generation, result: ProviderResult) -> list[tuple[int, Derived]]:
    """Derive and store every image; keys depend only on the generation, so a re-run overwrites."""
    storage = get_storage()
    outputs: list[tuple[int, Derived]] = []
    for index, image in enumerate(result.images):
        params = {
            "prompt": generation.prompt, "negative_prompt": generation.negative_prompt, "seed": image.seed,
            "steps": generation.steps, "guidance_scale": generation.guidance_scale, "width": image.width,
            "height": image.height, "provider": result.provider, "model": result.model,
            "generation_id": generation.id, "variation": index,
        }
        derived = await pool.derive_async(image.data, output_format=generation.output_format.value, params=params)
        ext = generation.output_format.value
        ttl = settings.cache_ttl_generation
        await asyncio.gather(
            storage.put(_key(generation, index, f"full.{ext}"), derived.full.data,
                        content_type=derived.full.content_type, cache_seconds=ttl),
            storage.put(_key(generation, index, "medium.webp"), derived.medium.data,
                        content_type=derived.medium.content_type, cache_seconds=ttl),
            storage.put(_key(generation, index, "thumb.webp"), derived.thumbnail.data,
                        content_type=derived.thumbnail.content_type, cache_seconds=ttl),
        )
        outputs.append((index, derived))
    return outputs


_INSERT_IMAGES = Image.__table__.insert()  # type: ignore[attr-defined]


def _image_row(generation: Generation, key: str, kind: ImageType, encoded: Encoded, index: int,
               parent_id: str | None, phash: str | None = None, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """One `images` row as column values (a plain INSERT: no ORM objects on the hot path)."""
    return {
        "id": new_id("img"), "created_at": utcnow(), "user_id": generation.user_id, "generation_id": generation.id,
        "parent_id": parent_id, "type": kind, "status": ImageStatus.READY, "storage_key": key, "url": None,
        "width": encoded.width, "height": encoded.height, "bytes": len(encoded.data),
        "content_type": encoded.content_type, "sha256": encoded.sha256, "perceptual_hash": phash,
        "variation_index": index, "metadata": meta or {},
    }


def _insert_images(session: Any, generation: Generation, outputs: list[tuple[int, Derived]]) -> None:
    """The image rows, in one multi-row INSERT.

    No earlier run can have left rows behind: they are written only here, in the transaction
    that moves the generation to `succeeded`, and a succeeded generation is never run again.
    """
    ext = generation.output_format.value
    rows: list[dict[str, Any]] = []
    for index, derived in outputs:
        full = _image_row(generation, _key(generation, index, f"full.{ext}"), ImageType.FULL, derived.full, index,
                          None, derived.perceptual_hash, {"seed": generation.seed_used})
        rows += [
            full,
            _image_row(generation, _key(generation, index, "medium.webp"), ImageType.MEDIUM, derived.medium, index,
                       full["id"]),
            _image_row(generation, _key(generation, index, "thumb.webp"), ImageType.THUMBNAIL, derived.thumbnail,
                       index, full["id"]),
        ]
    if rows:
        session.execute(_INSERT_IMAGES, rows)


async def _delete_outputs(generation: Generation, outputs: list[tuple[int, Derived]]) -> None:
    storage = get_storage()
    ext = generation.output_format.value
    for index, _derived in outputs:
        for name in (f"full.{ext}", "medium.webp", "thumb.webp"):
            await storage.delete(_key(generation, index, name))
