"""Generations from submit to a final status, with credits held, charged and released exactly once.

Every status change is a compare-and-set UPDATE (`... WHERE status = <expected>`), so a job
that runs twice, a cancel racing a completion, or two reapers can never both win.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, func, select

from dreampixel.core.errors import DreamPixelError, Forbidden, NotFound, RateLimited
from dreampixel.core.logging import get_logger
from dreampixel.core.models import (
    Generation,
    GenerationCreate,
    GenerationSource,
    GenerationStatus,
    LedgerReason,
    ModerationStatus,
    Seed,
    User,
    UserStatus,
    utcnow,
)
from dreampixel.core.settings import settings
from services.admin import analytics
from services.api_keys import service as api_keys
from services.billing import warnings as usage_warnings
from services.credits import service as credits
from services.email import notifications
from services.events import service as events
from services.generation.queueing import enqueue_run
from services.generation.reaper import release_hold
from services.moderation import service as moderation
from services.webhooks import service as webhooks

log = get_logger(__name__)

MAX_SEED = 2**32 - 1
# For queue estimates: how long a generation takes when nothing was measured in the last hour,
# and how many run side by side (a process per core in the worker's pipeline pool).
DEFAULT_PROCESSING_MS = 2000
PARALLEL_GENERATIONS = 2
# Statuses that count against the daily limit: what was delivered or is on its way.
COUNTED = (GenerationStatus.QUEUED, GenerationStatus.PROCESSING, GenerationStatus.SUCCEEDED)


class DailyLimitReached(RateLimited):
    code = "daily_limit_reached"
    title = "Daily limit reached"


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    title = "Email not verified"


class NotCancelable(DreamPixelError):
    status_code = 409
    code = "not_cancelable"
    title = "Not cancelable"


def credits_per_image(width: int, height: int) -> int:
    """One credit up to a megapixel, two above."""
    return 1 if width * height <= 1024 * 1024 else 2


def estimate(request: GenerationCreate) -> int:
    return credits_per_image(request.width, request.height) * request.num_variations


def event_for(generation: Generation, kind: str | None = None) -> dict[str, Any]:
    """The event a watcher receives; small on purpose: watchers re-read what they show."""
    return {
        "type": f"generation.{kind or generation.status.value}",
        "generation_id": generation.id,
        "status": generation.status.value,
        "provider": generation.provider_used,
        "error_code": generation.error_code,
        "at": utcnow().isoformat(),
    }


# Runs on every submit; built once.
_WINDOW_USAGE = (
    select(func.count(), func.min(Generation.created_at))
    .where(col(Generation.user_id) == bindparam("user_id"))
    .where(col(Generation.created_at) > bindparam("since"))
    .where(col(Generation.status).in_(COUNTED))
)


def _window_usage(session: Session, user: User, now: datetime) -> tuple[int, int, datetime | None]:
    """(limit, used, when the oldest counted generation leaves the window)."""
    limit, window = settings.generation_limit(user.tier.value)
    since = now - timedelta(seconds=window)
    used, oldest = session.execute(_WINDOW_USAGE, {"user_id": user.id, "since": since}).one()
    return limit, used, (oldest + timedelta(seconds=window)) if oldest else None


def usage(session: Session, user: User) -> dict[str, Any]:
    """What the generate page and the API show: limit, used, resets_at."""
    limit, used, resets_at = _window_usage(session, user, utcnow())
    return {"limit": limit, "used": used, "remaining": max(0, limit - used), "resets_at": resets_at}


def submit(
    session: Session,
    *,
    user: User,
    request: GenerationCreate,
    source: GenerationSource = GenerationSource.WEB,
    api_key_id: str | None = None,
    retry_of: Generation | None = None,
) -> Generation:
    """Validate, screen, hold the cost atomically, insert the generation and queue its job."""
    if user.status is not UserStatus.ACTIVE:
        raise Forbidden("This account is suspended.", code="account_suspended")
    if user.email_verified_at is None:
        raise EmailNotVerified("Verify your email address before generating images.")
    moderation.screen(session, prompt=request.prompt, user=user, source=source)
    if request.provider_requested:
        from services.providers.registry import configured_providers

        if request.provider_requested not in configured_providers():
            raise DreamPixelError(f"The provider {request.provider_requested!r} is not configured.",
                                  status_code=422, code="provider_not_configured",
                                  errors=[{"field": "provider", "message": "Not configured."}])
    if request.idempotency_key:
        existing = session.exec(
            select(Generation).where(Generation.user_id == user.id,
                                     Generation.idempotency_key == request.idempotency_key)
        ).first()
        if existing is not None:
            return existing
    if request.seed_listing_id:
        _check_seed_listing(session, user_id=user.id, seed_id=request.seed_listing_id)

    now = utcnow()
    cost = estimate(request)
    generation = Generation.model_validate(
        request.model_dump(exclude={"reference_image_id", "seed_listing_id", "idempotency_key"}),
        update={
            "user_id": user.id,
            "api_key_id": api_key_id,
            "source": source,
            "idempotency_key": request.idempotency_key,
            "reference_image_id": request.reference_image_id,
            "seed_listing_id": request.seed_listing_id,
            "seed_used": request.seed_requested if request.seed_requested is not None else secrets.randbelow(MAX_SEED),
            "credits_held": cost,
            "queued_at": now,
            "deadline_at": now + timedelta(seconds=settings.generation_timeout_seconds),
            "retry_of_id": retry_of.id if retry_of else None,
        },
    )
    # The conditional UPDATE both checks and takes the credits, and locks the user's row
    # until commit, so concurrent submits of one user are counted one after another.
    try:
        hold = credits.debit(session, user_id=user.id, amount=cost, reason=LedgerReason.HOLD, reference=generation.id)
    except credits.InsufficientCredits as refused:
        raise usage_warnings.out_of_credits(user=user, needed=cost, now=now) from refused
    if api_key_id is not None:
        api_keys.enforce_daily_cap(session, api_key_id=api_key_id, cost=cost, now=now)
    limit, used, resets_at = _window_usage(session, user, now)
    if used >= limit:
        retry_after = max(1, int((resets_at - now).total_seconds())) if resets_at else 1
        raise DailyLimitReached(
            f"Your {user.tier.value} plan allows {limit} generation{'s' if limit != 1 else ''} a day; "
            f"the next one is possible at {resets_at:%H:%M} UTC." if resets_at else "Daily limit reached.",
            headers={"Retry-After": str(retry_after)},
            resets_at=resets_at.isoformat() if resets_at else None,
        )
    session.add(generation)
    session.flush()
    analytics.record_submission(session, user=user, at=generation.created_at)
    usage_warnings.notify_crossings(session, user=user, balance=hold.balance_after, spent=cost, used=used + 1,
                                    limit=limit, now=now)
    enqueue_run(session, generation.id, generation.retry_count)
    events.publish_after_commit(session, user.id, event_for(generation, "queued"))
    webhooks.emit_generation(session, generation, "queued")
    log.info("generation.queued", generation_id=generation.id, user_id=user.id, credits=cost)
    return generation


def _check_seed_listing(session: Session, *, user_id: str, seed_id: str) -> None:
    """A marketplace seed may be named when it is approved, or is the user's own."""
    seed = session.get(Seed, seed_id)
    if seed is None or (seed.moderation_status is not ModerationStatus.APPROVED and seed.creator_id != user_id):
        raise NotFound("No such seed.", errors=[{"field": "seed_id", "message": "Unknown or not published."}])


