"""Webhook deliveries survive a worker killed with SIGKILL mid-attempt: the row outlives the job."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dreampixel.core.db import uow
from dreampixel.core.models import DeliveryStatus, WebhookDelivery, utcnow
from dreampixel.core.settings import settings
from services.jobs import service as jobs
from services.jobs.queue import ArqQueue
from services.webhooks import service as webhooks
from services.webhooks.schemas import WebhookEndpointCreate
from tests.factories import create_user
from tests.fakes.webhook_receiver import Receiver
from tests.fixtures.processes import stop_process_group

ROOT = Path(__file__).resolve().parents[2]


def start_worker(*, database_url: str, redis_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "WEBHOOKS_ALLOW_LOOPBACK": "true",
           "WEBHOOK_TIMEOUT_SECONDS": "2", "WEBHOOK_RETRY_FIRST_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "dreampixel", "worker"], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        stop_process_group(process)


def delivery_row(delivery_id: str) -> WebhookDelivery:
    with uow() as session:
        row = session.get(WebhookDelivery, delivery_id)
        assert row is not None
        return row


async def test_a_delivery_cut_off_by_a_killed_worker_is_sent_by_the_next_worker(
    live_db: Engine, postgres_url: str, redis_url: str, redis_client: object, webhook_receiver: Receiver,
    workers: list[subprocess.Popen[bytes]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "webhooks_allow_loopback", True)
    queue = await ArqQueue.connect(redis_url)
    jobs.install(queue)
    try:
        def emit() -> tuple[str, str]:
            with uow() as session:
                user = create_user(session)
                created = webhooks.create_endpoint(session, user_id=user.id,
                                                   request=WebhookEndpointCreate(url=webhook_receiver.url))
                [delivery] = webhooks.emit(session, user_id=user.id, type="credits.low", data={"credit_balance": 1})
                return created.secret, delivery.id

        secret, delivery_id = await asyncio.to_thread(emit)
    finally:
        jobs.uninstall()
        await queue.close()
    webhook_receiver.secret = secret
    webhook_receiver.hang_next(60)  # the first worker is mid-attempt when it dies

    first = start_worker(database_url=postgres_url, redis_url=redis_url, log=tmp_path / "worker-1.log")
    workers.append(first)
    await webhook_receiver.until(1, timeout=60)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert delivery_row(delivery_id).status is DeliveryStatus.PENDING, "the attempt never finished"

    # Once the dead attempt's lease passes, the sweep of any worker finds the delivery due.
    lease_end = delivery_row(delivery_id).next_attempt_at
    assert lease_end is not None
    await asyncio.sleep(max(0.0, (lease_end - utcnow()).total_seconds()) + 0.2)
    workers.append(start_worker(database_url=postgres_url, redis_url=redis_url, log=tmp_path / "worker-2.log"))
    received = await webhook_receiver.until(2, timeout=60)

    assert received[1].verified
    assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"]
    deadline = time.monotonic() + 15
    while delivery_row(delivery_id).status is not DeliveryStatus.SUCCEEDED and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    row = delivery_row(delivery_id)
    assert row.status is DeliveryStatus.SUCCEEDED and row.delivered_at is not None
