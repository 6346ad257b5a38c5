"""`/admin/generations` (with the stuck view) and `/admin/generations/[generation_id]`."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components import theme
from components.admin import admin_frame, choice, data_table, filter_row, key_values, panel, text_filter
from dreampixel.pages.shell import page
from states.admin_generations import ANY, STATUSES, AdminGenerationsState, AdminGenerationState

G = AdminGenerationsState
D = AdminGenerationState
ROW: Any = D.row

# The prompt links to the generation and comes early: on a phone the first columns are what shows.
COLUMNS = [("Status", "status"), ("Prompt", "prompt"), ("Provider", "provider"), ("Created", "created"),
           ("Time", "time"), ("Error", "error"), ("User", "user_id"), ("Id", "id")]


@page(route="/admin/generations", title="Generations · Admin · Dream Pixel", on_load=G.load)
def generations() -> rx.Component:
    return admin_frame(
        rx.hstack(
            rx.button("All", variant=rx.cond(G.stuck, "soft", "solid"), size="2", on_click=G.show_stuck(False)),
            rx.button("Stuck", variant=rx.cond(G.stuck, "solid", "soft"), size="2", on_click=G.show_stuck(True)),
            rx.cond(G.stuck, rx.button("Reap now", color_scheme="red", size="2", on_click=G.reap)),
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(
            G.stuck,
            rx.text("Processing past the deadline or without a heartbeat, and queued for more than five minutes. "
                    "Reaping returns them to the queue, or ends them with a refund.", size="2",
                    color=theme.TEXT_MUTED),
            rx.vstack(
                rx.form(
                    filter_row(
                        text_filter("Prompt", "q", G.q, placeholder="words in the prompt"),
                        text_filter("User", "user", G.user, placeholder="email or id"),
                        text_filter("Provider", "provider", G.provider, placeholder="local, stability…"),
                        text_filter("From", "since", G.since, type="date"),
                        text_filter("To", "until", G.until, type="date"),
                        rx.button("Filter", type="submit", size="2"),
                    ),
                    on_submit=G.search,
                    reset_on_submit=False,
                    width="100%",
                    aria_label="Filter generations",
                ),
                filter_row(choice("Status", G.status, [ANY, *STATUSES], G.set_status)),
                spacing="3",
                width="100%",
            ),
        ),
        data_table(G.rows, COLUMNS, label="Generations", link=("id", "/admin/generations/"), link_on="prompt",
                   empty=rx.cond(G.stuck, "Nothing is stuck.", "No generation matches.")),
        title="Generations",
        active="Generations",
        checked=G.checked,
        allowed=G.allowed,
        is_admin=G.is_admin,
        notice_text=G.notice,
        problem=G.problem,
    )


@page(route="/admin/generations/[generation_id]", title="Generation · Admin · Dream Pixel", on_load=D.load)
def generation_detail() -> rx.Component:
    return admin_frame(
        rx.cond(
            ROW.contains("id"),
            rx.vstack(
                rx.flex(
                    rx.badge(ROW["status"], variant="soft"),
                    rx.text(ROW["provider"], size="2", color=theme.TEXT_MUTED),
                    rx.link("Owner ", ROW["user_id"], href="/admin/users/" + ROW["user_id"].to(str), size="2"),
                    gap="0.75rem",
                    wrap="wrap",
                    align="center",
                ),
                rx.text(ROW["prompt"], size="3", color=theme.TEXT, style={"overflowWrap": "anywhere"}),
                rx.flex(
                    rx.cond(D.retryable, rx.button("Retry", size="2", on_click=D.act("retry"))),
                    rx.cond(D.cancelable,
                            rx.button("Cancel", size="2", color_scheme="amber", on_click=D.act("cancel"))),
                    rx.button("Delete", size="2", color_scheme="red", on_click=D.act("delete")),
                    gap="0.5rem",
                ),
                rx.grid(
                    panel("Input", key_values(D.inputs)),
                    panel("Timings", key_values(D.timings)),
                    columns={"initial": "1", "md": "2"},
                    spacing="4",
                    width="100%",
                ),
                panel("Attempts", data_table(D.attempts, [("Provider", "provider"), ("Status", "status"),
                                                          ("Error", "error"), ("Latency", "latency")],
                                             label="Attempts", empty="No provider was called.")),
                panel("Outputs", rx.cond(
                    D.outputs.length() > 0,
                    rx.flex(rx.foreach(D.outputs, lambda url: rx.image(src=url, width="160px", height="160px",
                                                                        object_fit="cover", alt="Output",
                                                                        border_radius="var(--radius-3)")),
                            gap="0.5rem", wrap="wrap"),
                    rx.text("No images.", size="2", color=theme.TEXT_MUTED),
                )),
                spacing="4",
                width="100%",
            ),
            rx.cond(D.deleted, rx.link("Back to generations", href="/admin/generations"),
                    rx.text("No such generation.", color=theme.TEXT_MUTED)),
        ),
        title="Generation",
        active="Generations",
        checked=D.checked,
        allowed=D.allowed,
        is_admin=D.is_admin,
        notice_text=D.notice,
        problem=D.problem,
    )
