"""The account page's usage section: the viewer's balance, allowance, daily series and ledger.

Each function opens its own unit of work (see states/edge/__init__.py) and returns display
values (frozen dataclasses of strings and numbers, never rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from dreampixel.core.db import uow
from dreampixel.core.errors import NotFound
from dreampixel.core.models import Generation, LedgerReason
from services.accounts import service as accounts
from services.billing import warnings as usage_warnings
from services.credits import usage
from services.credits.usage import DayUsage, LedgerEntry
from services.gallery import service as gallery
from services.generation import service as generations
from states.edge.accounts import Viewer

LEDGER_PAGE = 10
REASONS = {
    LedgerReason.HOLD: "Held for a generation",
    LedgerReason.RELEASE: "Returned: not delivered",
    LedgerReason.CHARGE: "Charged for a generation",
    LedgerReason.GRANT: "Credits added",
    LedgerReason.PURCHASE: "Credits bought",
    LedgerReason.SUBSCRIPTION: "Credits from your plan",
    LedgerReason.REFUND: "Refund",
    LedgerReason.ADJUSTMENT: "Adjustment by support",
}
# A hold row once its generation has ended: it was charged, or the credits came back.
HOLD_OUTCOMES = {
    "queued": "Held for a running generation",
    "processing": "Held for a running generation",
    "failed": "Held, then returned",
    "canceled": "Held, then returned",
    "expired": "Held, then returned",
}
# Grants whose reference says more than "credits added".
GRANT_REFERENCES = {"signup": "Welcome credits"}


@dataclass(frozen=True)
class LedgerRow:
    id: str
    day: str  # "2026-11-24", UTC
    time: str  # "14:03", UTC
    change: str  # "+50", "-1"
    gained: bool
    reason: str
    balance: str
    generation_href: str  # "" when the change is not about one of the user's generations


@dataclass(frozen=True)
class ChartDay:
    date: str  # ISO date, UTC
    label: str  # "Nov 24"
    succeeded: int
    failed: int
    in_progress: int
    credits: int


@dataclass(frozen=True)
class LedgerSlice:
    rows: list[LedgerRow]
    next_cursor: str | None


@dataclass(frozen=True)
class UsageOverview:
    balance: int
    daily_used: int
    daily_limit: int
    daily_note: str  # "89 left today", or when the next one is possible once none are left
    days: list[ChartDay]
    generations: int
    succeeded: int
    failed: int
    credits_spent: int
    ledger: LedgerSlice
    warning: str = ""  # the usage banner: daily limit nearly used, credits low or out


def gallery_href(generation_id: str) -> str:
    return "/gallery?" + urlencode({"generation": generation_id})


def _reason(entry: LedgerEntry, outcome: str = "") -> str:
    if entry.reason is LedgerReason.GRANT and entry.reference in GRANT_REFERENCES:
        return GRANT_REFERENCES[entry.reference]
    if entry.reason is LedgerReason.HOLD and outcome:
        return outcome
    return REASONS.get(entry.reason, entry.reason.value.capitalize())


def _hold_outcome(status: str, *, held: int, charged: int) -> str:
    """What became of a hold, from its generation's status and what was charged."""
    if status == "succeeded" or charged > 0:  # a cancel that reached the provider is charged too
        return "Charged for a generation" + (" (the rest returned)" if 0 < charged < held else "")
    return HOLD_OUTCOMES.get(status, "")


def _held_generations(owned: Callable[[list[str]], list[Generation]],
                      entries: list[LedgerEntry]) -> dict[str, Generation]:
    """The generations the page's holds are for, read in one query (not one per row)."""
    held = [entry.generation_id for entry in entries if entry.reason is LedgerReason.HOLD and entry.generation_id]
    try:
        return {generation.id: generation for generation in owned(held)}
    except NotFound:  # one was deleted since the page was read: those holds then say "held" only
        return {}


def _rows(entries: list[LedgerEntry], generations_by_id: dict[str, Generation]) -> list[LedgerRow]:
    """Ledger rows; a hold whose generation still exists says what became of it."""
    rows = []
    for entry in entries:
        generation = generations_by_id.get(entry.generation_id or "")
        outcome = ""
        if entry.reason is LedgerReason.HOLD and generation is not None:
            outcome = _hold_outcome(generation.status.value, held=generation.credits_held,
                                    charged=generation.credits_charged)
        rows.append(_row(entry, outcome))
    return rows


def _row(entry: LedgerEntry, outcome: str = "") -> LedgerRow:
    return LedgerRow(
        id=entry.id,
        day=f"{entry.created_at:%Y-%m-%d}",
        time=f"{entry.created_at:%H:%M}",
        change=f"{entry.delta:+d}",
        gained=entry.delta > 0,
        reason=_reason(entry, outcome),
        balance=str(entry.balance_after),
        generation_href=gallery_href(entry.generation_id) if entry.generation_id else "",
    )


def _daily_note(remaining: int, resets_at: datetime | None) -> str:
    if remaining > 0:
        return f"{remaining} left today"
    # The window slides: a slot frees up when the oldest counted generation leaves it.
    return f"next one at {resets_at:%H:%M} UTC" if resets_at else "none left today"


def _day(day: DayUsage) -> ChartDay:
    return ChartDay(
        date=day.day.isoformat(),
        label=f"{day.day:%b} {day.day.day}",
        succeeded=day.succeeded,
        failed=day.failed,
        in_progress=day.in_progress,
        credits=day.credits_spent,
    )


def ledger(viewer: Viewer, *, cursor: str | None = None, limit: int = LEDGER_PAGE) -> LedgerSlice:
    """One page of the viewer's ledger, newest first."""
    with uow() as session:
        entries, next_cursor = usage.ledger_page(session, user_id=viewer.user_id, cursor=cursor, limit=limit)
        held = _held_generations(
            lambda ids: gallery.owned(session, user_id=viewer.user_id, generation_ids=ids), entries)
        rows = _rows(entries, held)
        return LedgerSlice(rows=rows, next_cursor=next_cursor)


def overview(viewer: Viewer, *, days: int = usage.DEFAULT_DAYS) -> UsageOverview:
    """Balance, today's allowance, the per-day series and the first page of the ledger, read together."""
    user_id = viewer.user_id
    with uow() as session:
        user = accounts.active_user(session, user_id)
        daily = generations.usage(session, user)
        summary = usage.summary(session, user_id=user_id, days=days)
        entries, next_cursor = usage.ledger_page(session, user_id=user_id, limit=LEDGER_PAGE)
        held = _held_generations(lambda ids: gallery.owned(session, user_id=user_id, generation_ids=ids), entries)
        return UsageOverview(
            balance=user.credit_balance,
            daily_used=daily["used"],
            daily_limit=daily["limit"],
            daily_note=_daily_note(daily["remaining"], daily["resets_at"]),
            days=[_day(d) for d in summary.days],
            generations=summary.totals.generations,
            succeeded=summary.totals.succeeded,
            failed=summary.totals.failed,
            credits_spent=summary.totals.credits_spent,
            ledger=LedgerSlice(rows=_rows(entries, held), next_cursor=next_cursor),
            warning=usage_warnings.banner_line(user=user, limit=daily["limit"], used=daily["used"],
                                               resets_at=daily["resets_at"]),
        )
