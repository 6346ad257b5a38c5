"""Jobs: sent only after the commit, and run by the same functions in-process and under arq."""

from __future__ import annotations

import asyncio
import dataclasses
import email
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from arq.worker import Retry, Worker, func
from sqlmodel import Session

from dreampixel.core.db import uow
from dreampixel.core.settings import settings
from services.email import EmailMessage
from services.jobs import service as jobs
from services.jobs.queue import ArqQueue, InProcessQueue
from tests.factories import create_user
from workers import in_process
from workers.functions import FUNCTIONS
from workers.settings import WorkerSettings
from workers.worker import Worker as DreamPixelWorker


def outbox_messages(outbox: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    return settings.outbox_dir


def welcome(to: str) -> dict[str, Any]:
    return dataclasses.asdict(EmailMessage(to=to, subject="Welcome to Dream Pixel", text="Hello"))


@pytest.fixture
async def in_process_queue() -> AsyncIterator[InProcessQueue]:
    queue = await in_process.start(reap_every=None)
    yield queue
    await in_process.stop(queue)


async def test_a_job_enqueued_in_a_unit_of_work_runs_after_the_commit(
    session: Session, in_process_queue: InProcessQueue, outbox: Path
) -> None:
    user = create_user(session)

    def submit() -> None:
        with uow() as work:
            jobs.enqueue_after_commit(work, "email.send", welcome(user.email))
            assert in_process_queue._pending == {}, "nothing may be sent before the commit"

    await asyncio.to_thread(submit)
    await in_process_queue.join()
    [message] = outbox_messages(outbox)
    assert message["To"] == user.email
    assert message["Subject"] == "Welcome to Dream Pixel"


async def test_a_job_is_not_sent_when_a_savepoint_after_it_is_released(
    session: Session, in_process_queue: InProcessQueue, outbox: Path
) -> None:
    def submit_then_savepoint() -> None:
        with uow() as work:
            jobs.enqueue_after_commit(work, "email.send", welcome("someone@example.com"))
            with work.begin_nested():
                pass
            assert in_process_queue._pending == {}, "a released savepoint is not the commit"

    await asyncio.to_thread(submit_then_savepoint)
    await in_process_queue.join()
    assert len(outbox_messages(outbox)) == 1


async def test_a_job_enqueued_in_a_rolled_back_unit_of_work_is_dropped(
    session: Session, in_process_queue: InProcessQueue, outbox: Path
) -> None:
    def submit_then_fail() -> None:
        with uow() as work:
            jobs.enqueue_after_commit(work, "email.send", welcome("someone@example.com"))
            raise RuntimeError("the request failed after enqueueing")

    with pytest.raises(RuntimeError):
        await asyncio.to_thread(submit_then_fail)
    await in_process_queue.join()
    assert outbox_messages(outbox) == []


async def test_in_process_queue_refuses_a_second_job_with_a_pending_id() -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    runs: list[str] = []

    async def slow(ctx: dict[str, Any], name: str) -> None:
        runs.append(name)
        started.set()
        await release.wait()

    queue = InProcessQueue({"slow": slow}, loop=asyncio.get_running_loop())
    assert await queue.enqueue("slow", "first", job_id="same") is True
    await started.wait()
    assert await queue.enqueue("slow", "second", job_id="same") is False
    release.set()
    await queue.join()
    assert runs == ["first"]
    assert await queue.enqueue("slow", "third", job_id="same") is True, "the id is free once the job ended"
    await queue.join()


async def test_in_process_queue_honours_arq_retry() -> None:
    tries: list[int] = []

    async def flaky(ctx: dict[str, Any]) -> None:
        tries.append(ctx["job_try"])
        if ctx["job_try"] < 3:
            raise Retry(defer=0.01)

    queue = InProcessQueue({"flaky": flaky}, loop=asyncio.get_running_loop())
    await queue.enqueue("flaky")
    await queue.join()
    assert tries == [1, 2, 3]


async def test_in_process_queue_times_out_a_stuck_job() -> None:
    finished: list[bool] = []

    async def stuck(ctx: dict[str, Any]) -> None:
        await asyncio.sleep(30)
        finished.append(True)

    queue = InProcessQueue({"stuck": stuck}, job_timeout=0.05, loop=asyncio.get_running_loop())
    await queue.enqueue("stuck")
    await queue.join(timeout=5)
    assert finished == [] and queue._pending == {}


async def test_the_arq_worker_runs_the_same_job_function(
    session: Session, redis_url: str, outbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "redis_url", redis_url)
    queue = await ArqQueue.connect(redis_url)
    jobs.install(queue)
    try:
        user = create_user(session)

        def submit() -> None:
            with uow() as work:
                jobs.enqueue_after_commit(work, "email.send", welcome(user.email), job_id=f"welcome:{user.id}")

        await asyncio.to_thread(submit)
        assert await queue.pool.queued_jobs(), "the job waits in Redis for a worker"

        worker = Worker(
            functions=WorkerSettings.functions,
            redis_pool=queue.pool,
            burst=True,
            poll_delay=0.01,
            on_startup=None,
            on_shutdown=None,
            handle_signals=False,
        )
        await worker.main()
        assert worker.jobs_complete == 1 and worker.jobs_failed == 0
    finally:
        jobs.uninstall()
        await queue.close()
    [message] = outbox_messages(outbox)
    assert message["To"] == user.email


def test_every_job_function_is_registered_with_the_worker() -> None:
    names = {f.name for f in WorkerSettings.functions}
    assert names == set(FUNCTIONS)
    assert WorkerSettings.poll_delay <= 0.05 and WorkerSettings.max_jobs >= 50


async def test_the_worker_does_not_recheck_its_own_running_jobs_in_redis_on_every_poll(redis_url: str) -> None:
    async def nap(_ctx: dict[str, Any]) -> None:
        await asyncio.sleep(0.5)

    queue = await ArqQueue.connect(redis_url)
    try:
        for _ in range(4):
            await queue.pool.enqueue_job("nap")
        await queue.pool.config_resetstat()
        worker = DreamPixelWorker(functions=[func(nap, name="nap")], redis_pool=queue.pool, burst=True,
                                  poll_delay=0.01, max_jobs=10, on_startup=None, on_shutdown=None,
                                  handle_signals=False)
        await worker.main()  # about fifty polls while the four naps run
        assert worker.jobs_complete == 4
        watches = (await queue.pool.info("commandstats")).get("cmdstat_watch", {}).get("calls", 0)
        # One WATCH to start each job; arq's own worker would add four for every poll.
        assert watches <= 6, watches
    finally:
        await queue.close()
