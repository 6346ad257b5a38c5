"""/pricing's checkout buttons and /billing: plan, status, invoices, the portal, and the plan pushed live.

After Checkout, Stripe sends the viewer back to `/billing?checkout=success` before (or after)
its webhook lands; `watch` follows the viewer's event channel and re-reads the page when
billing publishes `billing.updated`, so the new plan appears without a reload.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import reflex as rx

from dreampixel.core.errors import DreamPixelError
from services.events import service as events
from states.edge import billing, plans
from states.edge.accounts import Viewer
from states.session import current_viewer, leave_for, viewer_required

# How long the success page waits for Stripe's webhook before it stops listening.
WATCH_SECONDS = 120.0


class PricingState(rx.State):
    """What /pricing sells, read at load so the page follows this installation's settings."""

    billing_enabled: rx.Field[bool] = rx.field(False)
    plans: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    packs: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    starting: rx.Field[str] = rx.field("")
    # The page is public, but a signed-in visitor sees which plan is theirs.
    signed_in: rx.Field[bool] = rx.field(False)
    current_tier: rx.Field[str] = rx.field("")  # "" for a signed-out visitor

    @rx.event
    async def load(self) -> None:
        """on_load: nobody is sent away; the viewer's own tier is read when someone is signed in."""
        offers = billing.offers()
        self.billing_enabled = offers.billing_enabled
        self.plans = [{k: str(v) for k, v in dataclasses.asdict(plan).items()} for plan in offers.plans]
        self.packs = [{k: str(v) for k, v in dataclasses.asdict(pack).items()} for pack in offers.packs]
        viewer = await current_viewer(self)
        self.signed_in = viewer is not None
        self.current_tier = (await asyncio.to_thread(plans.current_plan, viewer)).tier if viewer else ""

    @rx.event
    @viewer_required
    async def checkout(self, viewer: Viewer, price_id: str):
        """Open Stripe's hosted Checkout for a plan or a pack."""
        self.starting = price_id
        try:
            url = await asyncio.to_thread(billing.checkout, viewer, price_id=price_id, origin=self.router.url.origin)
        except DreamPixelError as error:
            self.starting = ""
            return rx.toast.error(error.message)
        return leave_for(url)


class BillingState(rx.State):
    # False until the signed-in check has passed: a signed-out visitor never sees the page.
    ready: rx.Field[bool] = rx.field(False)
    tier: rx.Field[str] = rx.field("")
    credits: rx.Field[int] = rx.field(0)
    allowance: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    billing_enabled: rx.Field[bool] = rx.field(False)
    has_customer: rx.Field[bool] = rx.field(False)
    past_due: rx.Field[bool] = rx.field(False)
    cancel_at_period_end: rx.Field[bool] = rx.field(False)
    period_end: rx.Field[str] = rx.field("")
    invoices: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    # Set on the return from Checkout until the webhook's change has been shown.
    waiting: rx.Field[bool] = rx.field(False)
    _tier_before: str = ""
    _credits_before: int = 0

    def _forget(self) -> None:
        self.ready = False
        self.invoices = []

    def _show(self, view: billing.BillingOverview) -> None:
        self.tier, self.credits, self.allowance, self.status = view.tier, view.credits, view.allowance, view.status
        self.billing_enabled, self.has_customer, self.past_due = view.billing_enabled, view.has_customer, view.past_due
        self.cancel_at_period_end, self.period_end = view.cancel_at_period_end, view.period_end
        self.invoices = [dataclasses.asdict(row) for row in view.invoices]
        self.ready = True

    @rx.event
    @viewer_required(signed_out=_forget)
    async def load(self, viewer: Viewer):
        self._show(await asyncio.to_thread(billing.overview, viewer))
        self._tier_before, self._credits_before = self.tier, self.credits
        self.waiting = self.router.url.query_parameters.get("checkout") == "success"
        return BillingState.watch if self.waiting else None

    @rx.event
    @viewer_required
    async def manage(self, viewer: Viewer):
        """Open Stripe's Customer Portal (card, plan change, cancel)."""
        try:
            url = await asyncio.to_thread(billing.portal, viewer, origin=self.router.url.origin)
        except DreamPixelError as error:
            return rx.toast.error(error.message)
        return leave_for(url)

    @rx.event(background=True)
    async def watch(self):
        """Follow the viewer's channel after Checkout and show each billing change as it lands."""
        async with self:
            viewer = await current_viewer(self)
        if viewer is None:
            return
        deadline = time.monotonic() + WATCH_SECONDS
        async with events.subscribe(viewer.user_id) as stream:
            iterator = aiter(stream)
            pending: asyncio.Future[dict[str, Any]] = asyncio.ensure_future(anext(iterator))
            try:
                # The webhook may have landed before the subscription started: read once now.
                await self._refresh(viewer)
                while (left := deadline - time.monotonic()) > 0:
                    done, _ = await asyncio.wait({pending}, timeout=left)
                    if not done:
                        break
                    event, pending = pending.result(), asyncio.ensure_future(anext(iterator))
                    # Keep listening after the plan arrives: the invoice's PDF follows a moment later.
                    if event.get("type") == "billing.updated":
                        await self._refresh(viewer)
            finally:
                pending.cancel()
                async with self:
                    self.waiting = False

    async def _refresh(self, viewer: Viewer) -> bool:
        """Re-read the page; True once the purchase shows (a new plan or more credits)."""
        view = await asyncio.to_thread(billing.overview, viewer)
        async with self:
            arrived = view.tier != self._tier_before or view.credits > self._credits_before
            self._show(view)
            if arrived:
                self.waiting = False
            return arrived
