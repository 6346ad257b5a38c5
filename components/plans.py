"""The pricing table and the billing summary. Pure UI: every value comes in as an argument."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.vars.sequence import ArrayVar

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
    # Replaces the action link when set: the plan's checkout buttons.
    actions: rx.Component | None = None


def _action(plan: PlanCard, *, current: rx.Var[bool], signed_in: rx.Var[bool]) -> rx.Component:
    variant = "solid" if plan.highlighted else "soft"
    label, href = plan.action
    usual = plan.actions if plan.actions is not None else link_button(label, href=href, size="3", width="100%",
                                                                       variant=variant)
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


def billing_status(enabled: rx.Var[bool], *, has_customer: rx.Var[bool] | bool = False,
                   on_manage: Any = None) -> rx.Component:
    """What this installation can do about payments: the portal, the pricing page, or an honest no."""
    return rx.cond(
        enabled,
        rx.cond(
            has_customer,
            rx.hstack(rx.text("Change your card or plan, or cancel, on Stripe's secure page.", size="2",
                              color=theme.TEXT_MUTED),
                      rx.button("Manage billing", variant="soft", on_click=on_manage),
                      justify="between", align="center", width="100%", wrap="wrap", gap="0.75rem"),
            rx.hstack(rx.text("Pay with Stripe for a plan or a credit pack.", size="2", color=theme.TEXT_MUTED),
                      link_button("See plans", href="/pricing", variant="soft"),
                      justify="between", align="center", width="100%", wrap="wrap", gap="0.75rem"),
        ),
        rx.callout("Billing is not set up on this installation: there is nothing to pay here. An administrator "
                   "sets plans and credits.", icon="info", color_scheme="gray", width="100%", role="status"),
    )


# --- buying: Checkout buttons, credit packs, the billing page ------------------------------------

Offer = Any  # one row of an ArrayVar: indexable by key


def checkout_buttons(offers: ArrayVar[Sequence[dict[str, str]]], *, tier: str, enabled: rx.Var[bool],
                     starting: rx.Var[str], on_choose: Callable[[Any], Any], solid: bool) -> rx.Component:
    """One button per price of `tier` (monthly, yearly), or a plain statement when billing is off."""
    return rx.cond(
        enabled,
        rx.vstack(
            rx.foreach(offers, lambda offer: rx.cond(
                offer["tier"] == tier,
                rx.button(f"Choose {tier.title()} · ", offer["label"], " ", offer["price"], size="3", width="100%",
                          variant="solid" if solid else "soft", loading=starting == offer["price_id"],
                          on_click=on_choose(offer["price_id"])),
                rx.fragment())),
            spacing="2", width="100%"),
        rx.button("Billing is not set up", size="3", width="100%", variant="soft", color_scheme="gray",
                  disabled=True),
    )


def credit_packs(packs: ArrayVar[Sequence[dict[str, str]]], *, enabled: rx.Var[bool], starting: rx.Var[str],
                 on_choose: Callable[[Any], Any]) -> rx.Component:
    """The one-off credit packs, each with its buy button."""
    def pack(offer: Offer) -> rx.Component:
        return rx.hstack(
            rx.vstack(rx.text(offer["label"], weight="bold", size="3", color=theme.TEXT),
                      rx.text(offer["credits"], " credits, no subscription", size="2", color=theme.TEXT_MUTED),
                      spacing="1"),
            rx.cond(enabled,
                    rx.button("Buy · ", offer["price"], variant="soft", loading=starting == offer["price_id"],
                              on_click=on_choose(offer["price_id"])),
                    rx.button("Billing is not set up", variant="soft", color_scheme="gray", disabled=True)),
            justify="between", align="center", width="100%", padding="1rem 1.25rem",
            border=f"1px solid {theme.BORDER}", border_radius=theme.RADIUS_CARD, background=theme.SURFACE,
        )

    return rx.cond(
        packs.length() > 0,
        rx.vstack(rx.heading("Credit packs", as_="h2", size="5", color=theme.TEXT),
                  rx.text("More credits without a plan: they never expire and carry over if you upgrade.",
                          size="2", color=theme.TEXT_MUTED),
                  rx.grid(rx.foreach(packs, pack), columns={"initial": "1", "md": "2"}, gap="0.75rem",
                          width="100%"),
                  spacing="3", width="100%"),
        rx.fragment(),
    )


def plan_notices(*, past_due: rx.Var[bool], cancel_at_period_end: rx.Var[bool], period_end: rx.Var[str],
                 waiting: rx.Var[bool]) -> rx.Component:
    """What the viewer must know about their subscription right now."""
    return rx.vstack(
        rx.cond(past_due, rx.callout(
            "Your last payment failed. Stripe retries the card over the next days and your plan stays on "
            "meanwhile; update the card with Manage billing to keep it.",
            icon="triangle-alert", color_scheme="red", width="100%", role="alert")),
        rx.cond(cancel_at_period_end, rx.callout(
            rx.text("Your plan is canceled and ends on ", period_end,
                    ". You keep it, and your credits, until then; afterwards you are on Free."),
            icon="calendar-x", color_scheme="amber", width="100%", role="status")),
        rx.cond(waiting, rx.callout(
            "Payment received. Waiting for Stripe to confirm your plan: this page updates by itself.",
            icon="loader", width="100%", role="status")),
        spacing="3", width="100%",
    )


def invoice_table(invoices: ArrayVar[Sequence[dict[str, str]]]) -> rx.Component:
    """The viewer's invoices, each with its PDF when the copy is stored."""
    def row(invoice: Offer) -> rx.Component:
        return rx.table.row(
            rx.table.cell(invoice["date"]),
            rx.table.cell(invoice["amount"]),
            rx.table.cell(rx.badge(invoice["status"], variant="soft")),
            rx.table.cell(rx.cond(invoice["pdf_url"] != "",
                                  # rx.download, not a link: the router would take /api/... for a page.
                                  rx.button(rx.icon("download", size=14), "Download PDF", size="1", variant="soft",
                                            on_click=rx.download(url=invoice["pdf_url"],
                                                                 filename="dreampixel-invoice.pdf")),
                                  rx.text("Preparing…", color=theme.TEXT_MUTED))),
        )

    return rx.vstack(
        rx.heading("Invoices", as_="h2", size="5", color=theme.TEXT),
        rx.cond(
            invoices.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h)
                                               for h in ("Date", "Amount", "Status", "PDF")])),
                rx.table.body(rx.foreach(invoices, row)),
                width="100%", variant="surface"),
            rx.text("No invoices yet.", size="2", color=theme.TEXT_MUTED),
        ),
        spacing="3", width="100%",
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
