"""The credit ledger and daily usage as the API returns them (/api/v1/account/credits and /usage)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from dreampixel.core.models import LedgerReason
from dreampixel.core.schemas import Timestamp
from services.credits.usage import DayUsage, LedgerEntry


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


class UsageTotals(BaseModel):
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
    totals: UsageTotals
    data: list[UsageDayPublic]

    @classmethod
    def of(cls, series: list[DayUsage], days: int) -> UsagePublic:
        return cls(
            days=days,
            totals=UsageTotals(
                generations=sum(d.total for d in series),
                succeeded=sum(d.succeeded for d in series),
                failed=sum(d.failed for d in series),
                in_progress=sum(d.in_progress for d in series),
                credits_spent=sum(d.credits_spent for d in series),
            ),
            data=[UsageDayPublic(date=d.day.isoformat(), generations=d.total, succeeded=d.succeeded, failed=d.failed,
                                 in_progress=d.in_progress, credits_spent=d.credits_spent) for d in series],
        )
