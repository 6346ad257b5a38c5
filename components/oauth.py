""""Continue with Google / GitHub" and the notice shown when such a sign-in is refused.

The buttons are plain links (a full page load, not client-side routing): the browser has to
leave for /api/auth/oauth/{provider}/start, which sends it on to the provider. The page
passes in the configured providers, so which ones appear is decided when the frontend is
compiled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from urllib.parse import quote

import reflex as rx

from components import theme


class Provider(Protocol):
    """A sign-in provider as the buttons need it: "google" and "Google"."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...


def start_href(provider: str, next_path: str | rx.Var[str]) -> str | rx.Var[str]:
    if isinstance(next_path, rx.Var):
        return f"/api/auth/oauth/{provider}/start?next={next_path}"
    return f"/api/auth/oauth/{provider}/start?next={quote(next_path, safe='/')}"


def oauth_button(provider: str, label: str, next_path: str | rx.Var[str]) -> rx.Component:
    return rx.button(
        # as_child: Radix styles the <a> itself, so there is one focusable link, no nested button.
        rx.el.a(
            rx.text(f"Continue with {label}", as_="span", weight="medium"),
            href=start_href(provider, next_path),
            data_provider=provider,
            # A document load, not client-side routing: the browser must reach the API and leave.
            reload_document=True,
        ),
        as_child=True,
        variant="outline",
        color_scheme="gray",
        size="3",
        width="100%",
        style={"color": theme.TEXT, "border_color": theme.BORDER, "background": theme.PAGE_BACKGROUND,
               "_hover": {"background": theme.BRAND_SOFT}},
    )


def oauth_buttons(next_path: str | rx.Var[str] = "/generate", *, providers: Sequence[Provider]) -> rx.Component:
    """One button per provider, in order, under an "or" divider; nothing at all when there is none."""
    if not providers:
        return rx.fragment()
    return rx.vstack(
        rx.hstack(
            rx.separator(size="4", flex="1"),
            rx.text("or", size="2", color=theme.TEXT_MUTED),
            rx.separator(size="4", flex="1"),
            align="center",
            width="100%",
            spacing="3",
        ),
        *[oauth_button(provider.name, provider.label, next_path) for provider in providers],
        spacing="3",
        width="100%",
        role="group",
        aria_label="Sign in with another account",
    )


def oauth_error_notice(reason: rx.Var[str], provider: rx.Var[str]) -> rx.Component:
    """The message for `/login?error=oauth&reason=...&provider=...` (pass the query values in)."""
    label = rx.match(provider, ("github", "GitHub"), "Google")
    message = rx.match(
        reason,
        ("unverified_email", rx.text(
            "An account with this email already exists. Sign in with your password first, then connect ",
            label, " from your account page.",
        )),
        ("no_email", rx.text(label, " did not share an email address with us, so we cannot sign you in with it.")),
        ("suspended", rx.text("This account is suspended. Contact support if you think this is a mistake.")),
        ("denied", rx.text("Sign-in with ", label, " was cancelled.")),
        ("provider_unreachable", rx.text(label, " could not be reached. Please try again in a moment.")),
        rx.text("We could not sign you in with ", label, ". Please try again."),
    )
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle_alert")),
        rx.callout.text(message),
        color_scheme="red",
        variant="surface",
        role="alert",
        width="100%",
    )
