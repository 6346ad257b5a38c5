"""The usage section's pieces: stat tiles, generations per day as a stacked bar chart, the credit
ledger as a table. Pure UI: vars and handlers come in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from components import theme

CHART_HEIGHT = 220
SUCCEEDED_COLOUR = theme.BRAND
FAILED_COLOUR = rx.color("red", 8)
GAINED_TEXT = rx.color("grass", 11)
# Phones drop the time column and show the time under the reason, so the balance stays in view.
WIDE_ONLY = rx.breakpoints(initial="none", xs="table-cell")
PHONE_ONLY = rx.breakpoints(initial="block", xs="none")
# Read by screen readers, not shown: the visible subheading already says what the table is.
VISUALLY_HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "margin": "-1px",
    "padding": "0",
    "overflow": "hidden",
    "clip": "rect(0, 0, 0, 0)",
    "white_space": "nowrap",
    "border": "0",
}


@dataclass(frozen=True)
class UsageVars:
    balance: rx.Var[int]
    daily_used: rx.Var[int]
    daily_limit: rx.Var[int]
    daily_note: rx.Var[str]
    credits_spent: rx.Var[int]
    days: ArrayVar[Sequence[dict[str, Any]]]
    summary: rx.Var[str]


def _tile(label: str, figure: rx.Var, note: rx.Var | str) -> rx.Component:
    """A labelled figure: a compact row on phones, a card of its own from 520 px up. The group is
    named after its label, so "Credits, 39" reads as one."""
    return rx.grid(
        rx.text(
            label,
            size="1",
            weight="medium",
            color=theme.TEXT_MUTED,
            text_transform="uppercase",
            letter_spacing="0.04em",
            grid_area="label",
        ),
        rx.text(figure, size="6", weight="bold", color=theme.TEXT, line_height="1.1", grid_area="figure"),
        rx.text(note, size="1", color=theme.TEXT_MUTED, grid_area="note"),
        grid_template_areas=rx.breakpoints(initial='"label figure" "note figure"', xs='"label" "figure" "note"'),
        grid_template_columns=rx.breakpoints(initial="1fr auto", xs="1fr"),
        align_items="center",
        column_gap="1rem",
        row_gap="0.25rem",
        padding=rx.breakpoints(initial="0.625rem 0.875rem", xs="0.875rem 1rem"),
        border=f"1px solid {theme.BORDER}",
        border_radius="var(--radius-4)",
        background=theme.PAGE_BACKGROUND,
        min_width="0",
        role="group",
        aria_label=label,
    )


def stat_tiles(v: UsageVars) -> rx.Component:
    """Balance, today's allowance and what the last 30 days cost."""
    return rx.grid(
        _tile("Credits", v.balance.to_string(), "available now"),
        _tile("Today", v.daily_used.to_string() + " of " + v.daily_limit.to_string(), v.daily_note),
        _tile("Spent", v.credits_spent.to_string(), "credits in 30 days"),
        columns={"initial": "1", "xs": "3"},
        gap=rx.breakpoints(initial="0.5rem", xs="0.75rem"),
        width="100%",
    )


def _swatch(colour: rx.Var | str, label: str) -> rx.Component:
    return rx.hstack(
        rx.box(width="0.75rem", height="0.75rem", border_radius="3px", background=colour, flex_shrink="0"),
        rx.text(label, size="1", color=theme.TEXT_MUTED),
        spacing="2",
        align="center",
    )


def daily_chart(v: UsageVars) -> rx.Component:
    """Generations per UTC day, succeeded stacked on failed; its accessible name is the summary."""
    axis_text = {"fill": theme.TEXT_MUTED, "fontSize": 12}
    chart = rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(vertical=False, stroke=theme.BORDER, stroke_dasharray="3 3"),
        rx.recharts.x_axis(
            data_key="label",
            tick=axis_text,
            tick_line=False,
            stroke=theme.BORDER,
            interval="preserveStartEnd",
            min_tick_gap=18,
        ),
        rx.recharts.y_axis(allow_decimals=False, tick=axis_text, tick_line=False, axis_line=False, width=28),
        rx.recharts.graphing_tooltip(
            cursor={"fill": rx.color(theme.GRAY, 4)}, separator=": ", is_animation_active=False
        ),
        rx.recharts.bar(
            data_key="succeeded",
            name="Succeeded",
            stack_id="generations",
            fill=SUCCEEDED_COLOUR,
            is_animation_active=False,
        ),
        rx.recharts.bar(
            data_key="failed",
            name="Failed or canceled",
            stack_id="generations",
            fill=FAILED_COLOUR,
            is_animation_active=False,
        ),
        data=v.days,
        bar_category_gap="20%",
        margin={"top": 8, "right": 4, "bottom": 0, "left": 0},
        height=CHART_HEIGHT,
    )
    return rx.el.figure(
        rx.box(chart, role="img", aria_label=v.summary, width="100%", height=f"{CHART_HEIGHT}px"),
        rx.el.figcaption(
            rx.flex(
                rx.text(v.summary, size="2", color=theme.TEXT),
                rx.hstack(
                    _swatch(SUCCEEDED_COLOUR, "Succeeded"),
                    _swatch(FAILED_COLOUR, "Failed or canceled"),
                    spacing="4",
                    wrap="wrap",
                ),
                direction={"initial": "column", "sm": "row"},
                justify="between",
                gap="0.5rem",
                width="100%",
            ),
            padding_top="0.5rem",
        ),
        style={"margin": "0", "width": "100%"},
    )


