"""/billing: the signed-in user's plan and credits, read anew on every load."""

from __future__ import annotations

import asyncio

import reflex as rx

from states.edge import plans as portal
from states.session import current_viewer, to_login


class PlansState(rx.State):
    # False until the signed-in check has passed: a signed-out visitor never sees the page.
    ready: rx.Field[bool] = rx.field(False)
    tier: rx.Field[str] = rx.field("")
    credits: rx.Field[int] = rx.field(0)
    allowance: rx.Field[str] = rx.field("")
    billing_enabled: rx.Field[bool] = rx.field(False)

    @rx.event
    async def load(self):
        viewer = await current_viewer(self)
        if viewer is None:
            self.ready = False
            return to_login(self)
        plan = await asyncio.to_thread(portal.current_plan, viewer)
        self.tier, self.credits, self.allowance = plan.tier, plan.credits, plan.generations
        self.billing_enabled = plan.billing_enabled
        self.ready = True
        return None
