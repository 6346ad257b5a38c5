"""/billing: the signed-in user's plan and credits, read anew on every load."""

from __future__ import annotations

import asyncio

import reflex as rx

from states.edge import plans
from states.edge.accounts import Viewer
from states.session import viewer_required


class PlansState(rx.State):
    # False until the signed-in check has passed: a signed-out visitor never sees the page.
    ready: rx.Field[bool] = rx.field(False)
    tier: rx.Field[str] = rx.field("")
    credits: rx.Field[int] = rx.field(0)
    allowance: rx.Field[str] = rx.field("")
    billing_enabled: rx.Field[bool] = rx.field(False)

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
