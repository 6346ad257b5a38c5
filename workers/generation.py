"""`generation.run`: claim one generation and let the runner take it to a final status.

Why running it twice is harmless is explained in services/generation/runner.py. Each unit of
work runs again when the database connection was lost before its COMMIT (a PostgreSQL restart
drops every pooled connection): the run carries on instead of leaving its row to the reaper.
"""

from __future__ import annotations

from typing import Any

from dreampixel.core import metrics
from dreampixel.core.db import in_uow_reconnecting as in_uow
from dreampixel.core.models import Generation
from services.generation import runner
from services.generation import service as generations


async def run(ctx: dict[str, Any], generation_id: str) -> str:
    """Process one generation; returns the status it ended in (or why nothing was done)."""
    generation = await in_uow(generations.claim, generation_id)
    if generation is None:
        return "skipped"
    status = await runner.process(generation, in_uow=in_uow)
    provider: str | None = None
    if status == "succeeded":
        provider = await in_uow(_provider_used, generation_id)
    metrics.GENERATIONS.labels(status, provider or "none").inc()
    return status


def _provider_used(session: Any, generation_id: str) -> str | None:
    generation = session.get(Generation, generation_id)
    return generation.provider_used if generation is not None else None
