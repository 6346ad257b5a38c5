"""Plans: each tier's allowance and API rate limit as people read them, and a user's current plan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from dreampixel.core.models import Tier
from dreampixel.core.settings import settings
from services.accounts import service as accounts


@dataclass(frozen=True)
class PlanLimits:
    tier: str
    generations: str  # "100 generations / day"
    api_requests: str  # "1,000 API requests / 15 min"


@dataclass(frozen=True)
class CurrentPlan:
    tier: str
    credits: int
    generations: str
    billing_enabled: bool


def _window(seconds: int) -> str:
    if seconds == 86_400:
        return "day"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60:g} min" if seconds % 60 == 0 else f"{seconds} s"


def limits(tier: str) -> PlanLimits:
    """A tier's generation allowance and API rate limit, as people read them."""
    count, window = settings.generation_limit(tier)
    requests, api_window = settings.api_rate_limit(tier)
    unit = "generation" if count == 1 else "generations"
    return PlanLimits(tier=tier.upper(), generations=f"{count:,} {unit} / {_window(window)}",
                      api_requests=f"{requests:,} API requests / {_window(api_window)}")


def all_limits() -> list[PlanLimits]:
    return [limits(tier.value) for tier in Tier]


def billing_enabled() -> bool:
    return settings.stripe_enabled


def current_plan(session: Session, *, user_id: str) -> CurrentPlan:
    """The user's tier, credit balance and allowance, read now."""
    user = accounts.active_user(session, user_id)
    return CurrentPlan(tier=user.tier.value, credits=user.credit_balance,
                       generations=limits(user.tier.value).generations, billing_enabled=billing_enabled())
