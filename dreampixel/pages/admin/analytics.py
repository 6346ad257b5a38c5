"""`/admin/analytics`: retention by sign-up week, the conversion funnel and provider performance."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.admin import admin_frame, data_table, panel
from components.analytics import csv_button, heat_table
from dreampixel.pages.shell import page
from states.admin_analytics import PERIOD_CHOICES
from states.admin_analytics import AdminAnalyticsState as S

FUNNEL_COLUMNS = [("Sign-up week", "week"), ("Signed up", "signed_up"), ("Verified", "verified"),
                  ("First generation", "first"), ("Fifth generation", "fifth"), ("Paid", "paid")]
PROVIDER_COLUMNS = [("Provider", "provider"), ("Attempts", "attempts"), ("Success", "success"), ("p50", "p50"),
                    ("p95", "p95"), ("p99", "p99"), ("Delivered", "delivered"), ("Failovers out", "failovers_out"),
                    ("Failovers in", "failovers_in"), ("Skipped", "skipped")]


def _download(table: str, what: str) -> rx.Component:
    return csv_button(f"Download {what} CSV", "/api/admin/analytics/" + table + ".csv?weeks=" + S.weeks,
                      "dreampixel-" + table + "-" + S.weeks + "w.csv")


def _note(*text: str | rx.Var[str]) -> rx.Component:
    return rx.text(*text, size="1", color=theme.TEXT_MUTED)


def _period() -> rx.Component:
    return rx.flex(
        rx.text("Period", size="2", color=theme.TEXT_MUTED),
        rx.select.root(
            rx.select.trigger(aria_label="Period"),
            rx.select.content(*[rx.select.item(f"Last {weeks} weeks", value=weeks) for weeks in PERIOD_CHOICES]),
            value=S.weeks,
            on_change=S.set_period,
            size="2",
        ),
        gap="0.5rem",
        align="center",
    )


@page(route="/admin/analytics", title="Analytics · Admin · Dream Pixel", on_load=S.load)
def analytics() -> rx.Component:
    return admin_frame(
        panel(
            "Retention",
            _note("Share of each sign-up week's accounts that submitted a generation in week 0, 1, 2, ... after "
                  "signing up (weeks start on Monday, UTC; the last column of each row is still running)."),
            rx.box(heat_table(S.cohort_headings, S.cohort_rows, label="Retention by sign-up week",
                              empty="No sign-ups in this period.", row_heading="Sign-up week",
                              size_heading="Accounts"), padding_y="0.75rem"),
            _download("cohorts", "retention"),
        ),
        panel(
            "Funnel",
            _note("Accounts of each sign-up week that reached each step and every step before it; the percentage "
                  "is the share of the step before. Paid: a paid invoice or a credit pack bought."),
            rx.box(data_table(S.funnel_rows, FUNNEL_COLUMNS, label="Funnel by sign-up week",
                              empty="No sign-ups in this period."), padding_y="0.75rem"),
            _download("funnel", "funnel"),
        ),
        panel(
            "Providers",
            _note("Every provider call of the generations that ended since ", S.since,
                  " (UTC). Success: calls that delivered, of those made (skipped calls met an open circuit). "
                  "Latency percentiles are read from 5 % buckets. Failovers out: generations first tried here and "
                  "delivered by another provider; in: the reverse."),
            rx.box(data_table(S.provider_rows, PROVIDER_COLUMNS, label="Provider performance",
                              empty="No generation ended in this period."), padding_y="0.75rem"),
            _download("providers", "providers"),
        ),
        title="Analytics",
        active="Analytics",
        checked=S.checked,
        allowed=S.allowed,
        is_admin=S.is_admin,
        notice_text=S.notice,
        problem=S.problem,
        actions=_period(),
    )
