"""What billing's verbs answer: the operator commands print them, pages and the API build on them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from dreampixel.core.models import Tier


class AllowanceGrant(BaseModel):
    """One plan allowance granted: `amount` may be 0 when a top-up found the balance full."""

    user_id: str
    tier: Tier
    period: str
    amount: int
    balance: int


class RenewalReport(BaseModel):
    """What one pass of the monthly renewal did; `more` says another pass has work left."""

    period: str
    granted: int
    more: bool


class CreditChange(BaseModel):
    """Credits added or removed by hand; `amount` is the change applied (a removal past the balance is refused)."""

    user_id: str
    email: str
    amount: int
    balance: int
    reason: str


class TierChange(BaseModel):
    user_id: str
    email: str
    tier: Tier
    previous: Tier
    granted: int
    balance: int


class UsageWarning(BaseModel):
    """A banner line: the daily limit nearly or fully used, or credits running low or out."""

    kind: Literal["daily_limit_80", "daily_limit_100", "credits_low", "credits_out"]
    message: str
