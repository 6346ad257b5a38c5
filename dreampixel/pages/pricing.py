"""`/pricing`: the three plans with the limits this installation enforces."""

from __future__ import annotations

import reflex as rx

from components.layout import content
from components.plans import PlanCard, checkout_buttons, credit_packs, credits_explainer, pricing_table
from components.seeds import page_heading
from dreampixel.core.settings import settings
from dreampixel.pages.shell import page
from states.billing import PricingState
from states.edge import plans

_POINTS = {
    "FREE": ("Every model and provider", "Live progress", "Public gallery and the seeds marketplace"),
    "PRO": ("Everything in Free", "Higher API rate limits", "Credits carry over when you upgrade"),
    "ENTERPRISE": ("Everything in Pro", "The highest API rate limits", "Credits carry over between periods"),
}
_PITCH = {
    "FREE": "Try it out, no card needed.",
    "PRO": "For people who create every day.",
    "ENTERPRISE": "For teams and products built on images.",
}
_ACTION = {
    "FREE": ("Start for free", "/signup"),
    "PRO": ("Choose Pro", "/billing"),
    "ENTERPRISE": ("Choose Enterprise", "/billing"),
}

# Someone already signed in starts on Free by generating, not by signing up again.
_SIGNED_IN_ACTION = {"FREE": ("Start generating", "/generate")}


def _credits(tier: str) -> str:
    return f"{settings.credit_allowance(tier):,} credits a month"


def _actions(tier: str) -> rx.Component | None:
    if tier == "FREE":
        return None
    return checkout_buttons(PricingState.plans, tier=tier, enabled=PricingState.billing_enabled,
                            starting=PricingState.starting, on_choose=PricingState.checkout, solid=tier == "PRO")


def _plans() -> list[PlanCard]:
    return [
        PlanCard(name=limits.tier, pitch=_PITCH[limits.tier], generations=limits.generations,
                 api_requests=limits.api_requests, points=(_credits(limits.tier), *_POINTS[limits.tier]),
                 action=_ACTION[limits.tier], highlighted=limits.tier == "PRO",
                 signed_in_action=_SIGNED_IN_ACTION.get(limits.tier), actions=_actions(limits.tier))
        for limits in plans.all_limits()
    ]


@page(route="/pricing", title="Pricing · Dream Pixel", on_load=PricingState.load, nav="Pricing", nav_order=4)
def pricing() -> rx.Component:
    return content(
        rx.vstack(
            page_heading("Pricing", "Every plan gets the same models, live progress and the seeds marketplace. "
                         "Plans differ in how much you create and how fast the API answers."),
            pricing_table(_plans(), current_tier=PricingState.current_tier, signed_in=PricingState.signed_in),
            credit_packs(PricingState.packs, enabled=PricingState.billing_enabled, starting=PricingState.starting,
                         on_choose=PricingState.checkout),
            credits_explainer(free_allowance=settings.credit_allowance("free")),
            spacing="6",
            width="100%",
        ),
        padding_y=rx.breakpoints(initial="2rem", sm="3rem"),
    )
