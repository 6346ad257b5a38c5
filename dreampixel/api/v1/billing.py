"""/api/v1/billing: the key owner's plan as Stripe last reported it (scope `account:read`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from dreampixel.api.deps import ApiCaller, SessionDep, require
from services.billing import subscriptions
from services.billing.billing_schemas import SubscriptionPublic

router = APIRouter(prefix="/billing", tags=["billing"])

Caller = Annotated[ApiCaller, require("account:read")]


@router.get("/subscription")
def get_subscription(session: SessionDep, caller: Caller) -> SubscriptionPublic:
    """Tier, Stripe status, whether it ends at the period's end, and when the period ends."""
    return subscriptions.current(session, user_id=caller.user_id)
