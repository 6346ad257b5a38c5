"""Building blocks of the generate form: labelled fields, the seed row, drop zones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from components import theme

Handler = Callable[..., Any]


def label(text: str, field_id: str) -> rx.Component:
    return rx.el.label(rx.text(text, size="2", weight="medium", color=theme.TEXT), html_for=field_id)


def labelled(text: str, field_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(label(text, field_id), control, spacing="1", width="100%")


def number_field(text: str, field_id: str, *, value: rx.Var, on_change: Handler, **props: Any) -> rx.Component:
    return labelled(text, field_id, rx.input(id=field_id, name=field_id, type="number", value=value,
                                             on_change=on_change, width="100%", input_mode="numeric", **props))


def select_field(text: str, field_id: str, *, options: list[tuple[str, str]] | rx.Var, value: rx.Var,
                 on_change: Handler, disabled: rx.Var | bool = False) -> rx.Component:
    items = [rx.select.item(name, value=key) for key, name in options] if isinstance(options, list) else []
    return labelled(text, field_id, rx.select.root(
        rx.select.trigger(id=field_id, width="100%", aria_label=text),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
        disabled=disabled,
    ))


def drop_zone(*, upload_id: str, on_drop: Handler, title: str, body: str, accept: dict[str, list[str]],
              busy: rx.Var | bool = False) -> rx.Component:
    return rx.upload.root(
        rx.vstack(
            rx.hstack(rx.cond(busy, rx.spinner(size="1"), rx.icon("image-up", size=16, color=theme.BRAND_TEXT)),
                      rx.text(title, size="2", weight="medium", color=theme.TEXT), spacing="2", align="center"),
            rx.text(body, size="1", color=theme.TEXT_MUTED),
            spacing="1",
            align="center",
            padding="0.75rem",
            text_align="center",
        ),
        id=upload_id,
        on_drop=on_drop(rx.upload_files(upload_id=upload_id)),
        accept=accept,
        max_files=1,
        multiple=False,
        border=f"1px dashed {theme.BRAND_BORDER}",
        border_radius="var(--radius-4)",
        background=theme.BRAND_SOFT,
        cursor="pointer",
        width="100%",
        drag_active_style={"border_color": theme.BRAND, "background": rx.color(theme.ACCENT, 4)},
    )


def side_panel(*children: rx.Component, heading: str) -> rx.Component:
    return rx.el.section(
        rx.vstack(rx.heading(heading, as_="h2", size="3", color=theme.TEXT), *children, spacing="3", width="100%"),
        aria_label=heading,
        style={"padding": "1rem", "border": f"1px solid {theme.BORDER}", "border_radius": theme.RADIUS_CARD,
               "background": theme.SURFACE, "width": "100%"},
    )


def large_image_dialog(*, url: rx.Var, open_: rx.Var, on_open_change: Handler) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Image", class_name="dp-sr-only", style={"position": "absolute", "left": "-9999px"}),
            rx.image(src=url, alt="The generated image, large", width="100%", height="auto",
                     border_radius="var(--radius-3)"),
            rx.flex(
                rx.button(rx.el.a(rx.icon("download", size=14), "Download", href=url, download=""), as_child=True,
                          variant="soft"),
                rx.dialog.close(rx.button("Close", variant="outline", color_scheme="gray")),
                gap="0.5rem",
                justify="end",
                padding_top="0.75rem",
            ),
            max_width="min(92vw, 1100px)",
        ),
        open=open_,
        on_open_change=on_open_change,
    )


def no_cards_yet() -> rx.Component:
    """Where the cards go, before the first generation: what will happen, and where to find ideas."""
    return rx.vstack(
        rx.center(rx.icon("sparkles", size=24, color=theme.BRAND_TEXT), width="48px", height="48px",
                  border_radius="var(--radius-4)", background=theme.BRAND_SOFT),
        rx.heading("Nothing generated yet", as_="h3", size="4", color=theme.TEXT),
        rx.text("Your images appear here as they are made. Each one shows its progress live, from the queue to "
                "the finished picture.", size="2", color=theme.TEXT_MUTED, text_align="center", max_width="26rem"),
        rx.link("Looking for ideas? Browse seeds", href="/seeds", size="2", color=theme.BRAND_TEXT),
        spacing="3",
        align="center",
        width="100%",
        padding_y="3rem",
        padding_x="1rem",
        border=f"1px dashed {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
    )
