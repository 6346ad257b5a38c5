"""The pricing and billing pages' entry points: the tiers' limits and the viewer's plan (services.plans).

Synchronous on purpose: states run `current_plan` with `asyncio.to_thread`.
"""

from __future__ import annotations

from dreampixel.core.db import uow
from services.plans import service as plans
from services.plans.service import CurrentPlan, all_limits
from states.edge.accounts import Viewer

__all__ = ["CurrentPlan", "all_limits", "current_plan"]  # the pricing page lists all_limits()


def current_plan(viewer: Viewer) -> CurrentPlan:
    """The viewer's tier, credit balance and allowance, read now."""
    with uow() as session:
        return plans.current_plan(session, user_id=viewer.user_id)
