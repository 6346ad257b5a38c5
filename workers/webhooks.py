"""Webhook jobs: one attempt of one delivery, and the sweep that resends what a lost job left due."""

from __future__ import annotations

from typing import Any

from dreampixel.core import metrics
from dreampixel.core.db import in_uow
from services.webhooks import delivery
from services.webhooks import service as webhooks


async def deliver(ctx: dict[str, Any], delivery_id: str) -> str:
    """Claim the delivery's attempt, send it outside any transaction, record what happened.

    Retries are new deferred jobs scheduled by the record; a run for a delivery that is not
    due (sent already, or claimed elsewhere) does nothing.
    """
    outgoing = await in_uow(lambda session: webhooks.claim(session, delivery_id=delivery_id))
    if outgoing is None:
        return "skipped"
    result = await delivery.send(outgoing)
    status = await in_uow(lambda session: webhooks.record(session, outgoing=outgoing, result=result))
    metrics.WEBHOOK_DELIVERIES.labels(status.value).inc()
    return status.value


async def sweep(ctx: dict[str, Any]) -> int:
    """Re-send the job of every due pending delivery (a worker killed mid-attempt, a lost job)."""
    return await in_uow(webhooks.sweep)
