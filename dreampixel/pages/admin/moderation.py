"""`/admin/moderation`: the seed queue (moderators and admins)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from components import theme
from components.admin import admin_frame
from dreampixel.pages.shell import page
from states.admin_moderation import AdminModerationState as M


def _seed(seed: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.text(seed["title"], weight="bold", size="3"),
            rx.badge(seed["category"], variant="soft"),
            rx.text("by ", seed["creator"], " · ", seed["submitted"], " · ", seed["examples"], " examples", size="1",
                    color=theme.TEXT_MUTED),
            gap="0.5rem",
            wrap="wrap",
            align="center",
        ),
        rx.text(seed["prompt"], size="2", color=theme.TEXT_MUTED, padding_y="0.5rem",
                style={"overflowWrap": "anywhere"}),
        rx.form(
            rx.flex(
                rx.el.input(type="hidden", name="seed_id", value=seed["id"]),
                rx.input(name="reason", placeholder="reason (needed to reject)", size="2", aria_label="Reason",
                         flex="1", min_width="12rem"),
                rx.button("Approve", name="decision", value="approve", type="submit", size="2", color_scheme="green"),
                rx.button("Reject", name="decision", value="reject", type="submit", size="2", color_scheme="red"),
                gap="0.5rem",
                wrap="wrap",
            ),
            on_submit=M.decide,
            reset_on_submit=True,
            aria_label="Decide on " + seed["title"].to(str),
        ),
        padding="1rem",
        border=f"1px solid {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
        width="100%",
    )


@page(route="/admin/moderation", title="Moderation · Admin · Dream Pixel", on_load=M.load)
def moderation() -> rx.Component:
    return admin_frame(
        rx.cond(M.seeds.length() > 0, rx.vstack(rx.foreach(M.seeds, _seed), spacing="3", width="100%"),
                rx.text("No seed is waiting for a decision.", size="2", color=theme.TEXT_MUTED)),
        title="Moderation",
        active="Moderation",
        checked=M.checked,
        allowed=M.allowed,
        is_admin=M.is_admin,
        notice_text=M.notice,
        problem=M.problem,
    )
