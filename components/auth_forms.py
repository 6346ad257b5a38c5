"""Building blocks of the sign-in, sign-up and recovery forms. Pure UI: vars come in as arguments.

Each field has a real <label>, its error sits right under it (linked by aria-describedby and
announced), and forms are real <form> elements so Enter submits them.
"""

from __future__ import annotations

import reflex as rx

from components import theme
from components.buttons import link_button
from components.layout import content

DANGER_TEXT = rx.color("red", 11)


def auth_page(*children: rx.Component) -> rx.Component:
    """The narrow centred column the account forms share."""
    return content(
        rx.center(
            rx.vstack(*children, spacing="4", width="100%", max_width="26rem"),
            width="100%",
        ),
        padding_y=rx.breakpoints(initial="2.5rem", sm="4.5rem"),
    )


def auth_card(*children: rx.Component, **props) -> rx.Component:
    return rx.vstack(
        *children,
        spacing="4",
        width="100%",
        padding=rx.breakpoints(initial="1.5rem", sm="2rem"),
        border=f"1px solid {theme.BORDER}",
        border_radius="var(--radius-6)",
        background=theme.SURFACE,
        box_shadow=theme.SHADOW_CARD,
        **props,
    )


def auth_heading(title: str, subtitle: str | rx.Var[str] | rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading(title, as_="h1", size="7", color=theme.TEXT, letter_spacing=theme.HEADING_TRACKING),
        subtitle if isinstance(subtitle, rx.Component) else rx.text(subtitle, size="3", color=theme.TEXT_MUTED),
        spacing="2",
        width="100%",
    )


def field_error(field_id: str, error: rx.Var[str]) -> rx.Component:
    return rx.cond(
        error != "",
        rx.hstack(
            rx.icon("circle-alert", size=14, color=DANGER_TEXT, flex_shrink="0"),
            rx.text(error, size="2", color=DANGER_TEXT),
            id=f"{field_id}-error",
            role="alert",
            spacing="1",
            align="center",
        ),
    )


def field(*, label: str, field_id: str, error: rx.Var[str] | None = None, hint: str | None = None,
          **input_props) -> rx.Component:
    """A labelled input with an optional hint and its inline error."""
    described = [f"{field_id}-hint"] if hint else []
    if error is not None:
        described.append(f"{field_id}-error")
        input_props.setdefault("aria_invalid", rx.cond(error != "", "true", "false"))
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium", color=theme.TEXT), html_for=field_id),
        rx.input(id=field_id, name=field_id, size="3", width="100%",
                 aria_describedby=" ".join(described) or None, **input_props),
        rx.text(hint, id=f"{field_id}-hint", size="1", color=theme.TEXT_MUTED) if hint else rx.fragment(),
        field_error(field_id, error) if error is not None else rx.fragment(),
        spacing="2",
        width="100%",
    )


def form_alert(message: rx.Var[str]) -> rx.Component:
    """A whole-form error (refused sign-in, expired link)."""
    return rx.cond(
        message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(message),
            color_scheme="red",
            variant="surface",
            role="alert",
            width="100%",
        ),
    )


def success_panel(*, icon: str, title: str, message: rx.Var[str] | str,
                  action: tuple[str, str | rx.Var[str]] | None = None) -> rx.Component:
    return rx.vstack(
        rx.center(
            rx.icon(icon, size=24, color=theme.BRAND_TEXT),
            width="48px",
            height="48px",
            border_radius="var(--radius-5)",
            background=theme.BRAND_SOFT,
        ),
        rx.heading(title, as_="h2", size="5", color=theme.TEXT),
        rx.text(message, size="3", color=theme.TEXT_MUTED, role="status"),
        link_button(action[0], href=action[1], size="3", width="100%") if action else rx.fragment(),
        spacing="3",
        width="100%",
    )


def submit_button(label: str, *, loading: rx.Var[bool], **props) -> rx.Component:
    # `loading` disables the button and shows a spinner, so a double click sends nothing twice.
    return rx.button(label, type="submit", size="3", width="100%", loading=loading, **props)


def auth_form(*children: rx.Component, on_submit: rx.EventHandler, label: str) -> rx.Component:
    return rx.form(
        rx.vstack(*children, spacing="4", width="100%"),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
        aria_label=label,
    )


def footer_link(text: str, label: str, href: str | rx.Var[str]) -> rx.Component:
    return rx.text(
        text, " ", rx.link(label, href=href, color=theme.BRAND_TEXT, weight="medium"),
        size="2", color=theme.TEXT_MUTED, text_align="center", width="100%",
    )
