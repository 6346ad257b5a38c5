"""`/generate`: placeholder until the Generate page is built."""

from __future__ import annotations

import reflex as rx

from components.layout import page_layout
from components.notice import notice

TITLE = "Generate · Dream Pixel"


def generate() -> rx.Component:
    return page_layout(
        notice(
            icon="wand-sparkles",
            eyebrow="Coming soon",
            title="Generate",
            body="Type a prompt and watch your image render live. The studio opens here soon.",
            action=("Back to home", "/"),
        )
    )
