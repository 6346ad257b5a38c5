"""`/gallery`: placeholder until the Gallery page is built."""

from __future__ import annotations

import reflex as rx

from components.layout import page_layout
from components.notice import notice

TITLE = "Gallery · Dream Pixel"


def gallery() -> rx.Component:
    return page_layout(
        notice(
            icon="images",
            eyebrow="Coming soon",
            title="Gallery",
            body="Every image you create will be kept here, ready to download, share or remix.",
            action=("Back to home", "/"),
        )
    )
