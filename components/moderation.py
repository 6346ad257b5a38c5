"""Pieces of the moderation page: a seed in the queue with its decisions, the rule forms, the prompt
tester's verdict. Pure UI: rows and handlers come in as arguments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from components import theme
from components.usage import VISUALLY_HIDDEN

EXAMPLES_SHOWN = 4
STATUS_COLOURS = (("pending", "amber"), ("approved", "green"), ("rejected", "red"))


def _label(text: str, control: rx.Component, **props: Any) -> rx.Component:
    return rx.vstack(rx.text(text, size="1", color=theme.TEXT_MUTED), control, spacing="1", **props)


def _examples(seed: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.flex(
        *[rx.cond(seed[f"example_{n}"] != "",
                  rx.image(src=seed[f"example_{n}"], alt="Example image of " + seed["title"].to(str), width="72px",
                           height="72px", object_fit="cover", border_radius="var(--radius-2)",
                           border=f"1px solid {theme.BORDER}", loading="lazy"))
          for n in range(EXAMPLES_SHOWN)],
        gap="0.5rem",
        wrap="wrap",
    )


def _recipe(seed: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(rx.text.strong("Prompt "), seed["prompt"], size="2", color=theme.TEXT,
                style={"overflowWrap": "anywhere"}),
        rx.cond(seed["negative"] != "", rx.text(rx.text.strong("Negative "), seed["negative"], size="2",
                                                color=theme.TEXT_MUTED, style={"overflowWrap": "anywhere"})),
        rx.cond(seed["settings"] != "", rx.text(seed["settings"], size="1", color=theme.TEXT_MUTED)),
        spacing="1",
        width="100%",
        aria_label="Recipe",
        role="group",
    )


def seed_entry(seed: ObjectVar[dict[str, str]], *, categories: Sequence[str], on_submit: Callable[[Any], Any],
               on_choose: Callable[[str], Any]) -> rx.Component:
    """One seed of the queue: who made it, its recipe and examples, and every decision on it.

    Each button names its decision with `on_choose` as it submits the form (reason, category)."""
    status = seed["status"]

    def button(label: str, decision: str, **props: Any) -> rx.Component:
        return rx.button(label, type="submit", size="2", on_click=on_choose(decision), **props)

    return rx.box(
        rx.flex(
            rx.text(seed["title"], weight="bold", size="3", color=theme.TEXT),
            rx.badge(status, color_scheme=rx.match(status, *STATUS_COLOURS, "gray"), variant="soft"),
            rx.cond(seed["featured"] != "", rx.badge("featured", color_scheme="violet", variant="solid")),
            rx.badge(seed["category"], variant="outline", color_scheme="gray"),
            gap="0.5rem",
            wrap="wrap",
            align="center",
        ),
        rx.text("by ", seed["creator"], " · submitted ", seed["submitted"], " · ", seed["examples"],
                rx.cond(seed["decided"] != "", " · decided " + seed["decided"].to(str), ""),
                size="1", color=theme.TEXT_MUTED, padding_top="0.25rem", style={"overflowWrap": "anywhere"}),
        rx.cond(seed["description"] != "", rx.text(seed["description"], size="2", color=theme.TEXT_MUTED,
                                                   padding_top="0.5rem", style={"overflowWrap": "anywhere"})),
        rx.flex(_examples(seed), _recipe(seed), gap="1rem", direction={"initial": "column", "sm": "row"},
                padding_y="0.75rem", width="100%"),
        rx.cond(seed["reason"] != "", rx.callout("Reason given: " + seed["reason"].to(str), icon="message-square",
                                                 color_scheme=rx.cond(status == "rejected", "red", "gray"),
                                                 size="1", margin_bottom="0.75rem")),
        rx.form(
            rx.el.input(type="hidden", name="seed_id", value=seed["id"]),
            rx.flex(
                rx.input(name="reason", placeholder="reason (the creator sees it; needed to reject)", size="2",
                         aria_label="Reason", flex="1", min_width="min(100%, 14rem)"),
                rx.flex(
                    rx.cond(status != "approved", button("Approve", "approve", color_scheme="green")),
                    rx.cond(status != "rejected", button("Reject", "reject", color_scheme="red")),
                    rx.cond(status == "approved",
                            rx.cond(seed["featured"] != "",
                                    button("Unfeature", "unfeature", variant="soft", color_scheme="gray"),
                                    button("Feature", "feature", variant="soft"))),
                    gap="0.5rem",
                    wrap="wrap",
                ),
                gap="0.5rem",
                wrap="wrap",
                width="100%",
            ),
            rx.flex(
                rx.select(list(categories), name="category", default_value=seed["category"], size="2",
                          aria_label="Category"),
                button("Move to category", "recategorise", variant="soft", color_scheme="gray"),
                gap="0.5rem",
                wrap="wrap",
                align="center",
                padding_top="0.5rem",
            ),
            on_submit=on_submit,
            reset_on_submit=True,
            aria_label="Decide on " + seed["title"].to(str),
        ),
        padding="1rem",
        border=f"1px solid {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
        width="100%",
        min_width="0",
        role="listitem",
    )


def rule_form(*, label: str, button: str, on_submit: Callable[[Any], Any], categories: Any,
              phrase: rx.Var[str] | str = "", category: rx.Var[str] | str = "", rule_id: rx.Var[str] | str = "",
              extra: rx.Component | None = None, key: rx.Var[str] | str = "", reset: bool = True) -> rx.Component:
    """Add or edit one rule: a word or phrase and the category its refusal names."""
    list_id = "rule-categories-" + button.lower().replace(" ", "-")
    return rx.form(
        rx.el.input(type="hidden", name="rule_id", value=rule_id),
        rx.flex(
            _label("Word or phrase", rx.input(name="phrase", default_value=phrase, placeholder="e.g. gore",
                                              aria_label="Word or phrase", required=True, size="2", width="100%"),
                   flex="1", min_width="min(100%, 12rem)"),
            _label("Category", rx.input(name="category", default_value=category, list=list_id,
                                        placeholder="e.g. graphic violence", aria_label="Category", required=True,
                                        size="2", width="100%"),
                   flex="1", min_width="min(100%, 12rem)"),
            rx.el.datalist(rx.foreach(categories, lambda c: rx.el.option(value=c)), id=list_id),
            rx.flex(rx.button(button, type="submit", size="2"), extra or rx.fragment(), gap="0.5rem"),
            gap="0.75rem",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=reset,
        aria_label=label,
        key=key,
        width="100%",
    )


def rules_table(rows: Any, *, actions: Callable[[ObjectVar[dict[str, str]]], rx.Component]) -> rx.Component:
    """The prompt rules, with each rule's actions beside its state (before who and when, which can be long)."""

    def cell(value: Any, **props: Any) -> rx.Component:
        return rx.table.cell(rx.text(value, size="2", color=theme.TEXT), white_space="nowrap", **props)

    def row(rule: ObjectVar[dict[str, str]]) -> rx.Component:
        return rx.table.row(
            cell(rule["phrase"]),
            cell(rule["category"]),
            rx.table.cell(rx.badge(rule["state"], color_scheme=rx.cond(rule["enabled"] != "", "green", "gray"),
                                   variant="soft")),
            rx.table.cell(actions(rule)),
            cell(rule["added_by"]),
            cell(rule["changed"]),
        )

    table = rx.table.root(
        rx.el.caption("Prompt rules", style=VISUALLY_HIDDEN),  # the table's accessible name
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                       ("Phrase", "Category", "State", "", "Added by", "Changed")])),
        rx.table.body(rx.foreach(rows, row)),
        size="1",
        variant="surface",
        width="100%",
    )
    return rx.cond(rows.length() > 0, rx.box(table, width="100%", overflow_x="auto"),
                   rx.text("No rule matches.", size="2", color=theme.TEXT_MUTED, padding_y="0.5rem"))


def _verdict_box(result: Any, icon: str, colour: str) -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon)),
        rx.vstack(
            rx.text(result["verdict"], weight="medium", size="2"),
            rx.text("Read as: ", rx.code(result["reading"]), size="1", style={"overflowWrap": "anywhere"}),
            spacing="1",
        ),
        color_scheme=colour,
        size="1",
        role="status",
        aria_label="Test result",
        width="100%",
    )


def verdict(result: Any) -> rx.Component:
    """What the prompt tester found: the rule that refuses the prompt, or that none does."""
    return rx.cond(result.contains("verdict"),
                   rx.cond(result["matched"] != "", _verdict_box(result, "shield-alert", "red"),
                           _verdict_box(result, "shield-check", "green")))
