"""`/forgot`: ask for a password reset link."""

from __future__ import annotations

import reflex as rx

from components.auth_forms import (
    auth_card,
    auth_form,
    auth_heading,
    auth_page,
    field,
    footer_link,
    form_alert,
    submit_button,
    success_panel,
)
from dreampixel.pages.shell import page
from states.auth import AuthState


@page(route="/forgot", title="Reset your password · Dream Pixel", on_load=AuthState.load_form)
def forgot() -> rx.Component:
    return auth_page(
        auth_card(
            rx.cond(
                AuthState.done,
                success_panel(icon="mail", title="Check your inbox", message=AuthState.notice,
                              action=("Back to sign in", "/login")),
                rx.fragment(
                    auth_heading("Forgot your password?", "We will email you a link to choose a new one."),
                    form_alert(AuthState.form_error),
                    auth_form(
                        field(label="Email", field_id="email", error=AuthState.email_error, type="email",
                              auto_complete="email", placeholder="you@example.com"),
                        submit_button("Send reset link", loading=AuthState.loading),
                        on_submit=AuthState.request_reset,
                        label="Reset password",
                    ),
                    footer_link("Remembered it?", "Sign in", "/login"),
                ),
            ),
        ),
    )
