"""A claimed generation from `processing` to a final status: the work of the `generation.run` job.

Idempotent: the claim is a compare-and-set from `queued`, storage keys are derived from the
generation id and the run (a second run writes beside the first and removes only its own
files), and completion is a compare-and-set from `processing`, so a job that runs twice
charges and delivers once. While it works, the run heartbeats; when the heartbeat finds the
row taken from it (canceled, or reaped and claimed by another run), the provider call stops.

The job owns the transactions: it passes `in_uow`, and each write here is one short unit of
work on a thread, committed before the next await on the provider or storage.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from dreampixel.core.logging import get_logger
from dreampixel.core.models import Generation, utcnow
from dreampixel.core.settings import settings
from services.generation import outputs
from services.generation import service as generations
from services.images import repository as image_rows
from services.jobs.queue import backoff_delay
from services.providers import router
from services.providers.base import GenerationRequest, ProviderError
from services.storage import get_storage
from services.webhooks import service as webhooks

log = get_logger(__name__)

T = TypeVar("T")


class UnitsOfWork(Protocol):
    """Runs `fn(session, *args)` in a unit of work of its own, off the event loop."""

    def __call__(self, fn: Callable[..., T], /, *args: Any) -> Awaitable[T]: ...


async def process(generation: Generation, *, in_uow: UnitsOfWork) -> str:
    """Run a claimed generation to its end; returns the status it ended in (or `discarded`)."""
    started = time.perf_counter()
    run = generation.retry_count  # which run this is: its files are stored under it
    log.info("generation.started", generation_id=generation.id, try_=run)
    attempts: list[dict[str, Any]] = list(generation.attempts)  # earlier tries', then this run's
    lease = Lease()
    try:
        async with heartbeat(generation.id, run, in_uow, lease):
            request = await provider_request(generation, in_uow=in_uow)
            remaining = seconds_left(generation)
            result = await asyncio.wait_for(
                router.generate(request, requested=generation.provider_requested,
                                on_attempt=_recorder(generation.id, attempts, in_uow)),
                timeout=remaining,
            )
            # A cancel while the provider worked is caught by succeed()'s compare-and-set below, and
            # the stored files are removed again; checking first would cost a transaction every time.
            stored = await outputs.store(generation, result, run=run)
    except TimeoutError:
        if lease.lost:  # canceled, or reaped and run again elsewhere: stop paying, keep nothing
            log.info("generation.run_superseded", generation_id=generation.id, try_=run)
            await outputs.discard(generation, runs=range(run, run + 1))
            return "discarded"
        return await in_uow(_settle_expired, generation.id)
    except ProviderError as error:
        return await in_uow(_settle_failure, generation.id, error)

    elapsed_ms = int((time.perf_counter() - started) * 1000)
    delivery = generations.Delivery(
        images_delivered=len(stored), provider=result.provider,
        seed=result.images[0].seed if result.images else None, processing_ms=elapsed_ms, attempts=attempts,
    )

    def complete(session: Session) -> bool:
        # Two statements: the status compare-and-set (with the attempts), then the image rows.
        mine = session.merge(generation, load=False)
        if not generations.succeed(session, mine, delivery):
            return False
        outputs.record(session, mine, stored, run=run)
        # After the image rows, so the event's generation object carries its outputs.
        webhooks.emit_generation(session, mine, "succeeded")
        return True

    if not await in_uow(complete):
        await outputs.discard(generation, runs=range(run, run + 1))
        return "discarded"
    # Files an earlier run stored before it died were never delivered.
    await outputs.discard(generation, runs=range(run))
    return "succeeded"


@dataclass
class Lease:
    """Whether the run still holds its generation; set by the heartbeat."""

    lost: bool = False


@asynccontextmanager
async def heartbeat(generation_id: str, run: int, in_uow: UnitsOfWork, lease: Lease) -> AsyncIterator[None]:
    """Beat every GENERATION_HEARTBEAT_SECONDS while the block runs; cancel the block once the row is lost.

    The block then ends in TimeoutError with `lease.lost` set (asyncio.timeout does the cancelling).
    """
    async with asyncio.timeout(None) as scope:
        beating = asyncio.create_task(_beat(generation_id, run, in_uow, lease, scope))
        try:
            yield
        finally:
            beating.cancel()


async def _beat(generation_id: str, run: int, in_uow: UnitsOfWork, lease: Lease, scope: asyncio.Timeout) -> None:
    while True:
        await asyncio.sleep(settings.generation_heartbeat_seconds)
        try:
            alive = await in_uow(generations.heartbeat, generation_id, run)
        except Exception:  # a database hiccup: the next beat may pass, and the reaper allows several misses
            log.warning("generation.heartbeat_failed", generation_id=generation_id, exc_info=True)
            continue
        if not alive:
            lease.lost = True
            scope.reschedule(asyncio.get_running_loop().time())
            return


def seconds_left(generation: Generation) -> float:
    """How long the provider may take: until the deadline, or the whole timeout without one."""
    if generation.deadline_at is None:
        return float(settings.generation_timeout_seconds)
    return max(0.1, (generation.deadline_at - utcnow()).total_seconds())


def _recorder(generation_id: str, attempts: list[dict[str, Any]], in_uow: UnitsOfWork) -> Any:
    async def record(attempt: router.Attempt) -> None:
        attempts.append(attempt.as_dict())  # all of them are written again with the completion
        if attempt.status == "succeeded":
            return
        # Written between provider calls: the attempt log, and the heartbeat the reaper checks.
        await in_uow(generations.record_attempt, generation_id, attempt.as_dict())

    return record


async def provider_request(generation: Generation, *, in_uow: UnitsOfWork) -> GenerationRequest:
    """What the providers are asked for, with the reference image's bytes when there is one."""
    reference: bytes | None = None
    if generation.reference_image_id:
        image = await in_uow(image_rows.get, generation.reference_image_id)
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


def _settle_failure(session: Session, generation_id: str, error: ProviderError) -> str:
    """Retry later when the error allows and tries remain, else fail with the hold released."""
    fresh = session.get(Generation, generation_id)
    if fresh is None:
        return "missing"
    if error.retryable and fresh.retry_count < settings.generation_max_retries:
        delay = max(error.retry_after or 0.0, backoff_delay(fresh.retry_count + 1, base=2.0, cap=60.0))
        if generations.deadline_allows(fresh, delay) and generations.requeue(session, fresh, defer_by=delay):
            return "retrying"
    generations.fail(session, fresh, code=error.code, message=failure_message(error))
    return "failed"


def failure_message(error: ProviderError) -> str:
    """What the owner reads about a provider failure."""
    if error.code == "content_filtered":
        return "The provider refused this prompt or its result under its content policy. Try rephrasing it."
    if error.retryable:
        return "Every image provider failed or was unavailable. Your credits were returned; try again shortly."
    return error.message


def _settle_expired(session: Session, generation_id: str) -> str:
    fresh = session.get(Generation, generation_id)
    return "expired" if fresh is not None and generations.expire(session, fresh) else "discarded"
