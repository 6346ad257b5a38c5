"""`/admin/audit`: the audit log with its filters."""

from __future__ import annotations

import reflex as rx

from components.admin import admin_frame, data_table, filter_row, text_filter
from dreampixel.pages.shell import page
from states.admin_audit import AdminAuditState as A


@page(route="/admin/audit", title="Audit log · Admin · Dream Pixel", on_load=A.load)
def audit() -> rx.Component:
    return admin_frame(
        rx.form(
            filter_row(
                text_filter("Actor", "actor", A.actor, placeholder="email or id"),
                text_filter("Action", "action", A.action, placeholder="user.suspended, user."),
                text_filter("Target", "target", A.target, placeholder="id"),
                text_filter("From", "since", A.since, type="date"),
                text_filter("To", "until", A.until, type="date"),
                rx.button("Filter", type="submit", size="2"),
            ),
            on_submit=A.search,
            reset_on_submit=False,
            width="100%",
            aria_label="Filter the audit log",
        ),
        # What happened first: on a phone the first columns are what shows, the rest scrolls.
        data_table(A.rows, [("Action", "action"), ("When", "at"), ("Actor", "actor"), ("Target", "target"),
                            ("Reason", "reason"), ("Before", "before"), ("After", "after")],
                   label="Audit log", empty="No staff action matches."),
        title="Audit log",
        active="Audit log",
        checked=A.checked,
        allowed=A.allowed,
        is_admin=A.is_admin,
        notice_text=A.notice,
        problem=A.problem,
    )
