"""Pieces of the admin console: its frame and tabs, stat cards, tables, filters and charts. Pure UI."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar
from reflex_components_core.react_router.dom import ReactRouterLink

from components import theme
from components.layout import content
from components.notice import notice
from components.usage import VISUALLY_HIDDEN

Columns = Sequence[tuple[str, str]]  # (heading, key of the row)

TABS: list[tuple[str, str, bool]] = [  # label, route, admins only
    ("Dashboard", "/admin", True),
    ("Users", "/admin/users", True),
    ("Generations", "/admin/generations", True),
    ("Analytics", "/admin/analytics", True),
    ("Moderation", "/admin/moderation", False),
    ("System", "/admin/system", True),
    ("Audit log", "/admin/audit", True),
]
STATUS_COLOURS = {"succeeded": "#16a34a", "failed": "#dc2626", "expired": "#f59e0b", "canceled": "#94a3b8",
                  "processing": "#7c3aed", "queued": "#0ea5e9"}
CHART_HEIGHT = 220
# Columns of free text, which wrap; every other column keeps its value on one line.
WRAPPING = frozenset({"prompt", "reason", "agent", "detail", "before", "after", "message"})


def not_found_content() -> rx.Component:
    """Exactly what an unknown route shows: non-staff cannot tell the console exists."""
    return notice(icon="map-pin-off", eyebrow="404", title="Page not found",
                  body="The page you asked for does not exist or has moved.", action=("Back to home", "/"))


def _tab(label: str, route: str, active: str) -> rx.Component:
    return ReactRouterLink.create(
        rx.text(label, size="2", weight="medium", white_space="nowrap"),
        to=route,
        aria_current="page" if label == active else None,
        style={"padding": "0.5rem 0.75rem", "borderRadius": "var(--radius-3)", "textDecoration": "none",
               "color": theme.BRAND_TEXT if label == active else theme.TEXT_MUTED,
               "background": theme.BRAND_SOFT if label == active else "transparent"},
    )


def admin_tabs(active: str, is_admin: rx.Var[bool]) -> rx.Component:
    return rx.el.nav(
        rx.flex(
            *[rx.cond(is_admin, _tab(label, route, active)) if admins_only else _tab(label, route, active)
              for label, route, admins_only in TABS],
            gap="0.25rem",
            wrap="wrap",  # every section stays in sight on a phone
            width="100%",
            padding_bottom="0.25rem",
        ),
        aria_label="Admin sections",
        width="100%",
        border_bottom=f"1px solid {theme.BORDER}",
        padding_bottom="0.5rem",
    )


def admin_frame(*children: rx.Component, title: str, active: str, checked: rx.Var[bool], allowed: rx.Var[bool],
                is_admin: rx.Var[bool], notice_text: rx.Var[str], problem: rx.Var[str],
                actions: rx.Component | None = None, **props: Any) -> rx.Component:
    """The console's page: tabs, a heading, messages, the content; the not-found page for anyone else."""
    body = content(
        rx.vstack(
            admin_tabs(active, is_admin),
            rx.flex(
                rx.heading(title, as_="h1", size={"initial": "6", "sm": "7"}, color=theme.TEXT,
                           letter_spacing=theme.HEADING_TRACKING),
                actions or rx.fragment(),
                justify="between",
                align={"initial": "start", "sm": "center"},
                direction={"initial": "column", "sm": "row"},
                gap="0.75rem",
                width="100%",
            ),
            rx.cond(notice_text != "", rx.callout(notice_text, icon="check", color_scheme="green", size="1",
                                                  role="status", width="100%")),
            rx.cond(problem != "", rx.callout(problem, icon="triangle-alert", color_scheme="red", size="1",
                                              role="alert", width="100%")),
            *children,
            spacing="5",
            width="100%",
            padding_y="1.5rem",
        ),
        **props,
    )
    return rx.cond(checked, rx.cond(allowed, body, not_found_content()),
                   rx.center(rx.spinner(size="3"), min_height="50vh", width="100%"))


def panel(title: str, *children: rx.Component, **props: Any) -> rx.Component:
    heading_id = f"{title.lower().replace(' ', '-')}-heading"
    return rx.el.section(
        rx.heading(title, as_="h2", size="4", color=theme.TEXT, id=heading_id, padding_bottom="0.75rem"),
        *children,
        aria_labelledby=heading_id,
        width="100%",
        min_width="0",
        padding=rx.breakpoints(initial="1rem", sm="1.25rem"),
        border=f"1px solid {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
        **props,
    )


def stat_cards(cards: ArrayVar[Sequence[dict[str, str]]]) -> rx.Component:
    return rx.grid(
        rx.foreach(
            cards,
            lambda card: rx.vstack(
                rx.text(card["label"], size="2", color=theme.TEXT_MUTED),
                rx.text(card["value"], size="6", weight="bold", color=theme.TEXT),
                rx.text(card["hint"], size="1", color=theme.TEXT_MUTED),
                spacing="1",
                padding="1rem",
                border=f"1px solid {theme.BORDER}",
                border_radius=theme.RADIUS_CARD,
                background=theme.SURFACE,
                min_width="0",
                aria_label=card["label"],
                role="group",
            ),
        ),
        columns={"initial": "2", "md": "3"},
        spacing="3",
        width="100%",
    )


