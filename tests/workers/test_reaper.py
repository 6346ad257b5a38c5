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
from services.storage import get_storage
from tests.factories import create_generation, create_user
from tests.fakes.scripted import ScriptedProvider
from tests.fixtures.engine import Harness, images_of, load, make_user, submit


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


async def test_a_processing_row_with_a_fresh_heartbeat_is_never_requeued(session: Session, recorded_runs: Any) -> None:
    """However long since its last change: a slow provider is not a dead worker."""
    runs, _queue = recorded_runs
    generation = stuck_generation(session, heartbeat_at=utcnow())
    assert await asyncio.to_thread(sweep) == {"requeued": 0, "failed": 0, "expired": 0, "redispatched": 0}
    session.refresh(generation)
    assert generation.status == GenerationStatus.PROCESSING and generation.retry_count == 0
    assert runs == []


# --- live runs: the job, the heartbeat and the reaper together ----------------------------------


async def wait_for_calls(provider: ScriptedProvider, count: int) -> None:
    for _ in range(250):
        if len(provider.calls) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the provider was called {len(provider.calls)} times, not {count}")


async def wait_for_status(generation_id: str, status: GenerationStatus) -> None:
    for _ in range(500):
        if load(generation_id).status is status:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{generation_id} stayed {load(generation_id).status}")


def sweep_as_if_silent() -> dict[str, int]:
    """The reaper a little later than the heartbeats allow (still before the deadline)."""
    later = timedelta(seconds=settings.generation_heartbeat_seconds * reaper.MISSED_BEATS + 5)
    with uow() as session:
        return reaper.reap(session, now=utcnow() + later)


async def test_a_running_generation_heartbeats_and_the_reaper_leaves_it_alone(
    engine: Harness, scripted: dict[str, ScriptedProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "generation_heartbeat_seconds", 1)
    scripted["alpha"].gate = asyncio.Event()
    scripted["alpha"].will(("wait",))
    generation_id = await asyncio.to_thread(submit, make_user(credits=2))
    await wait_for_calls(scripted["alpha"], 1)
    # The provider call is under way; from now on only the heartbeat speaks for the run.
    monkeypatch.setattr(settings, "generation_provider_timeout_seconds", 0)
    monkeypatch.setattr(reaper, "GRACE_SECONDS", 0)
    await asyncio.sleep(reaper.MISSED_BEATS + 1.5)

    running = load(generation_id)
    assert running.heartbeat_at is not None and running.started_at is not None
    assert (running.heartbeat_at - running.started_at).total_seconds() >= reaper.MISSED_BEATS
    assert (await asyncio.to_thread(sweep))["requeued"] == 0
    assert load(generation_id).status is GenerationStatus.PROCESSING
    scripted["alpha"].gate.set()
    await engine.settle()
    assert load(generation_id).status is GenerationStatus.SUCCEEDED
    assert len(scripted["alpha"].calls) == 1, "the provider was asked once"


async def test_a_second_run_never_deletes_the_files_the_first_delivered(
    engine: Harness, scripted: dict[str, ScriptedProvider]
) -> None:
    scripted["alpha"].gate = asyncio.Event()
    scripted["alpha"].will(("wait",))  # the first run hangs on the provider; the second is answered at once
    generation_id = await asyncio.to_thread(submit, make_user(credits=2))
    await wait_for_calls(scripted["alpha"], 1)
    assert (await asyncio.to_thread(sweep_as_if_silent))["requeued"] == 1
    await wait_for_status(generation_id, GenerationStatus.SUCCEEDED)
    delivered = [image.storage_key for image in images_of(generation_id)]

    scripted["alpha"].gate.set()  # the first run now finishes, stores its files and loses the race
    await engine.settle()

    assert len(delivered) == 3 and sorted(image.storage_key for image in images_of(generation_id)) == sorted(delivered)
    storage = get_storage()
    assert all([await storage.exists(key) for key in delivered]), "every delivered file is still there"
    kept = [p for p in engine.storage_dir.rglob("*") if p.is_file() and generation_id in str(p) and ".meta" not in str(p)]
    assert len(kept) == 3, "the losing run's own files are gone"


async def test_a_run_whose_row_was_taken_stops_calling_its_provider(
    engine: Harness, scripted: dict[str, ScriptedProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "generation_heartbeat_seconds", 1)
    scripted["alpha"].gate = asyncio.Event()
    scripted["alpha"].will(("wait",))  # never released: only the heartbeat can end this call
    generation_id = await asyncio.to_thread(submit, make_user(credits=2))
    await wait_for_calls(scripted["alpha"], 1)
    assert (await asyncio.to_thread(sweep_as_if_silent))["requeued"] == 1

    await asyncio.wait_for(engine.queue.join(), timeout=10)

    done = load(generation_id)
    assert done.status is GenerationStatus.SUCCEEDED and done.credits_charged == 1
    assert len(images_of(generation_id)) == 3
