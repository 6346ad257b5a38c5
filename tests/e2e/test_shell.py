"""The app shell in Chromium: landing, navigation, colour mode, 404 and the mobile menu."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_landing_page_leads_with_its_promise(page: Page) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")

    expect(page.get_by_role("heading", name="Turn words into images", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Start creating").first).to_have_attribute("href", "/signup")
    expect(page.get_by_role("link", name="Browse seeds")).to_have_attribute("href", "/seeds")
    expect(page.get_by_text("1 generation / day")).to_be_visible()
    expect(page.get_by_text("100 generations / day")).to_be_visible()
    expect(page.get_by_text("1,000 generations / day")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert errors == [], "the page loads without errors (event websocket included)"


def test_sign_in_leads_to_the_login_form(page: Page) -> None:
    page.goto("/")

    page.get_by_role("navigation").get_by_role("link", name="Sign in").click()

    expect(page).to_have_url("/login")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_enabled()


def test_the_colour_mode_toggle_switches_to_dark_and_back(page: Page) -> None:
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_class("light")

    page.get_by_role("button", name="Toggle dark mode").click()

    expect(html).to_have_class("dark")
    page.reload()
    expect(html).to_have_class("dark")  # the choice is remembered

    page.get_by_role("button", name="Toggle dark mode").click()
    expect(html).to_have_class("light")


def test_an_unknown_page_says_not_found_and_links_home(page: Page) -> None:
    page.goto("/no-such-page")

    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.get_by_role("link", name="Back to home").click()
    expect(page).to_have_url("/")


def test_public_pages_answer_and_private_ones_ask_to_sign_in(page: Page) -> None:
    for route, heading in [("/seeds", "Seeds"), ("/pricing", "Pricing")]:
        page.goto(route)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    for route in ("/gallery", "/generate", "/account"):
        page.goto(route)
        expect(page).to_have_url(f"/login?next=%2F{route.lstrip('/')}")


def test_at_phone_width_the_navigation_collapses_into_a_menu(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/")

    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Gallery")).to_be_hidden()
    menu = page.get_by_role("button", name="Open menu")
    expect(menu).to_be_visible()

    menu.click()
    expect(page.get_by_role("menuitem", name="Seeds")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "nav-menu-375.png"))  # the open menu, as the visitor sees it
    page.get_by_role("menuitem", name="Gallery").click()
    # A signed-out visitor reaches the gallery, which sends them to sign in and back to it.
    expect(page).to_have_url(re.compile(r"/(gallery|login\?next=%2Fgallery)$"))


def test_the_api_answers_on_the_same_port(page: Page) -> None:
    response = page.request.get("/api/health")

    assert response.status == 200
    assert response.json()["checks"]["database"]["ok"] is True


def test_the_frontends_hashed_assets_are_cached_for_a_year(page: Page) -> None:
    page.goto("/")
    scripts = page.locator("script[src^='/assets/'], link[rel='modulepreload'][href^='/assets/']")
    expect(scripts.first).to_be_attached()
    asset = scripts.first.get_attribute("src") or scripts.first.get_attribute("href")
    response = page.request.get(str(asset))
    assert response.status == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    # Pages themselves are not: a new build must reach the next visit.
    assert "immutable" not in (page.request.get("/").headers.get("cache-control") or "")
