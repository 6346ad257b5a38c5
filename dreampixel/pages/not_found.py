"""The 404 page for any unknown route."""

from __future__ import annotations

import reflex as rx

from components.layout import page_layout
from components.notice import notice

TITLE = "Page not found · Dream Pixel"


def not_found() -> rx.Component:
    return page_layout(
        notice(
            icon="map-pin-off",
            eyebrow="404",
            title="Page not found",
            body="The page you asked for does not exist or has moved.",
            action=("Back to home", "/"),
        )
    )
