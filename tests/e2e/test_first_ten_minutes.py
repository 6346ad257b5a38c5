"""A newcomer's first ten minutes in Chromium against the production app, from the landing page to
the account's plan, with every step photographed at 1280 px and 375 px, light and dark."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from dreampixel.core.settings import settings
from tests.fixtures.browser import AppServer, app_cli
from tests.fixtures.smtp import Inbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Shot = Callable[[Page, str], Path]
PASSWORD = "violet-lighthouse-42"
LIVE_TIMEOUT = 30_000
LINK_RE = re.compile(r"https?://\S+/verify\?token=[A-Za-z0-9_\-]+")
# A reload would wipe this marker: a card that went live with it still set did so in place.
MARK_PAGE = "() => { window.dpSamePage = true; }"


@pytest.fixture(scope="module")
def demo_data(app_server: AppServer) -> AppServer:
    """The demo accounts and approved seeds, in the app server's own database (once)."""
    app_cli(app_server, "seed-demo")
    return app_server


def _verification_path(inbox: Inbox, email: str) -> str:
    received = inbox.wait_for(to=email, timeout=20)
    body = received.message.get_body(preferencelist=("plain",))
    assert body is not None
    match = LINK_RE.search(body.get_content())
    assert match, "the email carries the verification link"
    link = urlsplit(match.group(0))
    return f"{link.path}?{link.query}"


def _shots(page: Page, screenshot: Shot, name: str) -> None:
    """The page as it is now at 1280 px and 375 px, light and dark; back to 1280 px light after."""
    html = page.locator("html")
    for width, height in ((1280, 800), (375, 812)):
        page.set_viewport_size({"width": width, "height": height})
        for dark in (False, True):
            if dark:
                page.get_by_role("button", name="Toggle dark mode").click()
                expect(html).to_have_class(re.compile(r"\bdark\b"))
            page.evaluate("window.scrollTo(0, 0)")  # or the sticky bar lands mid-page in a full-page shot
            screenshot(page, f"newcomer-{name}-{width}-{'dark' if dark else 'light'}")
        page.get_by_role("button", name="Toggle dark mode").click()
        expect(html).not_to_have_class(re.compile(r"\bdark\b"))
    page.set_viewport_size({"width": 1280, "height": 800})


def _cards(page: Page) -> Locator:
    return page.get_by_role("region", name="Your generations").get_by_role("article")


def _generate_live(page: Page, prompt: str) -> Locator:
    page.evaluate(MARK_PAGE)
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()
    card = _cards(page).first
    expect(card.get_by_text(prompt)).to_be_visible()
    expect(card).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.dpSamePage") is True, "the card went live without a reload"
    return card


