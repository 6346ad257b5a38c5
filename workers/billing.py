"""Billing jobs: the monthly plan allowances (FREE, and plans set by hand)."""

from __future__ import annotations

from typing import Any

from dreampixel.core.db import in_uow
from services.billing import service as billing


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
