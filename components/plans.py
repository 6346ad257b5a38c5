"""The pricing table and the billing summary. Pure UI: every value comes in as an argument."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from components import theme
from components.buttons import link_button


@dataclass(frozen=True)
class PlanCard:
    name: str
    pitch: str
    generations: str
    api_requests: str
    points: tuple[str, ...]
    action: tuple[str, str]  # (label, href)
    highlighted: bool = False
    # What a signed-in visitor is offered instead (someone with an account does not sign up again).
    signed_in_action: tuple[str, str] | None = None


def _action(plan: PlanCard, *, current: rx.Var[bool], signed_in: rx.Var[bool]) -> rx.Component:
    variant = "solid" if plan.highlighted else "soft"
    label, href = plan.action
    usual = link_button(label, href=href, size="3", width="100%", variant=variant)
    if plan.signed_in_action is not None:
        usual = rx.cond(signed_in, link_button(plan.signed_in_action[0], href=plan.signed_in_action[1], size="3",
                                               width="100%", variant=variant), usual)
    mine = link_button("Your plan · see billing", href="/billing", size="3", width="100%", variant="outline")
    return rx.cond(current, mine, usual)


def plan_card(plan: PlanCard, *, current_tier: rx.Var[str], signed_in: rx.Var[bool]) -> rx.Component:
    current = current_tier == plan.name
    return rx.el.article(
        rx.vstack(
            rx.hstack(
                rx.heading(plan.name, as_="h2", size="4", letter_spacing="0.06em", color=theme.TEXT),
                rx.cond(current, rx.badge(rx.icon("circle-check", size=12), "Your plan", color_scheme="green",
                                          variant="soft", radius="full"),
                        rx.badge("Most popular", variant="solid", radius="full") if plan.highlighted
                        else rx.fragment()),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.text(plan.pitch, size="2", color=theme.TEXT_MUTED, min_height=theme.two_lines("2")),
            rx.text(plan.generations, size="6", weight="bold", color=theme.TEXT,
                    letter_spacing=theme.HEADING_TRACKING, min_height=theme.two_lines("6")),
            rx.text(plan.api_requests, size="2", color=theme.TEXT_MUTED),
            rx.separator(size="4", margin_y="0.25rem"),
            rx.vstack(
                *[rx.hstack(rx.icon("check", size=16, color=theme.BRAND_TEXT, flex_shrink="0", margin_top="2px"),
                            rx.text(point, size="2", color=theme.TEXT), spacing="2", align="start")
                  for point in plan.points],
                spacing="2",
                flex="1",
            ),
            _action(plan, current=current, signed_in=signed_in),
            spacing="3",
            height="100%",
        ),
        aria_label=f"{plan.name} plan",
        aria_current=rx.cond(current, "true", "false"),
        style={"padding": "1.75rem", "border_radius": theme.RADIUS_CARD, "height": "100%",
               "border": f"1px solid {theme.BRAND_BORDER if plan.highlighted else theme.BORDER}",
               "background": theme.SURFACE,
               "box_shadow": theme.SHADOW_CARD if plan.highlighted else "none"},
    )


def pricing_table(plans: list[PlanCard], *, current_tier: rx.Var[str], signed_in: rx.Var[bool]) -> rx.Component:
    """The plans side by side; the signed-in visitor's own plan is marked."""
    return rx.grid(*[plan_card(plan, current_tier=current_tier, signed_in=signed_in) for plan in plans],
                   columns={"initial": "1", "md": "3"}, gap="1rem", width="100%", align_items="stretch")


def stat(label: str, value: rx.Var | str, hint: rx.Var | str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", color=theme.TEXT_MUTED),
        rx.text(value, size="7", weight="bold", color=theme.TEXT, letter_spacing=theme.HEADING_TRACKING),
        rx.text(hint, size="2", color=theme.TEXT_MUTED),
        spacing="1",
        padding="1.5rem",
        border=f"1px solid {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
        width="100%",
    )


def billing_status(enabled: rx.Var[bool]) -> rx.Component:
    """An honest statement of what this installation can do about payments."""
    return rx.cond(
        enabled,
        rx.callout("Online checkout and plan changes arrive with the billing work; until then your plan is set "
                   "by an administrator.", icon="info", width="100%"),
        rx.callout("Billing is not set up on this installation: there is nothing to pay here. An administrator "
                   "sets plans and credits.", icon="info", color_scheme="gray", width="100%", role="status"),
    )


def credits_explainer(*, free_allowance: int) -> rx.Component:
    """What a credit buys: one image up to a megapixel, two above; where the free ones come from."""
    rows = (
        ("image", "1 credit", "one image up to 1 megapixel (1024 x 1024 or smaller)"),
        ("images", "2 credits", "one image above 1 megapixel, such as 1216 x 1216"),
        ("layers", "Per variation", "four variations of a 1024 x 1024 prompt cost 4 credits"),
    )
    return rx.el.section(
        rx.vstack(
            rx.heading("What is a credit?", as_="h2", size="5", id="credits-heading", color=theme.TEXT),
            rx.text("Every generation spends credits from your balance. A generation that fails, or that you "
                    "cancel before it starts, gives them back.", size="2", color=theme.TEXT_MUTED),
            rx.grid(
                *[rx.hstack(rx.icon(icon, size=18, color=theme.BRAND_TEXT, flex_shrink="0", margin_top="2px"),
                            rx.vstack(rx.text(cost, size="3", weight="bold", color=theme.TEXT),
                                      rx.text(what, size="2", color=theme.TEXT_MUTED), spacing="0"),
                            spacing="3", align="start")
                  for icon, cost, what in rows],
                columns={"initial": "1", "sm": "3"},
                gap="1rem",
                width="100%",
            ),
            rx.text(f"Confirming your email gives the Free plan's {free_allowance:,} credits, and the balance is "
                    "topped up to that allowance on the first of every month (UTC).", size="2", color=theme.TEXT_MUTED),
            spacing="3",
            width="100%",
        ),
        aria_labelledby="credits-heading",
        style={"padding": "1.5rem", "border": f"1px solid {theme.BORDER}", "border_radius": theme.RADIUS_CARD,
               "background": theme.SURFACE, "width": "100%"},
    )
