"""/api/v1/account: the key owner's account, credit ledger and daily usage (scope `account:read`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from dreampixel.api.deps import ApiCaller, SessionDep, require
from services.accounts import service as accounts
from services.credits import usage
from services.generation import service as generations

router = APIRouter(prefix="/account", tags=["account"])

Caller = Annotated[ApiCaller, require("account:read")]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@router.get("")
def get_account(session: SessionDep, caller: Caller) -> dict[str, Any]:
    """Who the key belongs to, the credit balance and today's generation allowance."""
    user = accounts.active_user(session, caller.user_id)
    daily = generations.usage(session, user)
    return {
        "object": "account",
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "tier": user.tier.value.lower(),
        "email_verified": user.email_verified_at is not None,
        "credit_balance": user.credit_balance,
        "daily": {**daily, "resets_at": _iso(daily["resets_at"])},
        "created_at": _iso(user.created_at),
    }


@router.get("/credits")
def list_credits(
    session: SessionDep,
    caller: Caller,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=usage.MAX_LEDGER_PAGE)] = 20,
) -> dict[str, Any]:
    """The credit ledger, newest first: every hold, release, grant and purchase with the balance after."""
    entries, next_cursor = usage.ledger_page(session, user_id=caller.user_id, cursor=cursor, limit=limit)
    return {
        "object": "list",
        "data": [
            {
                "object": "ledger_entry",
                "id": e.id,
                "delta": e.delta,
                "reason": e.reason.value,
                "reference": e.reference,
                "generation_id": e.generation_id,
                "balance_after": e.balance_after,
                "created_at": _iso(e.created_at),
            }
            for e in entries
        ],
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }


@router.get("/usage")
def get_usage(
    session: SessionDep,
    caller: Caller,
    days: Annotated[int, Query(ge=1, le=usage.MAX_DAYS)] = usage.DEFAULT_DAYS,
) -> dict[str, Any]:
    """Generations per UTC day for the last `days` days (today included, oldest first, empty days as zeros)."""
    summary = usage.summary(session, user_id=caller.user_id, days=days)
    return {
        "object": "usage",
        "timezone": "UTC",
        "days": days,
        "totals": dataclasses.asdict(summary.totals),
        "data": [
            {
                "date": d.day.isoformat(),
                "generations": d.total,
                "succeeded": d.succeeded,
                "failed": d.failed,
                "in_progress": d.in_progress,
                "credits_spent": d.credits_spent,
            }
            for d in summary.days
        ],
    }
