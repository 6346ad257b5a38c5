"""`/account`: profile, plan, usage, security, API keys, webhooks and the danger zone."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.account import (
    connect_buttons,
    connected_list,
    keys_list,
    new_key_dialog,
    notice_text,
    reauth_dialog,
    section,
    sessions_list,
    subheading,
)
from components.auth_forms import field, form_alert
from components.buttons import link_button
from components.layout import content
from components.usage import (
    UsageVars,
    daily_chart,
    ledger_table,
    no_generations,
    stat_tiles,
    usage_skeleton,
    usage_warning_banner,
)
from components.webhooks import deliveries_list, endpoints_list, secret_dialog
from dreampixel.pages.shell import page
from services.accounts.service import MIN_PASSWORD_LENGTH
from states.account import AccountState


def _busy(which: str) -> rx.Var[bool]:
    return AccountState.busy == which


def _inline_form(*children: rx.Component, on_submit: rx.EventHandler, label: str) -> rx.Component:
    return rx.form(
        rx.vstack(*children, spacing="3", width="100%", max_width="28rem"),
        on_submit=on_submit,
        reset_on_submit=False,
        aria_label=label,
        width="100%",
    )


def _profile() -> rx.Component:
    return section(
        "Profile", "Your name appears on what you share; your email is where we write to you.",
        _inline_form(
            field(label="Name", field_id="name", error=AccountState.name_error, default_value=AccountState.name,
                  key=AccountState.name, auto_complete="name"),
            rx.hstack(rx.button("Save name", type="submit", loading=_busy("name"), size="2"),
                      notice_text(AccountState.name_notice), spacing="3", align="center"),
            on_submit=AccountState.save_name,
            label="Change name",
        ),
        subheading("Email"),
        rx.hstack(
            rx.text(AccountState.email, size="2", color=theme.TEXT, weight="medium"),
            rx.cond(AccountState.email_verified, rx.badge("Confirmed", color_scheme="green", variant="soft"),
                    rx.badge("Not confirmed", color_scheme="amber", variant="soft")),
            spacing="2",
            align="center",
            wrap="wrap",
            padding_y="0.5rem",
        ),
        rx.cond(
            ~AccountState.email_verified,
            rx.hstack(
                rx.text("Confirm your email to start generating. You can ask for one link a minute, five a day.",
                        size="2", color=theme.TEXT_MUTED),
                rx.button("Resend confirmation", on_click=AccountState.resend_verification, variant="soft", size="1"),
                notice_text(AccountState.resend_notice),
                spacing="3",
                align="center",
                wrap="wrap",
                padding_bottom="0.5rem",
            ),
        ),
        _inline_form(
            field(label="New email", field_id="new_email", error=AccountState.email_error, type="email",
                  auto_complete="email", placeholder="you@example.com"),
            rx.button("Change email", type="submit", loading=_busy("email"), size="2", align_self="start"),
            notice_text(AccountState.email_notice),
            on_submit=AccountState.change_email,
            label="Change email",
        ),
    )


def _plan() -> rx.Component:
    return section(
        "Plan", "What your plan gives you, and where to change it.",
        rx.flex(
            rx.vstack(
                rx.hstack(rx.text("Current plan", size="2", color=theme.TEXT_MUTED),
                          rx.badge(AccountState.plan_tier, variant="soft", radius="full", size="2"),
                          spacing="2", align="center"),
                rx.text(AccountState.plan_allowance, size="4", weight="bold", color=theme.TEXT),
                rx.text(rx.cond(AccountState.billing_enabled, "Plans and credit packs are on the billing page.",
                                "Billing is not set up here: an administrator sets plans and credits."),
                        size="2", color=theme.TEXT_MUTED),
                spacing="1",
            ),
            rx.flex(
                link_button("Plan and billing", href="/billing", size="2"),
                link_button("Compare plans", href="/pricing", size="2", variant="soft"),
                gap="0.5rem",
                wrap="wrap",
            ),
            justify="between",
            align=rx.breakpoints(initial="start", sm="center"),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="1rem",
            width="100%",
        ),
        section_id="plan",
    )


def _usage() -> rx.Component:
    s = AccountState
    v = UsageVars(balance=s.credit_balance, daily_used=s.daily_used, daily_limit=s.daily_limit,
                  daily_note=s.daily_note, credits_spent=s.credits_spent, days=s.usage_days,
                  summary=s.usage_summary)
    return section(
        "Usage", "Your credits, today's allowance, generations per day (UTC) and every change to your balance.",
        rx.cond(
            s.usage_ready,
            rx.vstack(
                usage_warning_banner(s.usage_warning),
                stat_tiles(v),
                subheading("Generations per day"),
                rx.cond(s.usage_total > 0, daily_chart(v), no_generations()),
                subheading("Credit history"),
                ledger_table(s.ledger, has_more=s.ledger_has_more, loading=s.ledger_loading,
                             on_more=s.show_more_ledger),
                spacing="3",
                width="100%",
            ),
            usage_skeleton(),
        ),
        section_id="usage",
        # Loads on every visit: the section mounts once the signed-in check has passed.
        on_mount=s.load_usage,
    )


def _security() -> rx.Component:
    return section(
        "Security", "Your password, where you are signed in, and the accounts you sign in with.",
        subheading("Password"),
        _inline_form(
            rx.cond(
                AccountState.has_password,
                field(label="Current password", field_id="current_password", type="password",
                      auto_complete="current-password", error=AccountState.current_password_error),
            ),
            field(label="New password", field_id="new_password", type="password", auto_complete="new-password",
                  error=AccountState.new_password_error,
                  hint=f"At least {MIN_PASSWORD_LENGTH} characters. Other sessions end when you change it."),
            rx.button("Change password", type="submit", loading=_busy("password"), size="2", align_self="start"),
            notice_text(AccountState.password_notice),
            on_submit=AccountState.change_password,
            label="Change password",
        ),
        rx.flex(
            subheading("Sessions"),
            rx.button("Sign out everywhere", on_click=AccountState.sign_out_everywhere, variant="outline",
                      color_scheme="red", size="2",
                      title="Signs out every browser, this one included, and revokes every API key."),
            justify="between",
            align="end",
            wrap="wrap",
            gap="0.5rem",
            width="100%",
            padding_bottom="0.5rem",
        ),
        rx.text("Signing out everywhere, changing or resetting the password also revokes every API key.",
                size="1", color=theme.TEXT_MUTED, padding_bottom="0.5rem"),
        sessions_list(AccountState.sessions, AccountState.revoke_session),
        subheading("Connected accounts"),
        form_alert(AccountState.connected_error),
        connected_list(AccountState.connected, AccountState.unlink),
        connect_buttons(AccountState.connectable, AccountState.connect),
    )


def _scope_checkbox(scope: rx.vars.StringVar) -> rx.Component:
    return rx.checkbox(scope, name="scope:" + scope, default_checked=AccountState.default_scopes.contains(scope),
                       size="2")


def _api_keys() -> rx.Component:
    return section(
        "API keys", "Keys let your programs call the Dream Pixel API. Each is shown once, when you create it.",
        rx.cond(
            ~AccountState.email_verified,
            rx.callout.root(
                rx.callout.icon(rx.icon("mail-warning")),
                rx.callout.text("Confirm your email address before creating API keys: until then, anyone could "
                                "have signed up with it. Use the link we sent, or resend it from Profile."),
                color_scheme="amber", variant="surface", role="status", width="100%",
            ),
        ),
        rx.form(
            rx.vstack(
                field(label="Key name", field_id="key_name", error=AccountState.key_name_error,
                      placeholder="My script"),
                rx.el.fieldset(
                    rx.el.legend(rx.text("Scopes", size="2", weight="medium", color=theme.TEXT)),
                    rx.grid(rx.foreach(AccountState.scopes, _scope_checkbox),
                            columns={"initial": "1", "sm": "2"}, gap="0.5rem", padding_top="0.5rem"),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                rx.grid(
                    field(label="Expires after (days)", field_id="expires_days", type="number", min="1",
                          placeholder="Never", input_mode="numeric"),
                    field(label="Daily credit cap", field_id="daily_cap", type="number", min="1",
                          placeholder="No cap", input_mode="numeric"),
                    columns={"initial": "1", "sm": "2"},
                    gap="0.75rem",
                    width="100%",
                ),
                form_alert(AccountState.key_error),
                rx.button("Create key", type="submit", loading=_busy("key"), disabled=~AccountState.email_verified,
                          size="2", align_self="start"),
                spacing="3",
                width="100%",
                max_width="36rem",
            ),
            on_submit=AccountState.create_key,
            reset_on_submit=True,
            aria_label="Create API key",
            width="100%",
        ),
        subheading("Your keys"),
        keys_list(AccountState.keys, AccountState.revoke_key),
        new_key_dialog(key=AccountState.new_key, open_=AccountState.key_dialog_open,
                       on_close=AccountState.close_key_dialog),
    )


def _event_checkbox(event_type: rx.vars.StringVar) -> rx.Component:
    return rx.checkbox(event_type, name="event:" + event_type, size="2")


def _webhooks() -> rx.Component:
    return section(
        "Webhooks", "Dream Pixel POSTs signed events (Standard Webhooks) to your endpoints when generations "
        "change status or your credits run low. Failed deliveries are retried for 24 hours.",
        rx.form(
            rx.vstack(
                field(label="Endpoint URL", field_id="webhook_url", error=AccountState.webhook_url_error,
                      placeholder="https://example.com/webhooks", type="url"),
                field(label="Description", field_id="webhook_description", placeholder="Optional"),
                rx.el.fieldset(
                    rx.el.legend(rx.text("Events (none ticked: all of them)", size="2", weight="medium",
                                         color=theme.TEXT)),
                    rx.grid(rx.foreach(AccountState.webhook_event_types, _event_checkbox),
                            columns={"initial": "1", "sm": "2"}, gap="0.5rem", padding_top="0.5rem"),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                form_alert(AccountState.webhook_error),
                rx.button("Add endpoint", type="submit", loading=_busy("webhook"), size="2", align_self="start"),
                spacing="3",
                width="100%",
                max_width="36rem",
            ),
            on_submit=AccountState.create_webhook,
            reset_on_submit=True,
            aria_label="Add webhook endpoint",
            width="100%",
        ),
        subheading("Your endpoints"),
        notice_text(AccountState.webhook_notice),
        endpoints_list(AccountState.webhook_endpoints, on_test=AccountState.test_webhook,
                       on_toggle=AccountState.toggle_webhook, on_rotate=AccountState.rotate_webhook_secret,
                       on_delete=AccountState.delete_webhook),
        rx.hstack(subheading("Recent deliveries"),
                  rx.button("Refresh", on_click=AccountState.refresh_webhooks, variant="ghost", size="1"),
                  align="end", spacing="3"),
        deliveries_list(AccountState.webhook_deliveries, AccountState.redeliver_webhook),
        subheading("Per-generation webhooks"),
        rx.text("A webhook URL sent with POST /api/v1/generations is signed with your default secret.",
                size="2", color=theme.TEXT_MUTED),
        rx.button("Show default secret", on_click=AccountState.show_default_webhook_secret, variant="soft", size="2",
                  align_self="start"),
        secret_dialog(secret=AccountState.webhook_secret, open_=AccountState.webhook_secret_open,
                      on_close=AccountState.close_webhook_secret),
        section_id="webhooks",
    )


def _danger_zone() -> rx.Component:
    return section(
        "Danger zone", "Deleting your account removes your images, generations, keys and sessions for good. "
        "Payment records are kept without your name, as the law requires.",
        _inline_form(
            rx.cond(
                AccountState.has_password,
                field(label="Your password", field_id="password", type="password", auto_complete="current-password"),
            ),
            field(label="Or type your email to confirm", field_id="typed_email", type="email", auto_complete="off",
                  placeholder=AccountState.email),
            form_alert(AccountState.delete_error),
            rx.button("Delete my account", type="submit", color_scheme="red", loading=_busy("delete"), size="2",
                      align_self="start"),
            on_submit=AccountState.delete_account,
            label="Delete account",
        ),
        danger=True,
        section_id="danger-zone",
    )


def _confirm_identity() -> rx.Component:
    return reauth_dialog(
        open_=AccountState.reauth_open,
        on_close=AccountState.close_reauth,
        on_submit=AccountState.confirm_identity,
        has_password=AccountState.has_password,
        error=AccountState.reauth_error,
        loading=_busy("reauth"),
        providers=AccountState.reauth_providers,
    )


@page(route="/account", title="Account · Dream Pixel", on_load=AccountState.load)
def account() -> rx.Component:
    return content(
        rx.vstack(
            rx.heading("Account", as_="h1", size={"initial": "7", "sm": "8"}, color=theme.TEXT,
                       letter_spacing=theme.HEADING_TRACKING),
            rx.cond(
                AccountState.ready,
                rx.vstack(_profile(), _plan(), _usage(), _security(), _api_keys(), _webhooks(), _danger_zone(),
                          _confirm_identity(),
                          spacing="5", width="100%"),
                rx.hstack(rx.spinner(size="3"), rx.text("Loading your account…", color=theme.TEXT_MUTED),
                          spacing="3", align="center", role="status", padding_y="2rem"),
            ),
            spacing="5",
            width="100%",
            max_width="52rem",
            margin_x="auto",
        ),
        padding_y=rx.breakpoints(initial="2rem", sm="3.5rem"),
    )
