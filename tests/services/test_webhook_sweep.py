"""The sweep resends a due delivery under a job id of its own: the id of a job that failed stays
taken among arq's results for an hour, and reusing it would hold the webhook back that long."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from dreampixel.core.db import uow
from dreampixel.core.models import utcnow
from dreampixel.core.settings import settings
from services.webhooks import service as webhooks
from services.webhooks.schemas import WebhookEndpointCreate
from tests.factories import create_user


def test_each_sweep_sends_a_due_delivery_under_a_new_job_id(live_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhooks_allow_loopback", True)
    sent: list[tuple[str, str]] = []

    def record(session: Any, function: str, *args: Any, job_id: str | None = None, **_: Any) -> None:
        sent.append((args[0], str(job_id)))

    monkeypatch.setattr(webhooks, "enqueue_after_commit", record)
    with uow() as session:
        user = create_user(session)
        webhooks.create_endpoint(session, user_id=user.id, request=WebhookEndpointCreate(url="http://127.0.0.1:9/hooks"))
        [delivery] = webhooks.emit(session, user_id=user.id, type="credits.low", data={"credit_balance": 1})
    first_job = sent[-1]  # the delivery's own first attempt

    # The start of the next minute, so that `now` and five seconds later fall in the same minute.
    now = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)
    with uow() as session:
        assert webhooks.sweep(session, now=now) == 1
        assert webhooks.sweep(session, now=now + timedelta(seconds=5)) == 1
        assert webhooks.sweep(session, now=now + timedelta(minutes=1)) == 1
    swept = sent[-3:]
    assert all(delivery_id == delivery.id for delivery_id, _ in swept)
    ids = [job for _, job in swept]
    assert first_job[1] not in ids, "the failed job's id is never reused"
    assert ids[0] == ids[1], "one sweep a minute: a second pass within it adds no job"
    assert ids[1] != ids[2], "the next minute's sweep sends it again"
