"""`/signup`: create an account with email and password (or Google/GitHub when configured)."""

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
from components.oauth import oauth_buttons
from dreampixel.pages.shell import page
from services.accounts.service import MIN_PASSWORD_LENGTH
from states.auth import AuthState
from states.edge import accounts


@page(route="/signup", title="Create your account · Dream Pixel", on_load=AuthState.load_form)
def signup() -> rx.Component:
    return auth_page(
        auth_card(
            rx.cond(
                AuthState.done,
                success_panel(icon="mail-check", title="Check your inbox", message=AuthState.notice,
                              action=("Go to sign in", "/login?next=" + AuthState.next_param)),
                rx.fragment(
                    auth_heading("Create your account", "Free to start: one generation a day, no card needed."),
                    form_alert(AuthState.form_error),
                    auth_form(
                        field(label="Name", field_id="name", error=AuthState.name_error, auto_complete="name",
                              placeholder="Ada Lovelace"),
                        field(label="Email", field_id="email", error=AuthState.email_error, type="email",
                              auto_complete="email", placeholder="you@example.com", required=True),
                        field(label="Password", field_id="password", error=AuthState.password_error,
                              type="password", auto_complete="new-password", required=True,
                              hint=f"At least {MIN_PASSWORD_LENGTH} characters, not a common password."),
                        submit_button("Create account", loading=AuthState.loading),
                        on_submit=AuthState.sign_up,
                        label="Create account",
                    ),
                    oauth_buttons(AuthState.next_path, providers=accounts.oauth_providers()),
                    footer_link("Already have an account?", "Sign in", "/login?next=" + AuthState.next_param),
                ),
            ),
        ),
    )