def no_generations() -> rx.Component:
    return rx.vstack(
        rx.icon("chart-column", size=24, color=theme.BRAND_TEXT),
        rx.text(
            "No generations in the last 30 days — start one on ",
            rx.link("Generate", href="/generate", weight="medium"),
            ".",
            size="2",
            color=theme.TEXT,
            text_align="center",
        ),
        rx.text(
            "Each day's succeeded and failed generations appear here as a chart.",
            size="1",
            color=theme.TEXT_MUTED,
            text_align="center",
        ),
        spacing="2",
        align="center",
        padding_y="2.5rem",
        padding_x="1rem",
        width="100%",
        border=f"1px dashed {theme.BORDER}",
        border_radius="var(--radius-4)",
    )


def _when(row: ObjectVar[dict[str, str]], suffix: str = "") -> rx.Component:
    # The date and the time may go on two lines; neither breaks inside.
    return rx.text(
        rx.el.span(row["day"], white_space="nowrap"),
        " ",
        rx.el.span(row["time"] + suffix, white_space="nowrap"),
        size="1",
        color=theme.TEXT_MUTED,
    )


def _ledger_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(_when(row), display=WIDE_ONLY),
        rx.table.cell(
            rx.text(
                row["change"],
                size="2",
                weight="medium",
                color=rx.cond(row["gained"] == "1", GAINED_TEXT, theme.TEXT),
                font_variant_numeric="tabular-nums",
            ),
            text_align="right",
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["reason"], size="2", color=theme.TEXT),
                rx.box(_when(row, " UTC"), display=PHONE_ONLY),
                rx.cond(
                    row["generation_href"] != "", rx.link("Open in gallery", href=row["generation_href"], size="1")
                ),
                spacing="0",
            ),
        ),
        rx.table.cell(
            rx.text(row["balance"], size="2", color=theme.TEXT, font_variant_numeric="tabular-nums"), text_align="right"
        ),
        align="center",
    )


def ledger_table(
    rows: ArrayVar[Sequence[dict[str, str]]], *, has_more: rx.Var[bool], loading: rx.Var[bool], on_more: rx.EventHandler
) -> rx.Component:
    """Every change to the balance, newest first, with "Show more" for older pages."""
    header = rx.table.header(
        rx.table.row(
            rx.table.column_header_cell("Time (UTC)", display=WIDE_ONLY),
            # Numbers take the width they need; the reason gets the rest.
            rx.table.column_header_cell("Change", text_align="right", width="1%"),
            rx.table.column_header_cell("What"),
            rx.table.column_header_cell("Balance", text_align="right", width="1%"),
        )
    )
    return rx.vstack(
        # Radix's table scrolls sideways by itself when a narrow screen cannot fit it.
        rx.table.root(
            rx.el.caption("Credit history", style=VISUALLY_HIDDEN),
            header,
            rx.table.body(rx.foreach(rows, _ledger_row)),
            size="1",
            variant="ghost",
            width="100%",
        ),
        rx.cond(
            has_more,
            rx.button(
                "Show more",
                on_click=on_more,
                loading=loading,
                disabled=loading,
                variant="soft",
                size="2",
                align_self="center",
            ),
        ),
        spacing="3",
        width="100%",
    )


def usage_skeleton() -> rx.Component:
    """Placeholders of the section's shape while the numbers load."""
    return rx.vstack(
        rx.grid(
            *[rx.skeleton(rx.box(height="4.5rem"), width="100%") for _ in range(3)],
            columns={"initial": "1", "xs": "3"},
            gap="0.75rem",
            width="100%",
        ),
        rx.skeleton(rx.box(height=f"{CHART_HEIGHT}px"), width="100%"),
        *[rx.skeleton(rx.box(height="1.75rem"), width="100%") for _ in range(3)],
        spacing="3",
        width="100%",
        role="status",
        aria_label="Loading usage",
    )


def usage_warning_banner(message: rx.Var[str]) -> rx.Component:
    """The usage warning (daily limit, credits low or out) as a callout; nothing when `message` is empty."""
    return rx.cond(
        message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("gauge")),
            rx.callout.text(message, " ", rx.link("See plans", href="/pricing")),
            color_scheme="amber",
            role="status",
            width="100%",
        ),
    )
