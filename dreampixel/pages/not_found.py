"""The 404 page for any unknown route."""

from __future__ import annotations

import reflex as rx

from components.notice import notice
from dreampixel.pages.shell import NOT_FOUND_TITLE, page


@page(route="404", title=NOT_FOUND_TITLE)
def not_found() -> rx.Component:
    return notice(
        icon="map-pin-off",
        eyebrow="404",
        title="Page not found",
        body="The page you asked for does not exist or has moved.",
        action=("Back to home", "/"),
    )