def _cell(row: ObjectVar[dict[str, str]], key: str, link: tuple[str, str] | None, link_on: str) -> rx.Component:
    if link is not None and key == link_on:
        anchor = ReactRouterLink.create(row[key], to=link[1] + row[link[0]].to(str), style={"color": theme.BRAND_TEXT})
        if key in WRAPPING:
            return rx.table.cell(anchor, min_width="12rem", max_width="28rem", style={"overflowWrap": "anywhere"})
        return rx.table.cell(anchor, white_space="nowrap")
    if key in WRAPPING:
        return rx.table.cell(rx.text(row[key], size="2", color=theme.TEXT), min_width="12rem", max_width="28rem",
                             style={"overflowWrap": "anywhere"})
    # Ids, emails, statuses and times stay on one line: the table scrolls sideways on a phone instead.
    return rx.table.cell(rx.text(row[key], size="2", color=theme.TEXT), white_space="nowrap")


def data_table(rows: ArrayVar[Sequence[dict[str, str]]], columns: Columns, *, label: str,
               link: tuple[str, str] | None = None, link_on: str | None = None, empty: str = "Nothing matches.",
               actions: Callable[[ObjectVar[dict[str, str]]], rx.Component] | None = None) -> rx.Component:
    """A table of display rows; `link` = (key, route prefix) links each row to prefix + row[key], shown on
    the `link_on` column (the key's own column by default). Wider than its box, it scrolls in it."""
    table = rx.table.root(
        rx.el.caption(label, style=VISUALLY_HIDDEN),  # the table's accessible name
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap") for h, _ in columns],
                                     *([rx.table.column_header_cell("")] if actions else []))),
        rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
            *[_cell(row, key, link, link_on or (link[0] if link else "")) for _, key in columns],
            *([rx.table.cell(actions(row))] if actions else []),
        ))),
        size="1",
        variant="surface",
        width="100%",
    )
    return rx.cond(rows.length() > 0, rx.box(table, width="100%", overflow_x="auto"),
                   rx.text(empty, size="2", color=theme.TEXT_MUTED, padding_y="0.5rem"))


def key_values(rows: ArrayVar[Sequence[dict[str, str]]]) -> rx.Component:
    return rx.data_list.root(
        rx.foreach(rows, lambda row: rx.data_list.item(rx.data_list.label(row["name"]),
                                                       rx.data_list.value(row["value"]))),
        orientation={"initial": "vertical", "sm": "horizontal"},
        size="2",
    )


def choice(label: str, value: rx.Var[str], options: list[str], on_change: Callable[[Any], Any]) -> rx.Component:
    """A labelled select; "any" clears the filter."""
    return rx.vstack(
        rx.text(label, size="1", color=theme.TEXT_MUTED),
        rx.select(options, value=value, on_change=on_change, size="2", aria_label=label),
        spacing="1",
    )


def filter_row(*children: rx.Component) -> rx.Component:
    return rx.flex(*children, gap="0.75rem", wrap="wrap", align="end", width="100%")


def text_filter(label: str, name: str, value: rx.Var[str], placeholder: str = "", **props: Any) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=theme.TEXT_MUTED),
        rx.input(name=name, default_value=value, placeholder=placeholder, aria_label=label, size="2",
                 **{"width": "100%", **props}),
        spacing="1",
        min_width="10rem",
        flex="1",
    )


def _axis() -> dict[str, Any]:
    return {"fill": theme.TEXT_MUTED, "fontSize": 12}


def stacked_bars(data: ArrayVar[Sequence[dict[str, Any]]], series: Sequence[tuple[str, str, str]], *,
                 label: str, x_key: str = "day") -> rx.Component:
    """Bars per day, one stacked segment per (key, name, colour) in `series`."""
    chart = rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(vertical=False, stroke=theme.BORDER, stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key=x_key, tick=_axis(), tick_line=False, stroke=theme.BORDER,
                           interval="preserveStartEnd", min_tick_gap=12),
        rx.recharts.y_axis(allow_decimals=False, tick=_axis(), tick_line=False, axis_line=False, width=32),
        rx.recharts.graphing_tooltip(cursor={"fill": rx.color(theme.GRAY, 4)}, is_animation_active=False),
        rx.recharts.legend(icon_size=10, wrapper_style={"fontSize": "12px", "paddingTop": "4px"}),
        *[rx.recharts.bar(data_key=key, name=name, stack_id="s", fill=colour, is_animation_active=False)
          for key, name, colour in series],
        data=data,
        margin={"top": 8, "right": 4, "bottom": 0, "left": 0},
        height=CHART_HEIGHT,
    )
    return rx.box(chart, role="img", aria_label=label, width="100%", height=f"{CHART_HEIGHT + 30}px")


def state_badge(value: rx.Var[str]) -> rx.Component:
    colour = rx.match(value, ("ok", "green"), ("alive", "green"), ("closed", "green"), ("down", "red"),
                      ("gone", "red"), ("open", "red"), ("half_open", "amber"), ("slow", "amber"), "gray")
    return rx.badge(value, color_scheme=colour, variant="soft")
