"""Full-page notices: "coming soon", "not found"."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.buttons import link_button
from components.layout import content


def notice(*, icon: str, eyebrow: str, title: str, body: str, action: tuple[str, str] | None = None) -> rx.Component:
    return content(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=26, color=theme.BRAND_TEXT),
                width="56px",
                height="56px",
                border_radius="var(--radius-5)",
                background=theme.BRAND_SOFT,
            ),
            rx.text(
                eyebrow,
                size="2",
                weight="bold",
                color=theme.BRAND_TEXT,
                text_transform="uppercase",
                letter_spacing="0.08em",
            ),
            rx.heading(
                title,
                as_="h1",
                size={"initial": "7", "sm": "8"},
                color=theme.TEXT,
                letter_spacing=theme.HEADING_TRACKING,
                text_align="center",
            ),
            rx.text(body, size="3", color=theme.TEXT_MUTED, text_align="center", max_width="32rem"),
            link_button(action[0], href=action[1], size="3") if action else rx.fragment(),
            spacing="4",
            align="center",
        ),
        padding_y=rx.breakpoints(initial="4rem", sm="7rem"),
    )
