"""The account page's Webhooks section: endpoint rows, delivery rows, the one-time secret dialog. Pure UI."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import reflex as rx
from reflex.event import EventSpec
from reflex.vars import ArrayVar

from components import theme
from components.account import _row


def endpoints_list(
    endpoints: ArrayVar[Sequence[dict[str, str]]],
    *,
    on_test: Callable[[rx.Var[str]], EventSpec],
    on_toggle: Callable[[rx.Var[str], rx.Var[bool]], EventSpec],
    on_rotate: Callable[[rx.Var[str]], EventSpec],
    on_delete: Callable[[rx.Var[str]], EventSpec],
) -> rx.Component:
    return rx.cond(
        endpoints.length() > 0,
        rx.el.ul(
            rx.foreach(
                endpoints,
                lambda e: rx.el.li(
                    _row(
                        rx.vstack(
                            rx.hstack(
                                rx.code(e["url"], size="2", word_break="break-all"),
                                rx.cond(e["enabled"] != "",
                                        rx.badge("Enabled", color_scheme="green", variant="soft"),
                                        rx.badge("Disabled", color_scheme="red", variant="soft")),
                                spacing="2", align="center", wrap="wrap",
                            ),
                            rx.cond(e["description"] != "", rx.text(e["description"], size="1", color=theme.TEXT)),
                            rx.text(e["events"], size="1", color=theme.TEXT_MUTED),
                            rx.cond(e["enabled"] == "", rx.text(e["status"], size="1", color=theme.TEXT_MUTED)),
                            spacing="1", min_width="0",
                        ),
                        rx.hstack(
                            rx.button("Send test event", on_click=on_test(e["id"]), variant="soft", size="2",
                                      disabled=e["enabled"] == ""),
                            rx.button(rx.cond(e["enabled"] != "", "Disable", "Enable"),
                                      on_click=on_toggle(e["id"], e["enabled"] == ""), variant="soft", size="2"),
                            rx.button("Rotate secret", on_click=on_rotate(e["id"]), variant="soft", size="2"),
                            rx.button("Delete", on_click=on_delete(e["id"]), variant="soft", color_scheme="red",
                                      size="2", aria_label="Delete endpoint " + e["url"]),
                            spacing="2", wrap="wrap",
                        ),
                    ),
                    list_style="none",
                ),
            ),
            aria_label="Webhook endpoints",
            style={"padding": "0", "margin": "0", "width": "100%"},
        ),
        rx.text("No webhook endpoints yet.", size="2", color=theme.TEXT_MUTED, padding_y="0.5rem"),
    )


def deliveries_list(deliveries: ArrayVar[Sequence[dict[str, str]]],
                    on_redeliver: Callable[[rx.Var[str]], EventSpec]) -> rx.Component:
    return rx.cond(
        deliveries.length() > 0,
        rx.el.ul(
            rx.foreach(
                deliveries,
                lambda d: rx.el.li(
                    _row(
                        rx.vstack(
                            rx.hstack(
                                rx.code(d["event_type"], size="1"),
                                rx.badge(d["status"], variant="soft",
                                         color_scheme=rx.match(d["status"], ("succeeded", "green"),
                                                               ("failed", "red"), "amber")),
                                rx.text(d["answer"], size="1", color=theme.TEXT_MUTED),
                                spacing="2", align="center", wrap="wrap",
                            ),
                            rx.text(d["url"], " · ", d["attempts"], " · ", d["created"], size="1",
                                    color=theme.TEXT_MUTED, word_break="break-all"),
                            spacing="1", min_width="0",
                        ),
                        rx.button("Redeliver", on_click=on_redeliver(d["id"]), variant="soft", size="2"),
                    ),
                    list_style="none",
                    data_delivery_status=d["status"],
                ),
            ),
            aria_label="Webhook deliveries",
            style={"padding": "0", "margin": "0", "width": "100%"},
        ),
        rx.text("No deliveries yet.", size="2", color=theme.TEXT_MUTED, padding_y="0.5rem"),
    )


def secret_dialog(*, secret: rx.Var[str], open_: rx.Var[bool], on_close: rx.EventHandler) -> rx.Component:
    """A signing secret, shown once, with a copy button."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Your signing secret"),
            rx.dialog.description(
                "Copy it now: it is not shown again on its own. Your receiver verifies each webhook with it.",
                size="2", color=theme.TEXT_MUTED,
            ),
            rx.hstack(
                rx.code(secret, size="2", word_break="break-all", padding="0.5rem", flex="1"),
                rx.icon_button(rx.icon("copy", size=16), on_click=rx.set_clipboard(secret), aria_label="Copy secret",
                               variant="soft", size="2"),
                align="center", spacing="2", width="100%", padding_y="1rem",
            ),
            rx.flex(rx.dialog.close(rx.button("I have copied it", size="2")), justify="end", width="100%"),
        ),
        open=open_,
        on_open_change=on_close,
    )
