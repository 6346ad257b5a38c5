"""The seeds marketplace, pricing and billing in Chromium against the production app with demo data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dreampixel.core.settings import settings
from tests.fixtures.browser import REPO, AppServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Shot = Callable[[Page, str], Path]


@pytest.fixture(scope="module")
def demo_data(app_server: AppServer) -> AppServer:
    """The demo accounts and approved seeds, written into the app server's own database (once)."""
    env = {**os.environ, "ENVIRONMENT": "test", "DATA_DIR": str(app_server.data_dir),
           "DATABASE_URL": f"sqlite:///{app_server.data_dir / 'dreampixel.db'}", "REDIS_URL": "",
           "S3_BUCKET_IMAGES": ""}
    result = subprocess.run([sys.executable, "-m", "dreampixel", "seed-demo"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return app_server


def _cards(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("seed-card")


def test_browse_filter_open_and_use_a_seed(page: Page, demo_data: AppServer, screenshot: Shot) -> None:
    page.goto("/seeds")

    expect(page.get_by_role("heading", name="Seeds", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Featured")).to_be_visible()
    grid_cards = page.locator("main .rt-Grid").get_by_test_id("seed-card")
    expect(grid_cards).to_have_count(8)
    expect(page.locator("main img").first).to_have_js_property("complete", True)
    screenshot(page, "seeds-light")

    page.get_by_role("tab", name="Anime").click()
    expect(grid_cards).to_have_count(1)
    expect(grid_cards.first).to_contain_text("Summer anime sky")

    page.get_by_role("tab", name="All").click()
    page.get_by_label("Search seeds").fill("dunes")
    page.get_by_role("button", name="Search").click()
    expect(grid_cards).to_have_count(1)
    expect(grid_cards.first).to_contain_text("Desert dunes")

    grid_cards.first.click()
    expect(page).to_have_url(re.compile(r"/seeds/sed_[0-9A-Z]+$"))
    expect(page.get_by_role("heading", name="Desert dunes", level=1)).to_be_visible()
    expect(page.get_by_text("desert dunes under a hot sun, orange sand")).to_be_visible()
    expect(page.get_by_text("280280")).to_be_visible()
    expect(page.locator("main img").first).to_have_js_property("complete", True)
    screenshot(page, "seed-detail")
    seed_id = page.url.rsplit("/", 1)[-1]

    page.get_by_role("button", name="Use this seed").click()
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fseeds%2F{seed_id}$"))
    _sign_in_as_demo_user(page)
    expect(page).to_have_url(re.compile(rf"/seeds/{seed_id}/?$"))
    expect(page.get_by_text("0 uses")).to_be_visible()

    page.get_by_role("button", name="Use this seed").click()
    expect(page).to_have_url(re.compile(rf"/generate/?\?seed_id={seed_id}$"))
    page.go_back()
    expect(page.get_by_text("1 uses")).to_be_visible()


def _sign_in_as_demo_user(page: Page) -> None:
    page.get_by_label("Email").fill(settings.demo_user_email)
    page.get_by_label("Password").fill(settings.demo_user_password.get_secret_value())
    page.get_by_label("Password").press("Enter")


def test_the_marketplace_in_dark_mode_and_on_a_phone(page: Page, demo_data: AppServer, screenshot: Shot) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto("/seeds")
    expect(page.locator("main .rt-Grid").get_by_test_id("seed-card")).to_have_count(8)
    if "dark" not in (page.locator("html").get_attribute("class") or ""):
        page.get_by_role("button", name="Toggle dark mode").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    screenshot(page, "seeds-dark")

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/seeds")
    expect(page.locator("main .rt-Grid").get_by_test_id("seed-card")).to_have_count(8)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "seeds-375")


def test_an_unknown_seed_says_it_is_not_available(page: Page, demo_data: AppServer) -> None:
    page.goto("/seeds/sed_DOESNOTEXIST")

    expect(page.get_by_role("heading", name="This seed is not available")).to_be_visible()


def test_pricing_shows_the_three_tiers_with_their_limits(page: Page, app_server: AppServer, screenshot: Shot) -> None:
    page.goto("/pricing")

    for tier in ("FREE", "PRO", "ENTERPRISE"):
        expect(page.get_by_role("article", name=f"{tier} plan")).to_be_visible()
    expect(page.get_by_role("article", name="FREE plan")).to_contain_text("1 generation / day")
    expect(page.get_by_role("article", name="PRO plan")).to_contain_text("100 generations / day")
    expect(page.get_by_role("article", name="ENTERPRISE plan")).to_contain_text("1,000 generations / day")
    expect(page.get_by_role("article", name="PRO plan")).to_contain_text("1,000 API requests / 15 min")
    screenshot(page, "pricing")


def test_billing_asks_to_sign_in_then_says_billing_is_not_configured(page: Page, demo_data: AppServer,
                                                                     screenshot: Shot) -> None:
    page.goto("/billing")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fbilling$"))

    _sign_in_as_demo_user(page)

    expect(page).to_have_url(re.compile(r"/billing/?$"))
    expect(page.get_by_role("heading", name="Billing", level=1)).to_be_visible()
    expect(page.get_by_text("Billing is not set up on this installation")).to_be_visible()
    expect(page.get_by_text("PRO", exact=True)).to_be_visible()
    expect(page.get_by_text("100", exact=True)).to_be_visible()
    screenshot(page, "billing")


def test_the_landing_page_shows_featured_seeds_with_their_images(page: Page, demo_data: AppServer,
                                                                 screenshot: Shot) -> None:
    page.goto("/")

    row = page.locator("#seeds")
    expect(row.get_by_role("heading", name="Featured seeds")).to_be_visible()
    expect(row.get_by_test_id("seed-card")).to_have_count(3)
    expect(row.locator("img").first).to_have_js_property("complete", True)
    assert row.locator("img").first.evaluate("img => img.naturalWidth") > 0
    row.scroll_into_view_if_needed()
    screenshot(page, "landing-featured-seeds")
