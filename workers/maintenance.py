"""Housekeeping jobs: the stuck-generation reaper."""

from __future__ import annotations

import asyncio
from typing import Any

from dreampixel.core.db import uow
from services.generation import reaper


async def reap(ctx: dict[str, Any]) -> dict[str, int]:
    """Return stuck `processing` generations to the queue or fail them with a refund."""

    def sweep() -> dict[str, int]:
        with uow() as session:
            return reaper.reap(session)

    return await asyncio.to_thread(sweep)
