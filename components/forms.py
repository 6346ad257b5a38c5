"""Form building blocks with real <label> elements, so every field has an accessible name."""

from __future__ import annotations

import reflex as rx

from components import theme


def labelled_input(*, label: str, field_id: str, **input_props) -> rx.Component:
    return rx.vstack(
        rx.el.label(
            rx.text(label, size="2", weight="medium", color=theme.TEXT),
            html_for=field_id,
        ),
        rx.input(id=field_id, name=field_id, size="3", width="100%", **input_props),
        spacing="2",
        width="100%",
    )
