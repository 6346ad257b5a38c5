"""Housekeeping jobs: the stuck-generation reaper."""

from __future__ import annotations

from typing import Any

from dreampixel.core.db import in_uow
from services.generation import reaper


async def reap(ctx: dict[str, Any]) -> dict[str, int]:
    """Return stuck `processing` generations to the queue or fail them with a refund."""
    return await in_uow(reaper.reap)
