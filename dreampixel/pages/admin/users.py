"""`/admin/users` and `/admin/users/[user_id]`."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components import theme
from components.admin import admin_frame, choice, data_table, filter_row, panel, text_filter
from dreampixel.pages.shell import page
from states.admin_users import ANY, ROLES, SORTS, STATUSES, TIERS, AdminUsersState, AdminUserState

U = AdminUsersState
D = AdminUserState
# The shown account as an object var (mypy reads a dict field as a sequence).
USER: Any = D.user

USER_COLUMNS = [("Email", "email"), ("Name", "name"), ("Tier", "tier"), ("Role", "role"), ("Status", "status"),
                ("Verified", "verified"), ("Credits", "credits"), ("Joined", "created"), ("Last sign-in", "last_login"),
                ("Id", "id")]


@page(route="/admin/users", title="Users · Admin · Dream Pixel", on_load=U.load)
def users() -> rx.Component:
    return admin_frame(
        rx.form(
            filter_row(
                text_filter("Search", "q", U.q, placeholder="email, name or id"),
                rx.button("Search", type="submit", size="2"),
            ),
            on_submit=U.search,
            reset_on_submit=False,
            width="100%",
            aria_label="Search users",
        ),
        filter_row(
            choice("Tier", U.tier, [ANY, *TIERS], lambda v: U.set_filter("tier", v)),
            choice("Role", U.role, [ANY, *ROLES], lambda v: U.set_filter("role", v)),
            choice("Status", U.status, [ANY, *STATUSES], lambda v: U.set_filter("status", v)),
            choice("Verified", U.verified, [ANY, "yes", "no"], lambda v: U.set_filter("verified", v)),
            choice("Sort", U.sort, SORTS, lambda v: U.set_filter("sort", v)),
        ),
        data_table(U.rows, USER_COLUMNS, label="Users", link=("id", "/admin/users/"), link_on="email",
                   empty="No user matches."),
        title="Users",
        active="Users",
        checked=U.checked,
        allowed=U.allowed,
        is_admin=U.is_admin,
        notice_text=U.notice,
        problem=U.problem,
    )


def _action_form(label: str, action: str, *fields: rx.Component, colour: str = "violet",
                 width: str = "100%") -> rx.Component:
    return rx.form(
        rx.flex(
            rx.el.input(type="hidden", name="action", value=action),
            *fields,
            rx.button(label, type="submit", size="2", color_scheme=colour),
            gap="0.5rem",
            wrap="wrap",
            align="end",
        ),
        on_submit=D.act,
        reset_on_submit=True,
        aria_label=label,
        width=width,
    )


def _reason(required: bool = False) -> rx.Component:
    return rx.input(name="reason", placeholder="reason" + ("" if required else " (optional)"), size="2",
                    aria_label="Reason", required=required, flex="1", min_width="10rem")


def _select(name: str, options: list[str], label: str, current: Any) -> rx.Component:
    # Keyed by the current value, so the select shows it again after the account changes.
    return rx.el.select(*[rx.el.option(o, value=o) for o in options], name=name, aria_label=label,
                        default_value=current, key=current,
                        style={"padding": "0.35rem", "borderRadius": "var(--radius-2)",
                               "border": f"1px solid {theme.BORDER}", "background": theme.SURFACE,
                               "color": theme.TEXT})


def _actions() -> rx.Component:
    return panel(
        "Actions",
        rx.vstack(
            _action_form("Grant or remove credits", "credits",
                         rx.input(name="value", type="number", placeholder="+100 or -50", size="2",
                                  aria_label="Credits", required=True, width="8rem"),
                         _reason(required=True)),
            _action_form("Change tier", "tier", _select("value", TIERS, "Tier", USER["tier"]), _reason()),
            _action_form("Change role", "role", _select("value", ROLES, "Role", USER["role"]), _reason()),
            rx.cond(USER["status"] == "SUSPENDED",
                    _action_form("Unsuspend", "unsuspend", _reason()),
                    _action_form("Suspend", "suspend", _reason(required=True), colour="red")),
            rx.flex(
                _action_form("Resend verification", "resend", width="auto"),
                _action_form("End all sessions", "end_sessions", width="auto"),
                gap="0.5rem",
                wrap="wrap",
            ),
            _action_form("Delete account", "delete", _reason(required=True), colour="red"),
            spacing="3",
            width="100%",
        ),
    )


@page(route="/admin/users/[user_id]", title="User · Admin · Dream Pixel", on_load=D.load)
def user_detail() -> rx.Component:
    return admin_frame(
        rx.cond(
            D.deleted,
            rx.link("Back to users", href="/admin/users"),
            rx.cond(
                USER.contains("id"),
                rx.vstack(
                    rx.flex(
                        rx.badge(USER["tier"], variant="soft"),
                        rx.badge(USER["role"], variant="soft", color_scheme="gray"),
                        rx.badge(USER["status"], variant="soft",
                                 color_scheme=rx.cond(USER["status"] == "ACTIVE", "green", "red")),
                        rx.badge(rx.cond(USER["verified"] == "yes", "verified", "not verified"), variant="soft",
                                 color_scheme="gray"),
                        rx.text("Credits ", rx.el.strong(USER["credits"], aria_label="Credit balance"), size="2"),
                        rx.text("Plan ", rx.cond(D.subscription != "", D.subscription, "no subscription"), size="2",
                                color=theme.TEXT_MUTED),
                        gap="0.5rem",
                        wrap="wrap",
                        align="center",
                    ),
                    rx.text(USER["id"], " · joined ", USER["created"], " · last sign-in ", USER["last_login"],
                            size="1", color=theme.TEXT_MUTED),
                    _actions(),
                    panel("Generations", data_table(D.generations, [("Status", "status"), ("Prompt", "prompt"),
                                                                    ("Provider", "provider"), ("Created", "created"),
                                                                    ("Id", "id")],
                                                    label="Generations", link=("id", "/admin/generations/"),
                                                    link_on="prompt", empty="No generations.")),
                    panel("Credit ledger", data_table(D.ledger, [("When", "at"), ("Change", "delta"),
                                                                 ("Reason", "reason"), ("Reference", "reference"),
                                                                 ("Balance", "balance_after")],
                                                      label="Credit ledger", empty="No ledger rows.")),
                    panel("Sessions", data_table(D.sessions, [("Device", "agent"), ("IP", "ip"),
                                                              ("Signed in", "created"), ("Last used", "last_used")],
                                                 label="Sessions", empty="No live sessions.")),
                    panel("API keys", data_table(D.api_keys, [("Name", "name"), ("Prefix", "prefix"),
                                                              ("State", "state"), ("Last used", "last_used")],
                                                 label="API keys", empty="No API keys.")),
                    panel("Audit history", data_table(D.history, [("Action", "action"), ("When", "at"),
                                                                  ("Actor", "actor"), ("Reason", "reason"),
                                                                  ("Before", "before"), ("After", "after")],
                                                      label="Audit history", empty="No staff actions yet.")),
                    spacing="4",
                    width="100%",
                ),
                rx.text("No such user.", color=theme.TEXT_MUTED),
            ),
        ),
        title=rx.cond(USER.contains("email"), USER["email"], "User"),
        active="Users",
        checked=D.checked,
        allowed=D.allowed,
        is_admin=D.is_admin,
        notice_text=D.notice,
        problem=D.problem,
    )
