"""A user's credit history and generation activity: the ledger page by page, a per-day series and
its totals (the same numbers for the account page and `GET /api/v1/account/usage`).

Days are UTC calendar days, bucketed here in Python over one bounded query (at most `MAX_DAYS`
of a single user's generations), so the same code runs on SQLite and PostgreSQL without
date functions that differ between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from dreampixel.core.models import CreditLedger, Generation, GenerationStatus, LedgerReason, utcnow

DEFAULT_DAYS = 30
MAX_DAYS = 90
MAX_LEDGER_PAGE = 100
# The chart's two stacks: what delivered, and what ended without delivering (credits released).
ENDED_WITHOUT_IMAGES = (GenerationStatus.FAILED, GenerationStatus.EXPIRED, GenerationStatus.CANCELED)


@dataclass(frozen=True)
class LedgerEntry:
    """One change to the balance. `generation_id` is set when the reference is one of the
    user's generations that still exists."""

    id: str
    delta: int
    reason: LedgerReason
    reference: str | None
    balance_after: int
    created_at: datetime
    generation_id: str | None


@dataclass(frozen=True)
class DayUsage:
    day: date
    succeeded: int
    failed: int  # failed, expired or canceled
    in_progress: int  # queued or processing
    credits_spent: int  # credits charged for the day's generations

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.in_progress


@dataclass(frozen=True)
class UsageTotals:
    generations: int
    succeeded: int
    failed: int
    in_progress: int
    credits_spent: int


@dataclass(frozen=True)
class UsageSummary:
    days: list[DayUsage]  # oldest first, ending today
    totals: UsageTotals


def ledger_page(
    session: Session, *, user_id: str, cursor: str | None = None, limit: int = 20
) -> tuple[list[LedgerEntry], str | None]:
    """The user's ledger newest first, cursor-paginated by id (ids sort by creation)."""
    limit = max(1, min(limit, MAX_LEDGER_PAGE))
    query = select(CreditLedger).where(col(CreditLedger.user_id) == user_id)
    if cursor:
        query = query.where(col(CreditLedger.id) < cursor)
    rows = list(session.exec(query.order_by(col(CreditLedger.id).desc()).limit(limit + 1)).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    generations = _own_generations(session, user_id, (row.reference for row in rows))
    entries = [
        LedgerEntry(
            id=row.id,
            delta=row.delta,
            reason=row.reason,
            reference=row.reference,
            balance_after=row.balance_after,
            created_at=row.created_at,
            generation_id=row.reference if row.reference in generations else None,
        )
        for row in rows
    ]
    return entries, (rows[-1].id if has_more and rows else None)


def _own_generations(session: Session, user_id: str, references: Iterable[str | None]) -> set[str]:
    """Which of these references are generations the user still has (deleted ones get no link)."""
    wanted = {ref for ref in references if ref}
    if not wanted:
        return set()
    found = session.exec(
        select(Generation.id).where(col(Generation.user_id) == user_id).where(col(Generation.id).in_(wanted))
    ).all()
    return set(found)


def daily_usage(
    session: Session, *, user_id: str, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> list[DayUsage]:
    """One entry per UTC day, oldest first, ending today; days without generations are zeros."""
    days = max(1, min(days, MAX_DAYS))
    today = (now or utcnow()).astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    rows = session.exec(
        select(Generation.created_at, Generation.status, Generation.credits_charged)
        .where(col(Generation.user_id) == user_id)
        .where(col(Generation.created_at) >= since)
    ).all()
    counts = {first + timedelta(days=offset): [0, 0, 0, 0] for offset in range(days)}
    for created_at, status, charged in rows:
        bucket = counts.get(created_at.astimezone(UTC).date())
        if bucket is None:  # created after `now` (a clock ahead of ours): not in the window
            continue
        if status == GenerationStatus.SUCCEEDED:
            bucket[0] += 1
        elif status in ENDED_WITHOUT_IMAGES:
            bucket[1] += 1
        else:
            bucket[2] += 1
        bucket[3] += charged
    return [
        DayUsage(day=day, succeeded=s, failed=f, in_progress=p, credits_spent=c) for day, (s, f, p, c) in counts.items()
    ]


def summary(session: Session, *, user_id: str, days: int = DEFAULT_DAYS, now: datetime | None = None) -> UsageSummary:
    """The per-day series of the last `days` UTC days and its totals."""
    series = daily_usage(session, user_id=user_id, days=days, now=now)
    totals = UsageTotals(
        generations=sum(d.total for d in series),
        succeeded=sum(d.succeeded for d in series),
        failed=sum(d.failed for d in series),
        in_progress=sum(d.in_progress for d in series),
        credits_spent=sum(d.credits_spent for d in series),
    )
    return UsageSummary(days=series, totals=totals)
