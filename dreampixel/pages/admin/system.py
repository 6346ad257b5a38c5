"""`/admin/system`: health signals and the error log viewer."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from components import theme
from components.admin import admin_frame, choice, data_table, filter_row, panel, state_badge, text_filter
from dreampixel.pages.shell import page
from states.admin_system import ANY, LEVELS, STATES, AdminSystemState

S = AdminSystemState


def _check(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.flex(
        rx.text(row["name"], weight="medium", size="2", min_width="6rem"),
        state_badge(row["state"]),
        rx.text(row["detail"], size="2", color=theme.TEXT_MUTED, style={"overflowWrap": "anywhere"}),
        gap="0.75rem",
        align="center",
        wrap="wrap",
        padding_y="0.4rem",
        border_top=f"1px solid {theme.BORDER}",
        width="100%",
    )


def _error(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.badge(row["level"], color_scheme=rx.cond(row["level"] == "error", "red", "amber"), variant="soft"),
            rx.text(row["logger"], size="1", color=theme.TEXT_MUTED),
            rx.text("x", row["count"], size="1", weight="bold", aria_label="Count"),
            rx.text("last ", row["last_seen"], " · first ", row["first_seen"], size="1", color=theme.TEXT_MUTED),
            rx.badge(row["state"], variant="outline", color_scheme="gray"),
            gap="0.5rem",
            wrap="wrap",
            align="center",
        ),
        rx.text(row["message"], size="2", color=theme.TEXT, style={"overflowWrap": "anywhere"}, padding_y="0.35rem"),
        rx.cond(row["request_id"] != "", rx.text("request ", row["request_id"], " · user ", row["user_id"], size="1",
                                                 color=theme.TEXT_MUTED)),
        rx.flex(
            rx.button(rx.cond(S.expanded == row["id"], "Hide trace", "Trace"), size="1", variant="soft",
                      color_scheme="gray", on_click=S.toggle(row["id"])),
            rx.button("Resolve", size="1", variant="soft", on_click=S.set_error_state(row["id"], "resolved")),
            rx.button("Ignore", size="1", variant="soft", color_scheme="gray",
                      on_click=S.set_error_state(row["id"], "ignored")),
            gap="0.5rem",
            padding_top="0.25rem",
        ),
        rx.cond(S.expanded == row["id"],
                rx.code_block(rx.cond(row["traceback"] != "", row["traceback"], "No traceback."), language="python",
                              font_size="12px", wrap_long_lines=True, width="100%")),
        padding_y="0.75rem",
        border_top=f"1px solid {theme.BORDER}",
        width="100%",
        role="listitem",
    )


@page(route="/admin/system", title="System · Admin · Dream Pixel", on_load=S.load)
def system() -> rx.Component:
    return admin_frame(
        panel("Dependencies", rx.vstack(rx.foreach(S.checks, _check), spacing="0", width="100%")),
        # Full width: with several workers, each row's name, times and job counts need the room.
        panel("Workers", data_table(S.workers, [("Worker", "name"), ("Kind", "kind"), ("State", "state"),
                                                ("Seen", "seen"), ("Started", "started"), ("Jobs", "jobs")],
                                    label="Worker heartbeats", empty="No worker has reported yet.")),
        panel("Providers", data_table(S.providers, [("Provider", "name"), ("Health", "state"), ("Circuit", "circuit"),
                                                    ("Errors, last hour", "error_rate"), ("Detail", "detail")],
                                      label="Providers")),
        panel(
            "Error log",
            rx.form(
                filter_row(
                    text_filter("Logger", "logger", S.logger, placeholder="services.generation"),
                    text_filter("Since", "since", S.since, type="date", max_width="12rem"),
                    choice("Level", S.level, [ANY, *LEVELS], lambda v: S.set_filter("level", v)),
                    choice("State", S.error_state, [ANY, *STATES], lambda v: S.set_filter("error_state", v)),
                    rx.button("Filter", type="submit", size="2"),
                ),
                on_submit=S.filter_errors,
                reset_on_submit=False,
                width="100%",
                aria_label="Filter errors",
            ),
            rx.cond(S.errors.length() > 0,
                    rx.box(rx.foreach(S.errors, _error), role="list", aria_label="Errors", width="100%",
                           padding_top="0.75rem"),
                    rx.text("No errors match.", size="2", color=theme.TEXT_MUTED, padding_top="0.75rem")),
        ),
        title="System",
        active="System",
        actions=rx.hstack(
            rx.badge(S.overall, color_scheme=rx.cond(S.overall == "ok", "green", "red"), size="2"),
            rx.button("Recheck", size="2", variant="soft", on_click=S.refresh_health),
            rx.button("Log a test error", size="2", variant="soft", color_scheme="gray", on_click=S.log_test_error),
            spacing="2",
            wrap="wrap",
        ),
        checked=S.checked,
        allowed=S.allowed,
        is_admin=S.is_admin,
        notice_text=S.notice,
        problem=S.problem,
        on_unmount=S.stop_watching,
    )
