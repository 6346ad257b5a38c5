"""The pricing and billing pages' entry points: tier limits from settings, the viewer's plan.

Synchronous on purpose: states run `current_plan` with `asyncio.to_thread`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dreampixel.core.db import uow
from dreampixel.core.errors import NotFound
from dreampixel.core.models import Tier, User
from dreampixel.core.settings import settings
from states.edge.accounts import Viewer


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


def current_plan(viewer: Viewer) -> CurrentPlan:
    """The viewer's tier, credit balance and allowance, read now."""
    with uow() as session:
        user = session.get(User, viewer.user_id)
        if user is None:
            raise NotFound("No such user.")
        return CurrentPlan(tier=user.tier.value, credits=user.credit_balance,
                           generations=limits(user.tier.value).generations, billing_enabled=settings.stripe_enabled)
