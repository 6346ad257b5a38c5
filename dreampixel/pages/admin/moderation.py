"""`/admin/moderation` (moderators and admins): the seed queue, prompt rules with a prompt tester,
and the log of blocked prompts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from components import theme
from components.admin import admin_frame, data_table, filter_row, panel, text_filter
from components.moderation import rule_form, rules_table, seed_entry, verdict
from dreampixel.pages.shell import page
from states.admin_moderation import ANY, SEED_CATEGORIES, SEED_STATUSES, SOURCES
from states.admin_moderation import AdminModerationState as M

# Dict and list vars of the state, read by key in the page (typed Any, as reflex's Var stubs type them loosely).
EDITING: Any = M.editing
CATEGORIES: Any = M.categories
VERDICT: Any = M.verdict


def _select(label: str, value: rx.Var[str], on_change: Callable[[Any], Any], options: Sequence[str],
            more: Any = None) -> rx.Component:
    """A labelled select whose trigger carries the label (screen readers announce it); `more` is a
    list var of further options (the rule categories come from the database)."""
    items = [rx.select.item(option, value=option) for option in options]
    if more is not None:
        items.append(rx.foreach(more, lambda option: rx.select.item(option, value=option)))
    return rx.vstack(
        rx.text(label, size="1", color=theme.TEXT_MUTED),
        rx.select.root(rx.select.trigger(aria_label=label), rx.select.content(*items), value=value,
                       on_change=on_change, size="2"),
        spacing="1",
    )


def _seed_queue() -> rx.Component:
    return rx.vstack(
        filter_row(
            _select("Status", M.seed_status, lambda v: M.set_seed_filter("status", v), [*SEED_STATUSES, ANY]),
            _select("Category", M.seed_category, lambda v: M.set_seed_filter("category", v), [ANY, *SEED_CATEGORIES]),
        ),
        rx.cond(
            M.seeds.length() > 0,
            rx.vstack(rx.foreach(M.seeds, lambda seed: seed_entry(seed, categories=SEED_CATEGORIES,
                                                                  on_submit=M.decide, on_choose=M.choose)),
                      spacing="3", width="100%", role="list", aria_label="Seeds"),
            rx.text(rx.cond(M.seed_status == "pending", "No seed is waiting for a decision.",
                            "No seed matches."), size="2", color=theme.TEXT_MUTED),
        ),
        spacing="4",
        width="100%",
    )


def _rule_actions(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.flex(
        rx.button("Edit", size="1", variant="soft", color_scheme="gray", on_click=M.edit_rule(row["id"]),
                  aria_label="Edit " + row["phrase"].to(str)),
        rx.cond(row["enabled"] != "",
                rx.button("Disable", size="1", variant="soft", color_scheme="amber",
                          on_click=M.set_rule_enabled(row["id"], False), aria_label="Disable " + row["phrase"].to(str)),
                rx.button("Enable", size="1", variant="soft", color_scheme="green",
                          on_click=M.set_rule_enabled(row["id"], True), aria_label="Enable " + row["phrase"].to(str))),
        rx.button("Delete", size="1", variant="soft", color_scheme="red", on_click=M.delete_rule(row["id"]),
                  aria_label="Delete " + row["phrase"].to(str)),
        gap="0.35rem",
        wrap="nowrap",
    )


def _prompt_rules() -> rx.Component:
    return rx.vstack(
        panel(
            "Test a prompt",
            rx.form(
                rx.flex(
                    rx.input(name="prompt", placeholder="type a prompt to see which rule, if any, refuses it",
                             aria_label="Prompt to test", size="2", flex="1", min_width="min(100%, 14rem)"),
                    rx.button("Test", type="submit", size="2", variant="soft"),
                    gap="0.5rem",
                    wrap="wrap",
                    width="100%",
                ),
                on_submit=M.check_prompt,
                reset_on_submit=False,
                aria_label="Test a prompt",
                width="100%",
            ),
            rx.box(verdict(VERDICT), padding_top="0.75rem", width="100%"),
        ),
        panel(
            "Add a rule",
            rx.text("Whole words only, read as the screen reads prompts: case, accents, full-width letters, "
                    "invisible characters and lookalike letters from other scripts make no difference. "
                    "A refusal names the category, never the word.", size="2", color=theme.TEXT_MUTED,
                    padding_bottom="0.75rem"),
            rule_form(label="Add a prompt rule", button="Add rule", on_submit=M.add_rule, categories=CATEGORIES),
        ),
        rx.cond(
            EDITING.contains("id"),
            panel("Edit rule",
                  rule_form(label="Edit the rule", button="Save rule", on_submit=M.save_rule,
                            categories=CATEGORIES, phrase=EDITING["phrase"], category=EDITING["category"],
                            rule_id=EDITING["id"], key=EDITING["id"], reset=False,
                            extra=rx.button("Cancel", type="button", size="2", variant="soft", color_scheme="gray",
                                            on_click=M.cancel_edit))),
        ),
        panel(
            "Rules",
            rx.form(
                filter_row(text_filter("Find a rule", "q", M.rule_query, placeholder="word or phrase"),
                           rx.button("Find", type="submit", size="2")),
                on_submit=M.search_rules,
                reset_on_submit=False,
                aria_label="Find a rule",
                width="100%",
                padding_bottom="0.75rem",
            ),
            rules_table(M.rules, actions=_rule_actions),
        ),
        spacing="4",
        width="100%",
    )


def _blocked_prompts() -> rx.Component:
    return rx.vstack(
        rx.form(
            filter_row(
                text_filter("User", "user", M.blocked_user, placeholder="email or id"),
                text_filter("From", "since", M.blocked_since, type="date"),
                text_filter("To", "until", M.blocked_until, type="date"),
                rx.button("Filter", type="submit", size="2"),
            ),
            on_submit=M.filter_blocked,
            reset_on_submit=False,
            aria_label="Filter blocked prompts",
            width="100%",
        ),
        filter_row(
            _select("Rule category", M.blocked_category, lambda v: M.set_blocked_filter("category", v), [ANY],
                    more=CATEGORIES),
            _select("Via", M.blocked_source, lambda v: M.set_blocked_filter("source", v), [ANY, *SOURCES]),
        ),
        data_table(M.blocked, [("When", "at"), ("User", "user"), ("Prompt", "prompt"), ("Rule", "rule"),
                               ("Category", "category"), ("Via", "source"), ("Outcome", "outcome")],
                   label="Blocked prompts", empty="No blocked prompt matches."),
        spacing="4",
        width="100%",
    )


def _tab(label: str, value: str) -> rx.Component:
    return rx.tabs.trigger(label, value=value, style={"whiteSpace": "nowrap"})


@page(route="/admin/moderation", title="Moderation · Admin · Dream Pixel", on_load=M.load)
def moderation() -> rx.Component:
    return admin_frame(
        rx.tabs.root(
            rx.box(rx.tabs.list(_tab("Seed queue", "seeds"), _tab("Prompt rules", "rules"),
                                _tab("Blocked prompts", "blocked"), size="2"),
                   overflow_x="auto", width="100%"),
            rx.tabs.content(_seed_queue(), value="seeds", padding_top="1rem"),
            rx.tabs.content(_prompt_rules(), value="rules", padding_top="1rem"),
            rx.tabs.content(_blocked_prompts(), value="blocked", padding_top="1rem"),
            default_value="seeds",
            width="100%",
        ),
        title="Moderation",
        active="Moderation",
        checked=M.checked,
        allowed=M.allowed,
        is_admin=M.is_admin,
        notice_text=M.notice,
        problem=M.problem,
    )
