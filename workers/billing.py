"""Billing jobs: the monthly plan allowances, one received Stripe event, one invoice PDF copy.

Each is safe to run twice.
"""

from __future__ import annotations

from typing import Any

import httpx
from arq.worker import Retry

from dreampixel.core.db import in_uow
from dreampixel.core.logging import get_logger
from services.billing import invoices, webhooks
from services.billing import service as billing
from services.jobs.queue import backoff_delay
from services.storage import get_storage

log = get_logger(__name__)

# Both queues (arq's WorkerSettings and the in-process one) try a job five times.
MAX_TRIES = 5


async def handle_event(ctx: dict[str, Any], event_row_id: str) -> str:
    """Apply a stored Stripe event; on failure keep the error on its row and retry with backoff."""
    attempt = int(ctx.get("job_try", 1))
    try:
        return await in_uow(webhooks.handle, event_row_id)
    except Exception as exc:
        await in_uow(webhooks.record_failure, event_row_id, f"{type(exc).__name__}: {exc}")
        if attempt >= MAX_TRIES:
            log.error("billing.event_failed", event_row_id=event_row_id, tries=attempt, error=repr(exc))
            return "failed"
        log.warning("billing.event_retry", event_row_id=event_row_id, attempt=attempt, error=repr(exc))
        raise Retry(defer=backoff_delay(attempt, base=2.0)) from exc


async def redispatch_events(ctx: dict[str, Any]) -> int:
    """Send again the Stripe events whose handling job was lost; returns how many."""
    return await in_uow(webhooks.redispatch_lost)


async def copy_invoice_pdf(ctx: dict[str, Any], invoice_id: str) -> str:
    """Copy Stripe's invoice PDF into the invoices bucket, once."""
    source = await in_uow(invoices.pdf_source, invoice_id)
    if source is None:
        return "nothing to copy"
    url, key = source
    try:
        async with httpx.AsyncClient(timeout=30, follow_redirects=True) as http:
            response = await http.get(url)
            response.raise_for_status()
    except httpx.HTTPError as exc:
        attempt = int(ctx.get("job_try", 1))
        if attempt >= MAX_TRIES:
            log.error("billing.invoice_pdf_failed", invoice_id=invoice_id, error=repr(exc))
            return "failed"
        raise Retry(defer=backoff_delay(attempt, base=2.0)) from exc
    await get_storage("invoices").put(key, response.content, content_type="application/pdf")
    await in_uow(invoices.pdf_stored, invoice_id, key)
    return "stored"


async def renew_allowances(ctx: dict[str, Any]) -> dict[str, Any]:
    """Grant this month's allowance to every account still without it, a batch per unit of work.

    Each grant is unique per (user, tier, month), so a second run, or two workers at once,
    grant nothing more.
    """
    granted = 0
    while True:
        report = await in_uow(billing.renew_free_allowances)
        granted += report.granted
        if not report.more:
            return {"period": report.period, "granted": granted}
