"""The reaper: generations a dead worker left behind go back to the queue or end with a refund.

A run heartbeats while it works (`heartbeat_at`); only a row whose heartbeat stopped is
presumed dead, however long its provider takes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from dreampixel.core.logging import get_logger
from dreampixel.core.models import Generation, GenerationStatus, LedgerReason, utcnow
from dreampixel.core.settings import settings
from services.credits import service as credits
from services.generation.queueing import enqueue_run
from services.webhooks import service as webhooks

log = get_logger(__name__)

# Queued rows nobody picked up for this long get their job sent again.
GRACE_SECONDS = 60
# A running generation is presumed dead after this many missed heartbeats, and never before.
MISSED_BEATS = 4


def release_hold(session: Session, generation: Generation) -> int:
    """Give back whatever is still held for `generation`; returns the credits released."""
    outstanding = generation.credits_held - generation.credits_charged - generation.credits_refunded
    if outstanding > 0:
        credits.grant(
            session, user_id=generation.user_id, amount=outstanding, reason=LedgerReason.RELEASE, reference=generation.id
        )
        generation.credits_refunded += outstanding
    return max(outstanding, 0)


def reap(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Sweep stuck generations once. Safe to run from several processes at the same time."""
    now = now or utcnow()
    silent_since = now - timedelta(seconds=settings.generation_heartbeat_seconds * MISSED_BEATS)
    # Rows claimed before heartbeats existed have none: judged by their last change, as then.
    legacy_stale = now - timedelta(seconds=settings.generation_provider_timeout_seconds + GRACE_SECONDS)
    stuck = session.exec(
        select(Generation)
        .where(col(Generation.status) == GenerationStatus.PROCESSING)
        .where(col(Generation.updated_at) < silent_since)
        .where(or_(col(Generation.heartbeat_at) < silent_since,
                   and_(col(Generation.heartbeat_at).is_(None), col(Generation.updated_at) < legacy_stale)))
        .order_by(col(Generation.started_at))
        .limit(500)
        .with_for_update(skip_locked=True)
    ).all()
    counts = {"requeued": 0, "failed": 0, "expired": 0, "redispatched": redispatch_queued(session, now=now)}
    for generation in stuck:
        if generation.deadline_at is not None and generation.deadline_at <= now:
            _finish(session, generation, GenerationStatus.EXPIRED, "deadline_exceeded",
                    "The generation did not finish in time.", now)
            counts["expired"] += 1
        elif generation.retry_count < settings.generation_max_retries:
            generation.status = GenerationStatus.QUEUED
            generation.retry_count += 1
            generation.updated_at = now
            session.add(generation)
            enqueue_run(session, generation.id, generation.retry_count)
            counts["requeued"] += 1
        else:
            _finish(session, generation, GenerationStatus.FAILED, "worker_lost",
                    "The worker processing this generation stopped; your credits were returned.", now)
            counts["failed"] += 1
    session.flush()
    if any(counts.values()):
        log.info("generation.reaped", **counts)
    return counts


def redispatch_queued(session: Session, *, now: datetime | None = None, older_than: float = GRACE_SECONDS) -> int:
    """Send the job again for queued generations nobody picked up (a restart lost an in-process job).

    Harmless when the job still exists: both queues refuse a second job with the same id, and
    the job's claim only succeeds once.
    """
    now = now or utcnow()
    waiting = session.exec(
        select(Generation.id, Generation.retry_count)
        .where(col(Generation.status) == GenerationStatus.QUEUED)
        .where(col(Generation.updated_at) < now - timedelta(seconds=older_than))
        .order_by(col(Generation.queued_at))
        .limit(1000)
    ).all()
    for generation_id, retry_count in waiting:
        enqueue_run(session, generation_id, retry_count)
    return len(waiting)


def _finish(session: Session, generation: Generation, status: GenerationStatus, code: str, message: str,
            now: datetime) -> None:
    release_hold(session, generation)
    generation.status = status
    generation.error_code = code
    generation.error_message = message
    generation.completed_at = now
    generation.updated_at = now
    session.add(generation)
    session.flush()
    webhooks.emit_generation(session, generation, status.value)