def get_for_user(session: Session, *, user_id: str, generation_id: str) -> Generation:
    """The user's own generation; another user's is as invisible as a missing one."""
    generation = session.get(Generation, generation_id)
    if generation is None or generation.user_id != user_id:
        raise NotFound("No such generation.")
    return generation


def list_for_user(
    session: Session, *, user_id: str, status: GenerationStatus | None = None, cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[Generation], str | None]:
    """Newest first, cursor-paginated by id (ids sort by creation)."""
    query = select(Generation).where(Generation.user_id == user_id)
    if status is not None:
        query = query.where(Generation.status == status)
    if cursor:
        query = query.where(col(Generation.id) < cursor)
    rows = list(session.exec(query.order_by(col(Generation.id).desc()).limit(limit + 1)).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if has_more and rows else None)


def numbered_page_for_user(session: Session, *, user_id: str, page: int, limit: int) -> tuple[list[Generation], int]:
    """Newest first, page `page` (from 1) of `limit`, and the user's total: the original API's paging."""
    total = session.exec(select(func.count()).select_from(Generation).where(Generation.user_id == user_id)).one()
    rows = session.exec(select(Generation).where(Generation.user_id == user_id)
                        .order_by(col(Generation.id).desc()).offset((page - 1) * limit).limit(limit)).all()
    return list(rows), int(total)