def test_a_newcomers_first_ten_minutes(page: Page, demo_data: AppServer, smtp_inbox: Inbox,
                                       screenshot: Shot) -> None:
    email = f"newcomer-{secrets.token_hex(4)}@example.test"
    nav = page.get_by_role("navigation", name="Main")

    # The landing page offers a way in for people without an account.
    page.goto("/")
    expect(page.get_by_role("heading", name="Turn words into images", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Start creating").first).to_have_attribute("href", "/signup")
    page.wait_for_load_state("networkidle")  # the featured seeds' pictures
    _shots(page, screenshot, "01-landing")
    nav.get_by_role("link", name="Sign up").click()

    # Sign-up signs in and lands on Generate, which says why it cannot generate yet.
    expect(page.get_by_role("heading", name="Create your account", level=1)).to_be_visible()
    page.get_by_label("Name").fill("Nia Newcomer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    _shots(page, screenshot, "02-signup")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/generate/?$"))
    expect(nav.get_by_role("button", name="Nia Newcomer")).to_be_visible()
    generate = page.get_by_role("button", name="Generate", exact=True)
    expect(generate).to_be_disabled()
    reason = page.locator("#generate-blocked")
    expect(reason).to_contain_text("No credits yet: confirm your email to receive your free credits.")
    expect(page.get_by_text(re.compile(r"generations left today"))).to_have_count(0)
    _shots(page, screenshot, "03-generate-unconfirmed")

    # The emailed link, opened in this browser, confirms and lands back on Generate with a welcome.
    page.goto(_verification_path(smtp_inbox, email))
    expect(page).to_have_url(re.compile(r"/generate/?$"))
    welcome = page.get_by_role("status").filter(has_text="Welcome to Dream Pixel, Nia! Your email is confirmed")
    expect(welcome).to_be_visible()
    expect(generate).to_be_enabled()
    expect(reason).to_have_count(0)
    _shots(page, screenshot, "04-generate-welcome")

    # The first image goes live in place.
    card = _generate_live(page, "a copper teapot floating above a misty pine forest")
    expect(card.get_by_text("Done")).to_be_visible()
    _shots(page, screenshot, "05-first-image")

    # Sign out, then the README's demo account in the same tab: its card goes live too.
    nav.get_by_role("button", name="Nia Newcomer").click()
    page.get_by_role("menuitem", name="Sign out").click()
    nav.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.get_by_label("Email").fill(settings.demo_user_email)
    page.get_by_label("Password").fill(settings.demo_user_password.get_secret_value())
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/generate/?$"))
    expect(nav.get_by_role("button", name="Demo User")).to_be_visible()
    _generate_live(page, "a lighthouse in a neon city at night")
    # Other modules read the demo account's balance as seeded: give the credit back.
    app_cli(demo_data, "grant-credits", "--email", settings.demo_user_email, "--amount", "1",
            "--reason", "test: return the credit the first-ten-minutes walk spent")
    _shots(page, screenshot, "06-demo-live-card")

    # The gallery finds it by a word of its prompt.
    nav.get_by_role("link", name="Gallery").click()
    expect(page.get_by_role("heading", name="Gallery", level=1)).to_be_visible()
    page.get_by_label("Search prompts").fill("lighthouse")
    page.get_by_label("Search prompts").press("Enter")
    tiles = page.get_by_role("list", name="Your images").get_by_role("listitem")
    expect(tiles).to_have_count(1)
    _shots(page, screenshot, "07-gallery-search")

    # A marketplace seed fills the form, provider included.
    nav.get_by_role("link", name="Seeds").click()
    page.get_by_role("tab", name="Anime").click()
    page.locator("main .rt-Grid").get_by_test_id("seed-card").first.click()
    page.get_by_role("button", name="Use this seed").click()
    expect(page).to_have_url(re.compile(r"/generate/?\?seed_id=sed_"))
    source = page.get_by_role("status", name="Seed source")
    expect(source).to_contain_text("made with local")
    expect(page.get_by_role("combobox", name="Provider")).to_contain_text("local")
    _shots(page, screenshot, "08-seed-used")

    # The user menu and the account page lead to the plan and billing.
    nav.get_by_role("button", name="Demo User").click()
    expect(page.get_by_role("menuitem", name="Plan and billing")).to_be_visible()
    page.get_by_role("menuitem", name="Account").click()
    plan = page.get_by_role("region", name="Plan")
    expect(plan).to_contain_text("PRO")
    expect(plan).to_contain_text("100 generations / day")
    expect(plan.get_by_role("link", name="Plan and billing")).to_have_attribute("href", "/billing")
    plan.scroll_into_view_if_needed()
    _shots(page, screenshot, "09-account-plan")
    plan.get_by_role("link", name="Plan and billing").click()
    expect(page.get_by_role("heading", name="Billing", level=1)).to_be_visible()

    # Pricing says what a credit buys.
    nav.get_by_role("link", name="Pricing").click()
    credits = page.get_by_role("region", name="What is a credit?")
    expect(credits).to_contain_text("one image up to 1 megapixel")
    expect(credits).to_contain_text("one image above 1 megapixel")
    credits.scroll_into_view_if_needed()
    _shots(page, screenshot, "10-pricing-credits")


def test_on_a_phone_the_bar_and_the_menu_offer_sign_up(page: Page, app_server: AppServer) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sign up")).to_be_visible()
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("menuitem", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account", level=1)).to_be_visible()
