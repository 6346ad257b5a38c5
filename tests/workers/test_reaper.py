"""The reaper: generations a dead worker left in `processing` are re-queued or ended with a refund."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from dreampixel.core.db import uow
from dreampixel.core.models import Generation, GenerationStatus, LedgerReason, User, utcnow
from dreampixel.core.settings import settings
from services.credits import service as credits
from services.generation import reaper
from services.jobs import service as jobs
from services.jobs.queue import InProcessQueue
from tests.factories import create_generation, create_user


@pytest.fixture
async def recorded_runs() -> Any:
    runs: list[str] = []

    async def record(ctx: dict[str, Any], generation_id: str) -> None:
        runs.append(generation_id)

    queue = InProcessQueue({"generation.run": record}, loop=asyncio.get_running_loop())
    jobs.install(queue)
    yield runs, queue
    jobs.uninstall()


def stuck_generation(session: Session, *, held: int = 2, retry_count: int = 0, **overrides: Any) -> Generation:
    user = create_user(session, credit_balance=0)
    credits.grant(session, user_id=user.id, amount=5)
    long_ago = utcnow() - timedelta(seconds=settings.generation_provider_timeout_seconds + reaper.GRACE_SECONDS + 5)
    generation = create_generation(session, user, status=GenerationStatus.PROCESSING, started_at=long_ago,
                                   updated_at=long_ago, credits_held=held, retry_count=retry_count, **overrides)
    credits.debit(session, user_id=user.id, amount=held, reason=LedgerReason.HOLD, reference=generation.id)
    return generation


def sweep() -> dict[str, int]:
    with uow() as session:
        return reaper.reap(session)


async def test_a_stuck_generation_goes_back_to_the_queue(session: Session, recorded_runs: Any) -> None:
    runs, queue = recorded_runs
    generation = stuck_generation(session)
    assert await asyncio.to_thread(sweep) == {"requeued": 1, "failed": 0, "expired": 0, "redispatched": 0}
    await queue.join()
    session.refresh(generation)
    assert generation.status == GenerationStatus.QUEUED and generation.retry_count == 1
    assert runs == [generation.id]


async def test_a_stuck_generation_out_of_retries_fails_and_refunds(session: Session, recorded_runs: Any) -> None:
    runs, queue = recorded_runs
    generation = stuck_generation(session, held=2, retry_count=settings.generation_max_retries)
    assert await asyncio.to_thread(sweep) == {"requeued": 0, "failed": 1, "expired": 0, "redispatched": 0}
    await queue.join()
    session.refresh(generation)
    assert generation.status == GenerationStatus.FAILED and generation.error_code == "worker_lost"
    assert generation.credits_refunded == 2
    user = session.get(User, generation.user_id)
    session.refresh(user)
    assert user.credit_balance == 5, "the held credits came back"
    assert runs == []


async def test_a_stuck_generation_past_its_deadline_expires(session: Session, recorded_runs: Any) -> None:
    generation = stuck_generation(session, deadline_at=utcnow() - timedelta(seconds=1))
    assert await asyncio.to_thread(sweep) == {"requeued": 0, "failed": 0, "expired": 1, "redispatched": 0}
    session.refresh(generation)
    assert generation.status == GenerationStatus.EXPIRED and generation.credits_refunded == 2


async def test_a_generation_still_being_worked_on_is_left_alone(session: Session, recorded_runs: Any) -> None:
    user = create_user(session)
    generation = create_generation(session, user, status=GenerationStatus.PROCESSING, started_at=utcnow(),
                                   updated_at=utcnow())
    assert await asyncio.to_thread(sweep) == {"requeued": 0, "failed": 0, "expired": 0, "redispatched": 0}
    session.refresh(generation)
    assert generation.status == GenerationStatus.PROCESSING
