"""The seeds marketplace, pricing and billing in Chromium against the production app with demo data."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from dreampixel.core.db import create_db_engine
from dreampixel.core.models import User
from dreampixel.core.settings import settings
from services.seeds import moderation
from tests.fixtures.browser import SCREENSHOTS, AppServer, app_cli, app_user

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "copper-kettle-whistles-9"
LIVE_TIMEOUT = 30_000


def _database_url(app_server: AppServer) -> str:
    return f"sqlite:///{app_server.data_dir / 'dreampixel.db'}"



@pytest.fixture(scope="module")
def demo_data(app_server: AppServer) -> AppServer:
    """The demo accounts and approved seeds, written into the app server's own database (once)."""
    app_cli(app_server, "seed-demo")
    return app_server


def _cards(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("seed-card")


def test_browse_filter_open_and_use_a_seed(page: Page, demo_data: AppServer) -> None:
    page.goto("/seeds")

    expect(page.get_by_role("heading", name="Seeds", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Featured")).to_be_visible()
    grid_cards = page.locator("main .rt-Grid").get_by_test_id("seed-card")
    expect(grid_cards).to_have_count(8)
    expect(page.locator("main img").first).to_have_js_property("complete", True)

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
    seed_id = page.url.rsplit("/", 1)[-1]

    page.get_by_role("button", name="Use this seed").click()
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fseeds%2F{seed_id}$"))
    _sign_in_as_demo_user(page)
    expect(page).to_have_url(re.compile(rf"/seeds/{seed_id}/?$"))
    expect(page.get_by_text("0 uses ·")).to_be_visible()

    page.get_by_role("button", name="Use this seed").click()
    expect(page).to_have_url(re.compile(rf"/generate/?\?seed_id={seed_id}$"))
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(
        re.compile(r"^desert dunes under a hot sun, orange sand"))
    expect(page.get_by_label("Seed", exact=True)).to_have_value("280280")
    expect(page.get_by_role("button", name="Lock seed")).to_have_attribute("aria-pressed", "true")
    page.go_back()
    expect(page.get_by_text("1 use ·")).to_be_visible()


def _sign_in_as_demo_user(page: Page) -> None:
    page.get_by_label("Email").fill(settings.demo_user_email)
    page.get_by_label("Password").fill(settings.demo_user_password.get_secret_value())
    page.get_by_label("Password").press("Enter")


def test_an_unknown_seed_says_it_is_not_available(page: Page, demo_data: AppServer) -> None:
    page.goto("/seeds/sed_DOESNOTEXIST")

    expect(page.get_by_role("heading", name="This seed is not available")).to_be_visible()


def test_pricing_shows_the_three_tiers_with_their_limits(page: Page, app_server: AppServer) -> None:
    page.goto("/pricing")

    for tier in ("FREE", "PRO", "ENTERPRISE"):
        expect(page.get_by_role("article", name=f"{tier} plan")).to_be_visible()
    expect(page.get_by_role("article", name="FREE plan")).to_contain_text("1 generation / day")
    expect(page.get_by_role("article", name="PRO plan")).to_contain_text("100 generations / day")
    expect(page.get_by_role("article", name="ENTERPRISE plan")).to_contain_text("1,000 generations / day")
    expect(page.get_by_role("article", name="PRO plan")).to_contain_text("1,000 API requests / 15 min")


def test_billing_asks_to_sign_in_then_says_billing_is_not_configured(page: Page, demo_data: AppServer) -> None:
    page.goto("/billing")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fbilling$"))

    _sign_in_as_demo_user(page)

    expect(page).to_have_url(re.compile(r"/billing/?$"))
    expect(page.get_by_role("heading", name="Billing", level=1)).to_be_visible()
    expect(page.get_by_text("Billing is not set up on this installation")).to_be_visible()
    expect(page.get_by_text("PRO", exact=True)).to_be_visible()
    expect(page.get_by_text("100", exact=True)).to_be_visible()


def test_the_landing_page_shows_featured_seeds_with_their_images(page: Page, demo_data: AppServer) -> None:
    page.goto("/")

    row = page.locator("#seeds")
    expect(row.get_by_role("heading", name="Featured seeds")).to_be_visible()
    expect(row.get_by_test_id("seed-card")).to_have_count(3)
    expect(row.locator("img").first).to_have_js_property("complete", True)
    assert row.locator("img").first.evaluate("img => img.naturalWidth") > 0


def _approve(app_server: AppServer, seed_id: str) -> None:
    """What a moderator's approval does, through the service layer on the app's own database
    (the admin moderation page does not exist yet)."""
    engine = create_db_engine(_database_url(app_server))
    try:
        with Session(engine) as session:
            moderator = session.exec(select(User).where(User.email == settings.demo_admin_email)).one()
            moderation.moderate_seed(session, actor=moderator, seed_id=seed_id, approve=True)
            session.commit()
    finally:
        engine.dispose()


def _search_seeds(page: Page, words: str) -> None:
    page.get_by_label("Search seeds").fill(words)
    page.get_by_role("button", name="Search").click()


def test_a_published_seed_waits_for_moderation_then_appears_in_the_marketplace(
    page: Page, browser: Browser, demo_data: AppServer
) -> None:
    email = app_user(demo_data, prefix="kettle", name="Kit Kettle", password=PASSWORD, credits=20)
    prompt = "a copper kettle on an old stove, morning light"
    title = f"Copper kettle {secrets.token_hex(3)}"
    page.goto("/login?next=/generate")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Generate", level=1)).to_be_visible()
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate").click()
    card = page.get_by_role("region", name="Your generations").get_by_role("article").first
    expect(card).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)
    expect(card.get_by_text("local")).to_be_visible()

    page.goto("/seeds")
    my_seeds = page.get_by_role("region", name="My seeds")
    expect(my_seeds).to_contain_text("You have not published a seed yet.")
    page.get_by_role("button", name="Publish a seed").click()
    dialog = page.get_by_role("dialog", name="Publish a seed")
    choice = dialog.get_by_role("radio", name=prompt)
    choice.click()
    expect(choice).to_have_attribute("aria-checked", "true")
    dialog.get_by_label("Title").fill(title)
    dialog.get_by_label("Description").fill("Warm light on worn copper.")
    dialog.get_by_role("combobox", name="Category").click()
    page.get_by_role("option", name="Landscape").click()
    expect(dialog.get_by_role("combobox", name="Category")).to_contain_text("Landscape")
    page.screenshot(path=str(SCREENSHOTS / "seeds-publish-dialog.png"))  # the modal as the visitor sees it
    dialog.get_by_role("button", name="Submit for review").click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="Your seed waits for a moderator")).to_be_visible()
    mine = my_seeds.get_by_role("listitem")
    expect(mine).to_have_count(1)
    expect(mine.first.get_by_text("Waiting for moderation")).to_be_visible()
    seed_id = (mine.first.get_by_role("link", name=title).get_attribute("href") or "").rsplit("/", 1)[-1]
    assert seed_id.startswith("sed_")
    my_seeds.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "seeds-mine-pending.png"))

    # Not public yet: the marketplace does not list it, and its address shows nothing to others.
    _search_seeds(page, title)
    expect(page.get_by_role("heading", name="No seeds here yet")).to_be_visible()
    expect(page.get_by_test_id("seed-card").filter(has_text=title)).to_have_count(0)
    stranger = browser.new_page(base_url=demo_data.base_url)
    stranger.set_default_timeout(15_000)
    try:
        stranger.goto(f"/seeds/{seed_id}")
        expect(stranger.get_by_role("heading", name="This seed is not available")).to_be_visible()

        _approve(demo_data, seed_id)

        stranger.goto("/seeds")
        _search_seeds(stranger, title)
        listed = stranger.get_by_test_id("seed-card").filter(has_text=title)
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text("Kit Kettle")
        listed.click()
        expect(stranger.get_by_role("heading", name=title, level=1)).to_be_visible()
        expect(stranger.get_by_text("Landscape", exact=True)).to_be_visible()
        expect(stranger.get_by_text("Warm light on worn copper.")).to_be_visible()
        expect(stranger.get_by_text(prompt)).to_be_visible()
        expect(stranger.get_by_role("button", name="Use this seed")).to_be_enabled()
    finally:
        stranger.close()

    page.reload()
    expect(mine.first.get_by_text("Published")).to_be_visible()


