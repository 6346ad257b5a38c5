"""The heartbeat job: each worker (or the app's in-process jobs) reports itself under one stable name,
with the jobs it finished and failed."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest
from sqlalchemy import Engine

from dreampixel.core import metrics
from dreampixel.core.db import uow
from dreampixel.core.settings import settings
from services.admin import system
from workers import maintenance
from workers.functions import FUNCTIONS, measured


async def test_a_worker_reports_itself_alive_under_hostname_and_pid(live_db: Engine) -> None:
    ctx: dict[str, Any] = {"worker_kind": "arq"}
    await maintenance.heartbeat(ctx)
    await maintenance.heartbeat(ctx)
    with uow() as session:
        beats = system.heartbeats(session)
    assert [(b["name"], b["kind"], b["alive"]) for b in beats] == [(f"{socket.gethostname()}:{os.getpid()}", "arq",
                                                                    True)]


async def test_worker_name_names_the_heartbeat(live_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "worker_name", "worker-2")
    await maintenance.heartbeat({"worker_kind": "arq"})
    with uow() as session:
        [beat] = system.heartbeats(session)
    assert beat["name"] == "worker-2" and beat["host"] == socket.gethostname()


async def test_the_heartbeat_carries_the_jobs_done_and_failed(live_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "JOBS", metrics.JobStats())
    await FUNCTIONS["maintenance.reap"]({})
    await FUNCTIONS["maintenance.reap"]({})

    async def broken(ctx: dict[str, Any]) -> None:
        raise RuntimeError("the job's own bug")

    with pytest.raises(RuntimeError):
        await measured("test.broken", broken)({})
    await FUNCTIONS["maintenance.heartbeat"]({"worker_kind": "arq"})
    with uow() as session:
        [beat] = system.heartbeats(session)
    assert (beat["jobs_done"], beat["jobs_failed"]) == (2, 1), "the heartbeat itself is not counted"


async def test_the_app_without_a_worker_reports_its_in_process_jobs(live_db: Engine) -> None:
    await maintenance.heartbeat({})
    with uow() as session:
        [beat] = system.heartbeats(session)
    assert beat["kind"] == "in-process"