# Transition statements, built once per (expected statuses, columns set) with bind parameters:
# two run for every generation, and building and cache-keying a fresh statement each time
# cost a third of their CPU.
_TRANSITIONS: dict[tuple[tuple[GenerationStatus, ...], tuple[str, ...]], Any] = {}


def _transition(session: Session, generation_id: str, expected: tuple[GenerationStatus, ...],
                **values: Any) -> Generation | None:
    """Compare-and-set the row's status in one `UPDATE ... RETURNING`.

    Returns the row as it now is (the session's copy refreshed), or None when another actor
    changed the status first.
    """
    values["updated_at"] = utcnow()
    key = (expected, tuple(sorted(values)))
    statement = _TRANSITIONS.get(key)
    if statement is None:
        statement = _TRANSITIONS[key] = (
            update(Generation)
            .where(col(Generation.id) == bindparam("generation_id"))
            .where(col(Generation.status).in_(expected))
            .values({name: bindparam(f"new_{name}") for name in key[1]})
            .returning(Generation)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
    params = {"generation_id": generation_id, **{f"new_{name}": value for name, value in values.items()}}
    return session.execute(statement, params).scalars().one_or_none()


def _end(session: Session, generation: Generation, status: GenerationStatus, *, expected: tuple[GenerationStatus, ...],
         error_code: str | None = None, error_message: str | None = None, **values: Any) -> bool:
    """Move to a final status from `expected` (setting `values` too) and release whatever is still held."""
    now = utcnow()
    ended = _transition(session, generation.id, expected, status=status, completed_at=now,
                        error_code=error_code, error_message=error_message, **values)
    if ended is None:
        return False
    if ended is not generation:  # the caller's copy came from another session
        session.refresh(generation)
    release_hold(session, generation)
    session.add(generation)
    session.flush()
    events.publish_after_commit(session, generation.user_id, event_for(generation))
    webhooks.emit_generation(session, generation, status.value)
    log.info(f"generation.{status.value}", generation_id=generation.id, error_code=error_code)
    return True


def cancel(session: Session, *, user_id: str, generation_id: str) -> Generation:
    """End a queued or processing generation as `canceled`; a running job discards its result.

    A queued generation costs nothing. A processing one has already been sent to a provider,
    which bills for it whatever happens next, so its held credits are charged.
    """
    generation = get_for_user(session, user_id=user_id, generation_id=generation_id)
    if generation.status.is_final:
        raise NotCancelable(f"This generation already ended ({generation.status.value}).")
    session.execute(
        update(Generation).where(col(Generation.id) == generation.id).values(cancel_requested_at=utcnow())
    )
    # Two compare-and-sets, so a claim between reading the status and canceling cannot make
    # a processing generation free.
    if _end(session, generation, GenerationStatus.CANCELED, expected=(GenerationStatus.QUEUED,),
            error_code="canceled", error_message="Canceled at your request; the credits were returned."):
        return generation
    held = generation.credits_held
    if _end(session, generation, GenerationStatus.CANCELED, expected=(GenerationStatus.PROCESSING,),
            error_code="canceled", credits_charged=held,
            error_message=f"Canceled while the provider was already generating; its work cost "
                          f"{held} credit{'s' if held != 1 else ''}."):
        return generation
    session.refresh(generation)
    raise NotCancelable(f"This generation already ended ({generation.status.value}).")


def retry(session: Session, *, user: User, generation_id: str, source: GenerationSource = GenerationSource.WEB,
          api_key_id: str | None = None) -> Generation:
    """A new generation with the same input as a failed (or expired, canceled) one."""
    original = get_for_user(session, user_id=user.id, generation_id=generation_id)
    if original.status not in (GenerationStatus.FAILED, GenerationStatus.EXPIRED, GenerationStatus.CANCELED):
        raise DreamPixelError("Only a failed, expired or canceled generation can be retried.", status_code=409,
                              code="not_retryable")
    request = GenerationCreate(
        prompt=original.prompt, negative_prompt=original.negative_prompt, seed_requested=original.seed_used,
        width=original.width, height=original.height, steps=original.steps,
        guidance_scale=original.guidance_scale, num_variations=original.num_variations,
        output_format=original.output_format, provider_requested=original.provider_requested,
        settings=original.settings, reference_image_id=original.reference_image_id,
        seed_listing_id=original.seed_listing_id, meta=original.meta,
    )
    return submit(session, user=user, request=request, source=source, api_key_id=api_key_id, retry_of=original)


# ---- what the job does, step by step ---------------------------------------------------------


def claim(session: Session, generation_id: str) -> Generation | None:
    """queued -> processing; None when the job has nothing to do (already done, canceled...)."""
    now = utcnow()
    generation = _transition(session, generation_id, (GenerationStatus.QUEUED,), status=GenerationStatus.PROCESSING,
                             started_at=now, heartbeat_at=now)
    if generation is None:
        return None
    if generation.deadline_at is not None and generation.deadline_at <= now:
        expire(session, generation)
        return None
    events.publish_after_commit(session, generation.user_id, event_for(generation, "started"))
    webhooks.emit_generation(session, generation, "started")
    return generation


def heartbeat(session: Session, generation_id: str, run: int) -> bool:
    """Mark run `run` (the retry count it claimed at) alive; False once it no longer holds the row.

    A run loses the row when it is canceled, reaped back to the queue (a new run then holds it)
    or ended by another run: it should stop calling the provider then.
    """
    result = session.execute(
        update(Generation)
        .where(col(Generation.id) == generation_id, col(Generation.status) == GenerationStatus.PROCESSING,
               col(Generation.retry_count) == run)
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def record_attempt(session: Session, generation_id: str, attempt: dict[str, Any]) -> None:
    """Append a provider attempt (a heartbeat too)."""
    generation = session.get(Generation, generation_id)
    if generation is None:
        return
    generation.attempts = [*generation.attempts, attempt]
    generation.updated_at = generation.heartbeat_at = utcnow()
    session.add(generation)
    session.flush()


@dataclass
class Delivery:
    images_delivered: int
    provider: str
    seed: int | None
    processing_ms: int
    # Every provider attempt of the generation so far, when the caller has them all: written
    # in the same UPDATE as the status.
    attempts: list[dict[str, Any]] | None = None


def succeed(session: Session, generation: Generation, delivery: Delivery) -> bool:
    """processing -> succeeded; charge per delivered image and release the rest."""
    per_image = credits_per_image(generation.width, generation.height)
    charged = min(generation.credits_held, per_image * delivery.images_delivered)
    extra = {} if delivery.attempts is None else {"attempts": delivery.attempts}
    succeeded = _transition(session, generation.id, (GenerationStatus.PROCESSING,), status=GenerationStatus.SUCCEEDED,
                            completed_at=utcnow(), provider_used=delivery.provider, credits_charged=charged,
                            seed_used=delivery.seed if delivery.seed is not None else generation.seed_used,
                            processing_time_ms=delivery.processing_ms, error_code=None, error_message=None, **extra)
    if succeeded is None:
        return False
    if succeeded is not generation:
        session.refresh(generation)
    release_hold(session, generation)
    session.add(generation)
    session.flush()
    events.publish_after_commit(session, generation.user_id, event_for(generation))
    log.info("generation.succeeded", generation_id=generation.id, provider=delivery.provider,
             images=delivery.images_delivered, charged=charged, ms=delivery.processing_ms)
    return True


def fail(session: Session, generation: Generation, *, code: str, message: str) -> bool:
    """processing -> failed, releasing the hold and telling the owner by email."""
    if not _end(session, generation, GenerationStatus.FAILED, expected=(GenerationStatus.PROCESSING,),
                error_code=code, error_message=message):
        return False
    owner = session.get(User, generation.user_id)
    if owner is not None:
        notifications.send_generation_failed(session, to=owner.email, name=owner.name, prompt=generation.prompt,
                                             reason=message)
    return True


def expire(session: Session, generation: Generation) -> bool:
    return _end(session, generation, GenerationStatus.EXPIRED,
                expected=(GenerationStatus.QUEUED, GenerationStatus.PROCESSING), error_code="deadline_exceeded",
                error_message="The generation did not finish in time; the credits were returned.")


def deadline_allows(generation: Generation, delay: float) -> bool:
    """Whether a retry `delay` seconds from now could still finish before the deadline."""
    return generation.deadline_at is None or utcnow() + timedelta(seconds=delay) < generation.deadline_at


def requeue(session: Session, generation: Generation, *, defer_by: float) -> bool:
    """processing -> queued for another try of the whole provider chain, after `defer_by` seconds."""
    requeued = _transition(session, generation.id, (GenerationStatus.PROCESSING,), status=GenerationStatus.QUEUED,
                           retry_count=generation.retry_count + 1)
    if requeued is None:
        return False
    if requeued is not generation:
        session.refresh(generation)
    enqueue_run(session, generation.id, generation.retry_count, defer_by=defer_by)
    events.publish_after_commit(session, generation.user_id, event_for(generation, "retrying"))
    return True


# Built once: constructing a statement costs more than running it, and queued generations are
# read (polled, streamed, shown) far more often than anything else.
_QUEUED_AHEAD = (select(func.count()).select_from(Generation)
                 .where(col(Generation.status) == GenerationStatus.QUEUED)
                 .where(col(Generation.queued_at) < bindparam("queued_at")))
_RECENT_PROCESSING_MS = (select(func.avg(Generation.processing_time_ms))
                         .where(col(Generation.status) == GenerationStatus.SUCCEEDED)
                         .where(col(Generation.completed_at) > bindparam("since")))
# The recent average is an estimate: read at most this often per process.
RECENT_AVERAGE_SECONDS = 10.0
_recent_average: tuple[float, float] | None = None  # (monotonic time read, milliseconds)


def _average_processing_ms(session: Session) -> float:
    global _recent_average
    now = time.monotonic()
    if _recent_average is None or now - _recent_average[0] > RECENT_AVERAGE_SECONDS:
        recent = session.execute(_RECENT_PROCESSING_MS, {"since": utcnow() - timedelta(hours=1)}).scalar_one()
        _recent_average = (now, float(recent or DEFAULT_PROCESSING_MS))
    return _recent_average[1]


def queue_position(session: Session, generation: Generation) -> dict[str, Any] | None:
    """Where a queued generation stands, and when it should start (from recent processing times)."""
    if generation.status is not GenerationStatus.QUEUED or generation.queued_at is None:
        return None
    ahead = int(session.execute(_QUEUED_AHEAD, {"queued_at": generation.queued_at}).scalar_one())
    wait_ms = ahead * _average_processing_ms(session) / PARALLEL_GENERATIONS
    return {"position": ahead + 1, "estimated_start_at": utcnow() + timedelta(milliseconds=wait_ms)}
