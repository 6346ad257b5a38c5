"""The heartbeat job: each worker (or the app's in-process jobs) reports itself under one stable name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from dreampixel.core.db import uow
from services.admin import system
from workers import maintenance


async def test_a_worker_reports_itself_alive_under_one_name(live_db: Engine) -> None:
    ctx: dict[str, Any] = {"worker_kind": "arq"}
    await maintenance.heartbeat(ctx)
    await maintenance.heartbeat(ctx)
    with uow() as session:
        beats = system.heartbeats(session)
    assert [(b["name"], b["kind"], b["alive"]) for b in beats] == [(ctx["worker_name"], "arq", True)]
    assert ctx["worker_name"].startswith("arq:")


async def test_the_app_without_a_worker_reports_its_in_process_jobs(live_db: Engine) -> None:
    await maintenance.heartbeat({})
    with uow() as session:
        [beat] = system.heartbeats(session)
    assert beat["kind"] == "in-process"
