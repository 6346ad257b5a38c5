"""Accounts as the API returns them: the key owner's account, and a user as an admin action leaves it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from dreampixel.core.models import Role, User, UserStatus
from dreampixel.core.schemas import Timestamp
from services.generation.schemas import DailyUsage


class AccountPublic(BaseModel):
    """Who an API key belongs to, the credit balance and today's generation allowance."""

    object: Literal["account"] = "account"
    id: str
    email: str
    name: str
    tier: str  # free | pro | ... (lowercase)
    email_verified: bool
    credit_balance: int
    daily: DailyUsage
    created_at: Timestamp | None

    @classmethod
    def of(cls, user: User, daily: dict[str, Any]) -> AccountPublic:
        return cls(id=user.id, email=user.email, name=user.name, tier=user.tier.value.lower(),
                   email_verified=user.email_verified_at is not None, credit_balance=user.credit_balance,
                   daily=DailyUsage(**daily), created_at=user.created_at)


class UserStanding(BaseModel):
    """A user's role and status after an admin action."""

    object: Literal["user"] = "user"
    id: str
    role: Role
    status: UserStatus

    @classmethod
    def of(cls, user: User) -> UserStanding:
        return cls(id=user.id, role=user.role, status=user.status)
