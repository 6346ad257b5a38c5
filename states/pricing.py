"""/pricing: public, but a signed-in visitor sees which plan is theirs."""

from __future__ import annotations

import asyncio

import reflex as rx

from states.edge import plans
from states.session import current_viewer


class PricingState(rx.State):
    signed_in: rx.Field[bool] = rx.field(False)
    current_tier: rx.Field[str] = rx.field("")  # "" for a signed-out visitor

    @rx.event
    async def load(self) -> None:
        """on_load: nobody is sent away; the viewer's own tier is read when someone is signed in."""
        viewer = await current_viewer(self)
        self.signed_in = viewer is not None
        self.current_tier = (await asyncio.to_thread(plans.current_plan, viewer)).tier if viewer else ""
