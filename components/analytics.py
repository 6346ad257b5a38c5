"""Pieces of the analytics page: the shaded retention triangle and a CSV download button. Pure UI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx
from reflex.vars import ArrayVar

from components import theme
from components.usage import VISUALLY_HIDDEN

CELL_STYLE = {"textAlign": "right", "whiteSpace": "nowrap", "fontVariantNumeric": "tabular-nums"}


def _shade(percent: Any) -> Any:
    # The accent colour mixed in proportion to the share: follows the light or dark appearance.
    return "color-mix(in srgb, var(--" + theme.ACCENT + "-9) " + percent + "%, transparent)"


def heat_table(headings: ArrayVar[Sequence[str]], rows: ArrayVar[Sequence[dict[str, Any]]], *,
               label: str, empty: str, row_heading: str, size_heading: str) -> rx.Component:
    """Rows of `{week, users, cells: [{text, shade, title}]}` under `headings` (one per cell): a triangle
    whose cells darken with their share."""
    table = rx.table.root(
        rx.el.caption(label, style=VISUALLY_HIDDEN),
        rx.table.header(rx.table.row(
            rx.table.column_header_cell(row_heading, style={"whiteSpace": "nowrap"}),
            rx.table.column_header_cell(size_heading, style=CELL_STYLE),
            rx.foreach(headings, lambda h: rx.table.column_header_cell(h, style=CELL_STYLE)),
        )),
        rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
            rx.table.row_header_cell(row["week"], style={"whiteSpace": "nowrap"}),
            rx.table.cell(row["users"], style=CELL_STYLE),
            rx.foreach(row["cells"].to(list[dict[str, str]]), lambda cell: rx.table.cell(
                cell["text"], title=cell["title"], style={**CELL_STYLE, "background": _shade(cell["shade"])})),
        ))),
        size="1",
        variant="surface",
        width="100%",
    )
    return rx.cond(rows.length() > 0, rx.box(table, width="100%", overflow_x="auto"),
                   rx.text(empty, size="2", color=theme.TEXT_MUTED, padding_y="0.5rem"))


def csv_button(label: str, url: rx.Var[str] | str, filename: rx.Var[str] | str) -> rx.Component:
    """Downloads a CSV from an API route (rx.download: the app's router would take /api/... for a page)."""
    return rx.button(rx.icon("download", size=14), label, on_click=rx.download(url=url, filename=filename),
                     variant="soft", size="1")
