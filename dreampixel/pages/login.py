"""`/login`: email and password, then Google/GitHub when configured."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.auth_forms import (
    auth_card,
    auth_form,
    auth_heading,
    auth_page,
    field,
    footer_link,
    form_alert,
    submit_button,
)
from components.oauth import oauth_buttons, oauth_error_notice
from dreampixel.pages.shell import page
from states.auth import AuthState
from states.edge import accounts


@page(route="/login", title="Sign in · Dream Pixel", on_load=AuthState.load_form)
def login() -> rx.Component:
    return auth_page(
        auth_card(
            auth_heading("Sign in", "Welcome back to Dream Pixel."),
            rx.cond(AuthState.oauth_reason != "", oauth_error_notice(AuthState.oauth_reason, AuthState.oauth_provider)),
            form_alert(AuthState.form_error),
            auth_form(
                field(label="Email", field_id="email", error=AuthState.email_error, type="email",
                      auto_complete="email", placeholder="you@example.com"),
                field(label="Password", field_id="password", error=AuthState.password_error, type="password",
                      auto_complete="current-password"),
                rx.link("Forgot your password?", href="/forgot", size="2", color=theme.BRAND_TEXT,
                        align_self="end"),
                submit_button("Sign in", loading=AuthState.loading),
                on_submit=AuthState.sign_in,
                label="Sign in",
            ),
            oauth_buttons(AuthState.next_path, providers=accounts.oauth_providers()),
            footer_link("New to Dream Pixel?", "Create an account", "/signup?next=" + AuthState.next_param),
        ),
    )
