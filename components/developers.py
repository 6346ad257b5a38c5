"""The /developers page's pieces: copyable samples in tabs, and small reference tables."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx

from components import theme


def code_sample(code: str, *, label: str) -> rx.Component:
    """A scrollable block of code with a copy button."""
    return rx.box(
        rx.icon_button(rx.icon("copy", size=14), on_click=rx.set_clipboard(code), aria_label=f"Copy {label}",
                       variant="soft", size="1", position="absolute", top="0.5rem", right="0.5rem"),
        rx.el.pre(rx.el.code(code), style={"margin": "0", "white_space": "pre", "overflow_x": "auto",
                                            "font_family": theme.FONT_MONO, "font_size": "0.8rem",
                                            "line_height": "1.5", "padding": "0.9rem 2.75rem 0.9rem 0.9rem"}),
        position="relative",
        width="100%",
        border=f"1px solid {theme.BORDER}",
        border_radius="var(--radius-3)",
        background=theme.PAGE_BACKGROUND,
        color=theme.TEXT,
    )


def sample_tabs(samples: Sequence[tuple[str, str]], *, topic: str) -> rx.Component:
    """One tab per language: (language, code)."""
    return rx.tabs.root(
        rx.tabs.list(*[rx.tabs.trigger(language, value=language) for language, _ in samples]),
        *[rx.tabs.content(code_sample(code, label=f"{topic} in {language}"), value=language, padding_top="0.75rem")
          for language, code in samples],
        default_value=samples[0][0],
        width="100%",
    )


def reference_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, label: str) -> rx.Component:
    """A plain table; the first column is shown as code."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(*[
                rx.table.row(rx.table.cell(rx.code(row[0], size="2")), *[rx.table.cell(cell) for cell in row[1:]])
                for row in rows
            ]),
            size="1",
            aria_label=label,
            width="100%",
            min_width="32rem",  # scrolls sideways on a phone rather than crushing the last column
        ),
        width="100%",
        overflow_x="auto",
    )


def developer_section(title: str, description: str, *children: rx.Component, section_id: str) -> rx.Component:
    """One titled card of the page."""
    return rx.el.section(
        rx.vstack(
            rx.heading(title, as_="h2", size="5", id=f"{section_id}-heading", color=theme.TEXT),
            rx.text(description, size="2", color=theme.TEXT_MUTED),
            *children,
            spacing="3",
            width="100%",
        ),
        aria_labelledby=f"{section_id}-heading",
        id=section_id,
        width="100%",
        min_width="0",
        padding=rx.breakpoints(initial="1.25rem", sm="1.75rem"),
        border=f"1px solid {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
    )


def key_quick_start(*, signed_in: rx.Var[bool], key_prefix: rx.Var[str], create_href: str) -> rx.Component:
    """Which key to use: the viewer's own key prefix, a button to create one, or a sign-in link."""
    return rx.cond(
        signed_in,
        rx.flex(
            rx.cond(
                key_prefix != "",
                rx.text("Your key starts with ", rx.code(key_prefix, "…"), ". Put it in ",
                        rx.code("DREAMPIXEL_API_KEY"), " and every sample below works as written.", size="2"),
                rx.text("You have no API key yet: create one, then put it in ", rx.code("DREAMPIXEL_API_KEY"), ".",
                        size="2"),
            ),
            rx.link(rx.button("Create a key", size="2"), href=create_href),
            gap="3", align={"initial": "start", "sm": "center"}, justify="between",
            direction={"initial": "column", "sm": "row"}, width="100%",
        ),
        rx.flex(
            rx.text("Sign in to see your keys and create one.", size="2"),
            rx.link(rx.button("Sign in", size="2"), href="/login?next=/developers"),
            gap="3", align="center", justify="between", wrap="wrap", width="100%",
        ),
    )
