"""Buying PRO in Chromium against the production app and the fake Stripe: a first image on the free
grant, Checkout, the plan pushed live on /billing, the PRO credits, and the invoice PDF."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_auth_flow import PASSWORD, _verification_path
from tests.fakes.stripe import (
    PRICE_ENTERPRISE,
    PRICE_PACK_SMALL,
    PRICE_PRO_MONTHLY,
    PRICE_PRO_YEARLY,
    STRIPE_KEY,
    WEBHOOK_SECRET,
    FakeStripe,
)
from tests.fixtures.browser import ARTIFACTS, BUN, AppServer, running_app
from tests.fixtures.smtp import Inbox, SmtpServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Shot = Callable[[Page, str], Path]
PRO_MONTHLY_CREDITS = 1000  # CREDITS_PRO_MONTHLY's default
LIVE_TIMEOUT = 30_000


@pytest.fixture(scope="module")
def billing_app(tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpServer,
                _stripe_server: FakeStripe) -> Iterator[AppServer]:
    """The production app with billing on, talking to the fake Stripe, which posts its webhooks back."""
    if not BUN.exists():
        pytest.skip(f"bun is not installed at {BUN}")
    ARTIFACTS.mkdir(exist_ok=True)
    env = {
        "SMTP_HOST": smtp_server.host, "SMTP_PORT": str(smtp_server.port), "SMTP_STARTTLS": "false", "SMTP_USER": "",
        "STRIPE_SECRET_KEY": STRIPE_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": _stripe_server.origin, "STRIPE_PRICE_PRO_MONTHLY": PRICE_PRO_MONTHLY,
        "STRIPE_PRICE_PRO_YEARLY": PRICE_PRO_YEARLY, "STRIPE_PRICE_ENTERPRISE": PRICE_ENTERPRISE,
        "CREDIT_PACKS": json.dumps([{"price_id": PRICE_PACK_SMALL, "credits": 250, "label": "250 credits",
                                     "price": "$9"}]),
    }
    # Its own build directory: the build carries the app's port, and the shared app_server may be
    # serving from WEB_DIR at the same time.
    with running_app(tmp_path_factory.mktemp("billing-app-data"), web_dir=ARTIFACTS / "reflex-web-billing",
                     log_path=ARTIFACTS / "billing-app-server.log", extra_env=env) as server:
        _stripe_server.webhook_url = f"{server.base_url}/api/stripe/webhooks"
        # Long enough for the success page to load first: the plan must then arrive live.
        _stripe_server.delivery_delay = 4.0
        try:
            yield server
        finally:
            _stripe_server.webhook_url, _stripe_server.delivery_delay = "", 0.0


@pytest.fixture
def billing_page(browser: Browser, billing_app: AppServer) -> Iterator[Page]:
    context = browser.new_context(base_url=billing_app.base_url, viewport={"width": 1280, "height": 800},
                                  color_scheme="light")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _sign_up_and_sign_in(page: Page, inbox: Inbox) -> None:
    email = f"grace-{secrets.token_hex(4)}@example.test"
    page.goto("/signup")
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # Signing up signs in; the emailed link, opened in the same browser, lands on Generate.
    expect(page).to_have_url(re.compile(r"/generate/?$"))
    page.goto(_verification_path(inbox, email))
    expect(page).to_have_url(re.compile(r"/generate/?"))
    expect(page.get_by_text("Your email is confirmed")).to_be_visible()


def _first_image(page: Page) -> None:
    """The FREE allowance granted on verification pays for an image at once."""
    page.goto("/generate")
    page.get_by_label("Prompt", exact=True).fill("a paper boat on a calm lake")
    page.get_by_label("Prompt", exact=True).press("Control+Enter")
    card = page.get_by_role("region", name="Your generations").get_by_role("article").first
    expect(card).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)


def _balance(page: Page) -> int:
    text = page.get_by_test_id("credit-balance").inner_text()
    return int(re.search(r"Credits\s+([\d,]+)", text).group(1).replace(",", ""))  # type: ignore[union-attr]


def test_without_stripe_pricing_shows_the_plans_and_says_billing_is_not_set_up(page: Page,
                                                                              app_server: AppServer) -> None:
    page.goto("/pricing")
    for tier in ("PRO", "ENTERPRISE"):
        plan = page.get_by_role("article", name=f"{tier} plan")
        expect(plan.get_by_role("button", name="Billing is not set up")).to_be_disabled()
    expect(page.get_by_role("button", name=re.compile(r"^Choose "))).to_have_count(0)


def test_a_new_user_makes_an_image_buys_pro_and_sees_it_live_with_credits_and_invoice(
        billing_page: Page, smtp_inbox: Inbox, _stripe_server: FakeStripe, screenshot: Shot) -> None:
    page = billing_page
    _sign_up_and_sign_in(page, smtp_inbox)
    _first_image(page)
    page.goto("/pricing")
    expect(page.get_by_role("article", name="PRO plan")).to_be_visible()
    screenshot(page, "billing-pricing")
    page.get_by_role("button", name=re.compile(r"Choose Pro · Monthly")).click()

    expect(page).to_have_url(re.compile(r"/checkout/cs_test_\w+$"))
    expect(page.get_by_role("heading", name="Pay Dream Pixel")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    expect(page).to_have_url(re.compile(r"/billing/?\?checkout=success$"))
    expect(page.get_by_test_id("current-plan")).to_contain_text("FREE")
    before = _balance(page)
    page.evaluate("window.__samePage = true")
    expect(page.get_by_test_id("current-plan")).to_contain_text("PRO", timeout=LIVE_TIMEOUT)
    expect(page.get_by_test_id("credit-balance")).to_contain_text(str(before + PRO_MONTHLY_CREDITS),
                                                                  timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.__samePage === true"), "the plan arrived without a reload"
    screenshot(page, "billing-pro")

    link = page.get_by_role("button", name="Download PDF")
    expect(link).to_be_visible(timeout=LIVE_TIMEOUT)
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
