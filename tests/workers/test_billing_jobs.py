"""The monthly allowance job: run by the arq worker's cron, by the in-process timer, and harmless twice."""

from __future__ import annotations

import asyncio

import pytest
from arq.worker import Worker
from sqlalchemy import Engine
from sqlmodel import col, select

from dreampixel.core.db import uow
from dreampixel.core.models import CreditLedger, LedgerReason, User
from dreampixel.core.settings import settings
from services.jobs.queue import ArqQueue
from tests.factories import create_user
from workers import billing as billing_jobs
from workers import in_process
from workers.settings import WorkerSettings


@pytest.fixture(autouse=True)
def allowance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "credits_free_monthly", 30)


def new_free_user() -> str:
    with uow() as session:
        return create_user(session).id


def balance_and_allowances(user_id: str) -> tuple[int, int]:
    with uow() as session:
        user = session.get(User, user_id)
        assert user is not None
        rows = session.exec(select(CreditLedger).where(col(CreditLedger.user_id) == user_id,
                                                       col(CreditLedger.reason) == LedgerReason.SUBSCRIPTION)).all()
        return user.credit_balance, len(rows)


async def test_the_renewal_job_run_twice_grants_once(live_db: Engine) -> None:
    user_id = await asyncio.to_thread(new_free_user)
    first = await billing_jobs.renew_allowances({})
    second = await billing_jobs.renew_allowances({})
    assert (first["granted"], second["granted"]) == (1, 0)
    assert await asyncio.to_thread(balance_and_allowances, user_id) == (30, 1)


async def test_the_arq_worker_grants_the_allowances_when_it_starts(live_db: Engine, redis_url: str) -> None:
    user_id = await asyncio.to_thread(new_free_user)
    [renewal] = [job for job in WorkerSettings.cron_jobs if job.name == "cron:billing.renew_allowances"]
    queue = await ArqQueue.connect(redis_url)
    try:
        worker = Worker(functions=WorkerSettings.functions, cron_jobs=[renewal], redis_pool=queue.pool, burst=True,
                        poll_delay=0.01, on_startup=None, on_shutdown=None, handle_signals=False)
        await worker.main()
        assert worker.jobs_failed == 0
    finally:
        await queue.close()
    assert await asyncio.to_thread(balance_and_allowances, user_id) == (30, 1)


async def test_without_redis_the_app_grants_the_allowances_on_its_own_timer(live_db: Engine) -> None:
    user_id = await asyncio.to_thread(new_free_user)
    queue = await in_process.start(reap_every=0.05)
    try:
        for _ in range(200):
            if (await asyncio.to_thread(balance_and_allowances, user_id))[0] == 30:
                break
            await asyncio.sleep(0.05)
        await queue.join(timeout=10)
    finally:
        await in_process.stop(queue)
    assert await asyncio.to_thread(balance_and_allowances, user_id) == (30, 1)
