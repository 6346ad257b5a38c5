"""The credit ledger and daily usage as the API returns them (/api/v1/account/credits and /usage)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from dreampixel.core.models import LedgerReason
from dreampixel.core.schemas import Timestamp
from services.credits.usage import LedgerEntry, UsageSummary


class LedgerEntryPublic(BaseModel):
    """One change to the balance, with the balance it left behind."""

    object: Literal["ledger_entry"] = "ledger_entry"
    id: str
    delta: int
    reason: LedgerReason
    reference: str | None
    generation_id: str | None
    balance_after: int
    created_at: Timestamp

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerEntryPublic:
        return cls(id=entry.id, delta=entry.delta, reason=entry.reason, reference=entry.reference,
                   generation_id=entry.generation_id, balance_after=entry.balance_after, created_at=entry.created_at)


class UsageTotalsPublic(BaseModel):
    generations: int
    succeeded: int
    failed: int
    in_progress: int
    credits_spent: int


class UsageDayPublic(BaseModel):
    date: str  # YYYY-MM-DD, UTC
    generations: int
    succeeded: int
    failed: int
    in_progress: int
    credits_spent: int


class UsagePublic(BaseModel):
    """Generations per UTC day, oldest first, with the period's totals."""

    object: Literal["usage"] = "usage"
    timezone: Literal["UTC"] = "UTC"
    days: int
    totals: UsageTotalsPublic
    data: list[UsageDayPublic]

    @classmethod
    def of(cls, summary: UsageSummary, days: int) -> UsagePublic:
        t = summary.totals
        return cls(
            days=days,
            totals=UsageTotalsPublic(generations=t.generations, succeeded=t.succeeded, failed=t.failed,
                                     in_progress=t.in_progress, credits_spent=t.credits_spent),
            data=[UsageDayPublic(date=d.day.isoformat(), generations=d.total, succeeded=d.succeeded, failed=d.failed,
                                 in_progress=d.in_progress, credits_spent=d.credits_spent) for d in summary.days],
        )
