"""An account's life in Chromium against the production app: sign up, confirm by email, sign in, sign out."""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import AppServer
from tests.fixtures.smtp import Inbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Shot = Callable[[Page, str], Path]
PASSWORD = "violet-lighthouse-42"
LINK_RE = re.compile(r"https?://\S+/verify\?token=[A-Za-z0-9_\-]+")


def _verification_path(inbox: Inbox, email: str) -> str:
    received = inbox.wait_for(to=email, timeout=20)
    body = received.message.get_body(preferencelist=("plain",))
    assert body is not None
    match = LINK_RE.search(body.get_content())
    assert match, "the email carries the verification link"
    link = urlsplit(match.group(0))
    return f"{link.path}?{link.query}"


def test_a_wrong_password_is_refused_inline(page: Page, screenshot: Shot) -> None:
    page.goto("/login")

    page.get_by_label("Email").fill("nobody@example.test")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_label("Password").press("Enter")

    expect(page.get_by_role("alert").filter(has_text="Email or password is incorrect.")).to_be_visible()
    screenshot(page, "auth-login-error")


def test_signup_shows_field_errors_beside_the_fields(page: Page, screenshot: Shot) -> None:
    page.goto("/signup")

    page.get_by_label("Email").fill("someone@example.test")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_text("Too common")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "auth-signup-error")


def test_sign_up_confirm_sign_in_see_the_session_and_sign_out(page: Page, smtp_inbox: Inbox, screenshot: Shot) -> None:
    email = f"ada-{secrets.token_hex(4)}@example.test"

    page.goto("/signup")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "auth-signup")
    page.get_by_role("button", name="Create account").click()
    # Signed in at once, on Generate, which waits for the confirmed email.
    expect(page).to_have_url(re.compile(r"/generate/?$"))
    expect(page.get_by_role("button", name="Generate", exact=True)).to_be_disabled()

    link = _verification_path(smtp_inbox, email)
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/generate/?$"))
    expect(page.get_by_text(re.compile("Welcome to Dream Pixel, Ada! Your email is confirmed"))).to_be_visible()
    screenshot(page, "auth-verified")
    page.goto(link)  # the link works once
    expect(page.get_by_role("heading", name="This link has expired or was already used")).to_be_visible()
    expect(page.get_by_role("button", name="Send a new link")).to_be_visible()
    screenshot(page, "auth-verify-used")

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Ada Lovelace").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Faccount$"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "auth-login")
    page.get_by_label("Password").press("Enter")

    expect(page).to_have_url(re.compile(r"/account/?$"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
    sessions = page.get_by_role("list", name="Signed-in sessions")
    expect(sessions.get_by_role("listitem")).to_have_count(1)
    expect(sessions.get_by_text("Chrome on Linux")).to_be_visible()
    expect(sessions.get_by_text("This browser")).to_be_visible()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    screenshot(page, "auth-account-light")

    page.get_by_role("button", name="Toggle dark mode").click()
    expect(page.locator("html")).to_have_class("dark")
    screenshot(page, "auth-account-dark")
    page.get_by_role("button", name="Toggle dark mode").click()

    page.set_viewport_size({"width": 375, "height": 812})
    screenshot(page, "auth-account-375")
    page.set_viewport_size({"width": 1280, "height": 800})

    nav.get_by_role("button", name="Ada Lovelace").click()
    page.get_by_role("menuitem", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def _age_sessions(app_server: AppServer) -> None:
    """Make every session of the app look as if it signed in long ago (no recent authentication)."""
    with sqlite3.connect(app_server.data_dir / "dreampixel.db") as db:
        db.execute("UPDATE auth_sessions SET authenticated_at = NULL")


def test_an_api_key_is_shown_once_after_creation_and_works_from_httpx(
    page: Page, smtp_inbox: Inbox, screenshot: Shot, app_server: AppServer
) -> None:
    email = f"bo-{secrets.token_hex(4)}@example.test"
    page.goto("/signup?next=/account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
    expect(page.get_by_text("Not confirmed", exact=True)).to_be_visible()
    # Until the email is confirmed, no key: the page says why.
    expect(page.get_by_text(re.compile("Confirm your email address before creating API keys"))).to_be_visible()
    expect(page.get_by_role("button", name="Create key")).to_be_disabled()

    page.goto(_verification_path(smtp_inbox, email))
    expect(page).to_have_url(re.compile(r"/generate/?$"))
    page.goto("/account")
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    _age_sessions(app_server)

    page.get_by_label("Key name").fill("ci script")
    page.get_by_label("Daily credit cap").fill("50")
    page.get_by_role("button", name="Create key").click()
    # The sign-in is no longer recent: the page asks for the password, then carries on.
    confirm = page.get_by_role("dialog", name="Confirm it's you")
    expect(confirm).to_be_visible()
    screenshot(page, "auth-confirm-identity")
    confirm.get_by_label("Your password", exact=True).fill(PASSWORD)
    confirm.get_by_role("button", name="Confirm").click()

    dialog = page.get_by_role("dialog", name="Your new API key")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text(re.compile(r"^dp_live_"))).to_be_visible()
    expect(dialog.get_by_role("button", name="Copy key")).to_be_visible()
    screenshot(page, "auth-api-key-dialog")
    plaintext = dialog.get_by_text(re.compile(r"^dp_live_")).inner_text().strip()
    dialog.get_by_role("button", name="I have copied it").click()
    keys = page.get_by_role("list", name="API keys")
    expect(keys.get_by_text("ci script")).to_be_visible()

    # The key works for a program, over plain HTTP, at once.
    with httpx.Client(base_url=app_server.base_url, timeout=10) as client:
        listed = client.get("/api/v1/generations", headers={"x-api-key": plaintext})
        assert listed.status_code == 200 and listed.json()["data"] == []
        assert int(listed.headers["ratelimit-limit"]) > 0

        keys.get_by_role("button", name="Revoke key ci script").click()
        expect(page.get_by_text("No API keys yet.")).to_be_visible()
        revoked = client.get("/api/v1/generations", headers={"x-api-key": plaintext})
        assert revoked.status_code == 401