def test_a_used_seed_says_where_the_form_came_from_carries_its_provider_and_can_be_cleared(
    page: Page, demo_data: AppServer
) -> None:
    page.goto("/login?next=%2Fseeds")
    _sign_in_as_demo_user(page)
    page.get_by_role("tab", name="Anime").click()
    page.get_by_test_id("seed-card").filter(has_text="Summer anime sky").first.click()
    expect(page).to_have_url(re.compile(r"/seeds/sed_[0-9A-Z]+$"))
    seed_path = re.sub(r"^https?://[^/]+", "", page.url)
    page.get_by_role("button", name="Use this seed").click()
    expect(page).to_have_url(re.compile(r"/generate/?\?seed_id=sed_"))

    source = page.get_by_role("status", name="Seed source")
    expect(source).to_contain_text("Filled in from the seed Summer anime sky")
    expect(source).to_contain_text("made with local")
    expect(page.get_by_role("combobox", name="Provider")).to_contain_text("local")
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(re.compile(r"^anime style summer sky"))
    page.screenshot(path=str(SCREENSHOTS / "generate-from-seed.png"), full_page=True)

    source.get_by_role("link", name="Summer anime sky").click()
    expect(page).to_have_url(re.compile(re.escape(seed_path) + "$"))
    page.go_back()
    source = page.get_by_role("status", name="Seed source")
    source.get_by_role("button", name="Clear the seed's settings").click()
    expect(source).to_have_count(0)
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("")
    expect(page.get_by_role("combobox", name="Provider")).to_contain_text("Automatic")
    expect(page).to_have_url(re.compile(r"/generate/?$"))


