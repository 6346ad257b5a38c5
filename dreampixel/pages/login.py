"""`/login`: sign-in form; accounts are not open yet, so it does nothing on purpose."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.forms import labelled_input
from components.layout import content, page_layout

TITLE = "Sign in · Dream Pixel"


def login() -> rx.Component:
    return page_layout(
        content(
            rx.center(
                rx.vstack(
                    rx.heading("Sign in", as_="h1", size="7", color=theme.TEXT, letter_spacing=theme.HEADING_TRACKING),
                    rx.text("Welcome back to Dream Pixel.", size="3", color=theme.TEXT_MUTED),
                    rx.callout(
                        "Accounts arrive soon. Sign-in opens here as soon as they do.",
                        icon="info",
                        color_scheme="violet",
                        variant="surface",
                        width="100%",
                    ),
                    rx.el.form(
                        rx.vstack(
                            labelled_input(
                                label="Email",
                                field_id="email",
                                type="email",
                                auto_complete="email",
                                placeholder="you@example.com",
                                disabled=True,
                            ),
                            labelled_input(
                                label="Password",
                                field_id="password",
                                type="password",
                                auto_complete="current-password",
                                disabled=True,
                            ),
                            rx.button("Sign in", type="button", size="3", width="100%", disabled=True),
                            spacing="4",
                            width="100%",
                        ),
                        width="100%",
                        aria_label="Sign in",
                    ),
                    spacing="4",
                    width="100%",
                    max_width="24rem",
                    padding="2rem",
                    border=f"1px solid {theme.BORDER}",
                    border_radius="var(--radius-6)",
                    background=theme.SURFACE,
                    box_shadow=theme.SHADOW_CARD,
                ),
                width="100%",
            ),
            padding_y=rx.breakpoints(initial="3rem", sm="5rem"),
        ),
    )
