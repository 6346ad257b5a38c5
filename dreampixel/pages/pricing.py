"""`/pricing`: placeholder until the Pricing page is built."""

from __future__ import annotations

import reflex as rx

from components.layout import page_layout
from components.notice import notice

TITLE = "Pricing · Dream Pixel"


def pricing() -> rx.Component:
    return page_layout(
        notice(
            icon="badge-dollar-sign",
            eyebrow="Coming soon",
            title="Pricing",
            body="Plan details and checkout are coming. Every plan's daily allowance is on the home page.",
            action=("Back to home", "/"),
        )
    )
