"""`/verify?token=...`: the link from a confirmation email (new account or new address)."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from components import theme
from components.auth_forms import auth_card, auth_page, success_panel
from dreampixel.pages.shell import page
from states.auth import WELCOME_PATH, AuthState


def _invalid() -> rx.Component:
    return rx.vstack(
        success_panel(
            icon="link-2-off",
            title="This link has expired or was already used",
            message="Confirmation links work once, for 24 hours. Ask for a fresh one below "
                    "(one a minute, at most five a day).",
        ),
        rx.button("Send a new link", on_click=AuthState.resend_verification, loading=AuthState.loading,
                  disabled=AuthState.resend_sent, size="3", width="100%"),
        rx.cond(AuthState.resend_message != "",
                rx.text(AuthState.resend_message, size="2", color=theme.TEXT_MUTED, role="status")),
        rx.link("Go to sign in", href="/login", size="2", color=theme.BRAND_TEXT),
        spacing="3",
        width="100%",
    )


@page(route="/verify", title="Confirm your email · Dream Pixel", on_load=AuthState.load_verify)
def verify() -> rx.Component:
    return auth_page(
        auth_card(
            rx.match(
                AuthState.verify_status,
                ("verified", success_panel(icon="badge-check", title="Email confirmed",
                                           message="Your free credits are in. Sign in here and you go straight "
                                                   "to Generate.",
                                           action=("Sign in", "/login?next=" + quote(WELCOME_PATH, safe="")))),
                ("email_changed", success_panel(icon="badge-check", title="Email changed",
                                                message="Your account now uses " + AuthState.user_email_shown + ".",
                                                action=("Go to your account", "/account"))),
                ("email_restored", success_panel(
                    icon="shield-check", title="Your email is back",
                    message="Your account uses " + AuthState.user_email_shown + " again. Everyone signed in to it "
                            "was signed out, its API keys were revoked and its password was removed: choose a new "
                            "one to sign in.",
                    action=("Choose a new password", "/forgot"))),
                ("email_taken", success_panel(icon="circle-alert", title="That email is taken",
                                              message="Another account uses that address now, so nothing changed.",
                                              action=("Go to your account", "/account"))),
                ("invalid", _invalid()),
                rx.hstack(rx.spinner(size="3"), rx.text("Checking your link…", color=theme.TEXT_MUTED),
                          spacing="3", align="center", role="status"),
            ),
        ),
    )
