"""`/reset?token=...`: choose a new password from the link in the reset email."""

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
from services.accounts.service import MIN_PASSWORD_LENGTH
from states.auth import AuthState


@page(route="/reset", title="Choose a new password · Dream Pixel", on_load=AuthState.load_reset)
def reset() -> rx.Component:
    return auth_page(
        auth_card(
            rx.cond(
                AuthState.done,
                success_panel(icon="key-round", title="Password changed", message=AuthState.notice,
                              action=("Sign in", "/login")),
                rx.fragment(
                    auth_heading("Choose a new password", "Every session and API key of the account ends when you save it."),
                    form_alert(AuthState.form_error),
                    auth_form(
                        field(label="New password", field_id="password", error=AuthState.password_error,
                              type="password", auto_complete="new-password",
                              hint=f"At least {MIN_PASSWORD_LENGTH} characters, not a common password."),
                        field(label="Repeat the new password", field_id="confirm", type="password",
                              auto_complete="new-password"),
                        submit_button("Set new password", loading=AuthState.loading),
                        on_submit=AuthState.reset_password,
                        label="Set new password",
                    ),
                    footer_link("Link expired?", "Ask for a new one", "/forgot"),
                ),
            ),
        ),
    )
