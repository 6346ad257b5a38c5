"""Housekeeping jobs: the stuck-generation reaper, the worker heartbeat."""

from __future__ import annotations

from typing import Any

from dreampixel.core.db import in_uow
from dreampixel.core.models import utcnow
from services.admin import system
from services.generation import reaper


async def reap(ctx: dict[str, Any]) -> dict[str, int]:
    """Return stuck `processing` generations to the queue or fail them with a refund."""
    return await in_uow(reaper.reap)


async def heartbeat(ctx: dict[str, Any]) -> None:
    """Tell the admin console this worker (or the app's in-process jobs) is alive."""
    kind = ctx.get("worker_kind", "in-process")
    name = ctx.setdefault("worker_name", system.worker_name(kind))
    started_at = ctx.setdefault("worker_started_at", utcnow())

    def beat(session: Any) -> None:
        system.beat(session, name=name, kind=kind, started_at=started_at)

    await in_uow(beat)
