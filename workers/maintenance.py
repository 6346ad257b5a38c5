"""Housekeeping jobs: the stuck-generation reaper, the worker heartbeat, the scheduled cleanup."""

from __future__ import annotations

from typing import Any

from dreampixel.core import metrics
from dreampixel.core.db import in_uow
from dreampixel.core.models import utcnow
from services.admin import system
from services.cleanup import service as cleanup_service
from services.generation import reaper


async def reap(ctx: dict[str, Any]) -> dict[str, int]:
    """Return stuck `processing` generations to the queue or fail them with a refund."""
    return await in_uow(reaper.reap)


async def heartbeat(ctx: dict[str, Any]) -> None:
    """Tell the admin console and `worker-health` this worker (or the app's in-process jobs) is alive,
    with the jobs it finished and failed since it started."""
    kind = ctx.get("worker_kind", "in-process")
    name = ctx.setdefault("worker_name", system.worker_name())
    started_at = ctx.setdefault("worker_started_at", utcnow())
    done, failed = metrics.JOBS.done, metrics.JOBS.failed

    def beat(session: Any) -> None:
        system.beat(session, name=name, kind=kind, started_at=started_at, jobs_done=done, jobs_failed=failed)

    await in_uow(beat)


async def cleanup(ctx: dict[str, Any]) -> dict[str, int]:
    """Delete what has outlived its use (expired records, orphaned uploads, files of deleted generations)."""
    return await cleanup_service.run(unit_of_work=in_uow)
