"""/api/v1/account: the key owner's account, credit ledger and daily usage (scope `account:read`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from dreampixel.api.deps import ApiCaller, SessionDep, require
from dreampixel.core.schemas import Page
from services.accounts import service as accounts
from services.accounts.schemas import AccountPublic
from services.credits import usage
from services.credits.schemas import LedgerEntryPublic, UsagePublic
from services.generation import service as generations

router = APIRouter(prefix="/account", tags=["account"])

Caller = Annotated[ApiCaller, require("account:read")]


@router.get("")
def get_account(session: SessionDep, caller: Caller) -> AccountPublic:
    """Who the key belongs to, the credit balance and today's generation allowance."""
    user = accounts.active_user(session, caller.user_id)
    return AccountPublic.of(user, generations.usage(session, user))


@router.get("/credits")
def list_credits(
    session: SessionDep,
    caller: Caller,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=usage.MAX_LEDGER_PAGE)] = 20,
) -> Page[LedgerEntryPublic]:
    """The credit ledger, newest first: every hold, release, grant and purchase with the balance after."""
    entries, next_cursor = usage.ledger_page(session, user_id=caller.user_id, cursor=cursor, limit=limit)
    return Page[LedgerEntryPublic].of([LedgerEntryPublic.of(e) for e in entries], next_cursor)


@router.get("/usage")
def get_usage(
    session: SessionDep,
    caller: Caller,
    days: Annotated[int, Query(ge=1, le=usage.MAX_DAYS)] = usage.DEFAULT_DAYS,
) -> UsagePublic:
    """Generations per UTC day for the last `days` days (today included, oldest first, empty days as zeros)."""
    return UsagePublic.of(usage.summary(session, user_id=caller.user_id, days=days), days)
