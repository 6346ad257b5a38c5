"""The admin system report lists each worker's heartbeat with the jobs it did."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import text

from dreampixel.core.db import uow
from dreampixel.core.models import Role, utcnow
from services.admin import system
from tests.api.test_admin import browser, signed_in


async def test_the_system_report_lists_each_worker_with_its_jobs(api: httpx.AsyncClient) -> None:
    def arrange() -> None:
        with uow() as session:
            system.beat(session, name="worker-1", kind="arq", jobs_done=41, jobs_failed=2)
            system.beat(session, name="worker-2", kind="arq", jobs_done=7)
            session.execute(text("UPDATE worker_heartbeats SET seen_at = :old WHERE name = 'worker-2'"),
                            {"old": utcnow() - timedelta(minutes=10)})

    await asyncio.to_thread(arrange)
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    report = (await api.get("/api/admin/system", headers=browser(cookie))).json()
    workers = {w["name"]: w for w in report["heartbeats"]}
    assert (workers["worker-1"]["alive"], workers["worker-1"]["jobs_done"], workers["worker-1"]["jobs_failed"]) == (
        True, 41, 2)
    assert workers["worker-2"]["alive"] is False and workers["worker-2"]["jobs_done"] == 7
