"""`/billing` (signed in): the current plan and credit balance, and what billing can do here."""

from __future__ import annotations

import reflex as rx

from components.buttons import link_button
from components.layout import content
from components.plans import billing_status, stat
from components.seeds import page_heading
from dreampixel.pages.shell import page
from states.plans import PlansState


@page(route="/billing", title="Billing · Dream Pixel", on_load=PlansState.load)
def billing() -> rx.Component:
    return rx.cond(
        PlansState.ready,
        content(
            rx.vstack(
                page_heading("Billing", "Your plan and credits.",
                             link_button("Compare plans", href="/pricing", variant="soft", size="3")),
                rx.grid(
                    stat("Current plan", PlansState.tier, PlansState.allowance),
                    stat("Credits", PlansState.credits, "One credit per image up to a megapixel."),
                    columns={"initial": "1", "sm": "2"},
                    gap="1rem",
                    width="100%",
                ),
                billing_status(PlansState.billing_enabled),
                spacing="5",
                width="100%",
            ),
            padding_y=rx.breakpoints(initial="2rem", sm="3rem"),
        ),
    )
