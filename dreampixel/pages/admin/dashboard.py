"""`/admin`: the dashboard, updated by push while it is open."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.admin import STATUS_COLOURS, admin_frame, panel, stacked_bars, stat_cards
from dreampixel.pages.shell import page
from states.admin_dashboard import AdminDashboardState as S

STATUS_SERIES = [(status, status.title(), colour) for status, colour in STATUS_COLOURS.items()]


@page(route="/admin", title="Admin · Dream Pixel", on_load=S.load)
def dashboard() -> rx.Component:
    return admin_frame(
        stat_cards(S.cards),
        rx.grid(
            panel("Generations per day", stacked_bars(S.generations_per_day, STATUS_SERIES,
                                                      label="Generations per day by status")),
            panel("Sign-ups per day", stacked_bars(S.signups_per_day, [("signups", "Sign-ups", "#7c3aed")],
                                                   label="Sign-ups per day")),
            panel("Provider share", stacked_bars(S.provider_share, [("value", "Generations", "#0ea5e9")],
                                                 label="Generations per provider, 14 days", x_key="name")),
            panel("Provider failure rate", stacked_bars(S.provider_failure, [("rate", "Failed %", "#dc2626")],
                                                        label="Share of failed generations per provider, 14 days",
                                                        x_key="name")),
            columns={"initial": "1", "md": "2"},
            spacing="4",
            width="100%",
        ),
        rx.text("Updated ", S.updated, " UTC · live", size="1", color=theme.TEXT_MUTED),
        title="Dashboard",
        active="Dashboard",
        checked=S.checked,
        allowed=S.allowed,
        is_admin=S.is_admin,
        notice_text=S.notice,
        problem=S.problem,
        on_unmount=S.stop_watching,
    )
