"""`/billing` (signed in): plan and status, credits, invoices with their PDF, and Stripe's portal."""

from __future__ import annotations

import reflex as rx

from components.buttons import link_button
from components.layout import content
from components.plans import billing_status, invoice_table, plan_notices, stat
from components.seeds import page_heading
from dreampixel.pages.shell import page
from states.billing import BillingState


@page(route="/billing", title="Billing · Dream Pixel", on_load=BillingState.load)
def billing() -> rx.Component:
    return rx.cond(
        BillingState.ready,
        content(
            rx.vstack(
                page_heading("Billing", "Your plan, credits and invoices.",
                             link_button("Compare plans", href="/pricing", variant="soft", size="3")),
                plan_notices(past_due=BillingState.past_due, cancel_at_period_end=BillingState.cancel_at_period_end,
                             period_end=BillingState.period_end, waiting=BillingState.waiting),
                rx.grid(
                    rx.box(stat("Current plan", BillingState.tier, BillingState.allowance),
                           data_testid="current-plan"),
                    rx.box(stat("Credits", BillingState.credits, "One credit per image up to a megapixel."),
                           data_testid="credit-balance"),
                    columns={"initial": "1", "sm": "2"},
                    gap="1rem",
                    width="100%",
                ),
                billing_status(BillingState.billing_enabled, has_customer=BillingState.has_customer,
                               on_manage=BillingState.manage),
                invoice_table(BillingState.invoices),
                spacing="5",
                width="100%",
            ),
            padding_y=rx.breakpoints(initial="2rem", sm="3rem"),
        ),
    )
