"""`/seeds`: placeholder until the Seeds page is built."""

from __future__ import annotations

import reflex as rx

from components.layout import page_layout
from components.notice import notice

TITLE = "Seeds · Dream Pixel"


def seeds() -> rx.Component:
    return page_layout(
        notice(
            icon="sprout",
            eyebrow="Coming soon",
            title="Seeds",
            body="Browse prompts, settings and seeds the community shares, and reuse them in one click.",
            action=("Back to home", "/"),
        )
    )
