"""/billing: the signed-in user's plan and credits, read anew on every load."""

from __future__ import annotations

import asyncio

import reflex as rx

from states.edge import plans
from states.edge.accounts import Viewer
from states.session import viewer_required


class PlansState(rx.State):
    # False until the signed-in check has passed: a signed-out visitor never sees the page.
    ready: bool = False
    tier: str = ""
    credits: int = 0
    allowance: str = ""
    billing_enabled: bool = False

    def _forget(self) -> None:
        self.ready = False

    @rx.event
    @viewer_required(signed_out=_forget)
    async def load(self, viewer: Viewer):
        plan = await asyncio.to_thread(plans.current_plan, viewer)
        self.tier, self.credits, self.allowance = plan.tier, plan.credits, plan.generations
        self.billing_enabled = plan.billing_enabled
        self.ready = True
        return None