def test_on_a_phone_the_featured_seeds_wrap_with_every_card_whole(page: Page, demo_data: AppServer) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/seeds")
    featured = page.get_by_role("region", name="Featured")
    cards = featured.get_by_test_id("seed-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 2
    for index in range(cards.count()):
        box = cards.nth(index).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, f"featured card {index} is cut at the edge"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways"
    tops = {round(cards.nth(index).bounding_box()["y"]) for index in range(cards.count())}  # type: ignore[index]
    assert len(tops) > 1, "the row wraps onto more lines"
    page.screenshot(path=str(SCREENSHOTS / "seeds-featured-375.png"), full_page=True)


def test_pricing_marks_the_signed_in_users_plan_and_free_does_not_send_them_to_sign_up(
    page: Page, demo_data: AppServer
) -> None:
    page.goto("/pricing")
    free = page.get_by_role("article", name="FREE plan")
    expect(free.get_by_role("link", name="Start for free")).to_have_attribute("href", "/signup")
    expect(page.get_by_text("Your plan")).to_have_count(0)

    page.goto("/login?next=%2Fpricing")
    _sign_in_as_demo_user(page)
    expect(page).to_have_url(re.compile(r"/pricing/?$"))

    pro = page.get_by_role("article", name="PRO plan")
    expect(pro.get_by_text("Your plan", exact=True)).to_be_visible()
    expect(pro).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("article", name="ENTERPRISE plan").get_by_text("Your plan", exact=True)).to_have_count(0)
    expect(free.get_by_role("link", name="Start for free")).to_have_count(0)
    expect(free.get_by_role("link", name="Start generating")).to_have_attribute("href", "/generate")
    page.screenshot(path=str(SCREENSHOTS / "pricing-signed-in.png"), full_page=True)
