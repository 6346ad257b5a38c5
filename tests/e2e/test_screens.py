"""Every page in light and dark and at phone width, saved for a person to look at.

Each screen is opened in a fresh browser context, checked for its heading and main control,
switched to dark with the colour-mode toggle where wanted (the app starts light whatever the
system prefers), and saved as test-artifacts/screenshots/<name>-light.png, <name>-dark.png
and <name>-375.png; at 375 px nothing may stick out sideways. Signed-in pages are seen by a
member with three images, and by a newcomer with none for the empty states. The account page
is left to its own tests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.fixtures.browser import SCREENSHOTS, AppServer, app_cli, app_user

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "quiet-harbour-lanterns-3"
PROMPTS = ["a paper lantern festival over a river", "a fox asleep under ferns", "a tin robot watering tulips"]
Scheme = Literal["light", "dark"]
PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}

# Lazy images below the fold would stay blank in a full-page shot: load them all, then wait.
LOAD_IMAGES = """async () => {
  const images = [...document.images];
  images.forEach((img) => { img.loading = "eager"; });
  await Promise.all(images.filter((img) => !img.complete)
    .map((img) => new Promise((done) => { img.onload = img.onerror = done; })));
  return images.filter((img) => img.naturalWidth === 0).map((img) => img.src);
}"""

# Elements whose right edge passes the viewport's, unless a scrolling or clipping box holds them.
PAST_THE_EDGE = """() => {
  const edge = document.documentElement.clientWidth + 1;
  const held = (el) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible" && box.getBoundingClientRect().right <= edge) return true;
    }
    return false;
  };
  return [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > edge && el.getClientRects().length > 0 && !held(el))
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${(el.textContent || "").trim().slice(0, 40)}`);
}"""



def _make_images(app_server: AppServer, key: str) -> None:
    with httpx.Client(base_url=app_server.base_url, headers={"x-api-key": key}, timeout=30) as http:
        ids = []
        for prompt in PROMPTS:
            body = {"prompt": prompt, "width": 512, "height": 512, "provider": "local"}
            response = http.post("/api/v1/generations", json=body)
            assert response.status_code in (200, 201, 202), response.text
            ids.append(response.json()["id"])
        deadline = time.monotonic() + 60
        while True:
            statuses = [http.get(f"/api/v1/generations/{i}").json()["status"] for i in ids]
            if all(status not in ("queued", "processing") for status in statuses) or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # the API offers polling or webhooks; this fixture has no webhook receiver
        assert statuses == ["succeeded"] * len(PROMPTS)


def _signed_in_state(app_server: AppServer, browser: Browser, email: str, path: Path) -> Path:
    """Sign in once in a browser and keep the cookies for the screens that need an account."""
    context = browser.new_context(base_url=app_server.base_url)
    try:
        page = context.new_page()
        page.goto("/login?next=/gallery")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Gallery", level=1)).to_be_visible(timeout=15_000)
        context.storage_state(path=str(path))
    finally:
        context.close()
    return path


def _create_user(app_server: AppServer, name: str) -> str:
    return app_user(app_server, prefix="screens", name=name, password=PASSWORD, credits=50)


@pytest.fixture(scope="module")
def accounts(app_server: AppServer, browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo seeds; a PRO member with three images and a newcomer with none, signed in."""
    app_cli(app_server, "seed-demo")
    member = _create_user(app_server, "Sam Screens")
    key = app_cli(app_server, "create-api-key", "--email", member, "--name", "screens").splitlines()[-1].strip()
    _make_images(app_server, key)
    newcomer = _create_user(app_server, "Nell Newcomer")
    states = tmp_path_factory.mktemp("screens")
    return {
        "member": _signed_in_state(app_server, browser, member, states / "member.json"),
        "newcomer": _signed_in_state(app_server, browser, newcomer, states / "newcomer.json"),
    }


@dataclass(frozen=True)
class Screen:
    name: str
    path: str
    check: Callable[[Page], None]
    account: Literal["", "member", "newcomer"] = ""  # signed out, or signed in as one of `accounts`
    then: Callable[[Page], None] | None = None  # a step after the colour mode is set (opening a dialog)
    modal: bool = False  # a dialog covers the viewport only: shoot what the visitor sees, not the full page


def _heading(name: str, level: int = 1) -> Callable[[Page], None]:
    return lambda page: expect(page.get_by_role("heading", name=name, level=level)).to_be_visible()


def _landing(page: Page) -> None:
    _heading("Turn words into images")(page)
    expect(page.get_by_role("link", name="Start creating").first).to_be_visible()
    expect(page.locator("#seeds").get_by_test_id("seed-card").first).to_be_visible()


def _login(page: Page) -> None:
    _heading("Sign in")(page)
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_enabled()


def _signup(page: Page) -> None:
    _heading("Create your account")(page)
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("button", name="Create account")).to_be_enabled()


def _verify(page: Page) -> None:
    expect(page.get_by_role("heading", name="This link has expired or was already used")).to_be_visible()
    expect(page.get_by_role("button", name="Send a new link")).to_be_enabled()


def _forgot(page: Page) -> None:
    _heading("Forgot your password?")(page)
    expect(page.get_by_role("button", name="Send reset link")).to_be_enabled()


def _reset(page: Page) -> None:
    _heading("Choose a new password")(page)
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Set new password")).to_be_enabled()


def _generate(page: Page) -> None:
    _heading("Generate")(page)
    expect(page.get_by_label("Prompt", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Generate")).to_be_enabled()
    cards = page.get_by_role("region", name="Your generations").get_by_role("article")
    expect(cards).to_have_count(len(PROMPTS))
    for card in cards.all():
        expect(card).to_have_attribute("data-status", "succeeded")


def _generate_empty(page: Page) -> None:
    _heading("Generate")(page)
    expect(page.get_by_role("button", name="Generate")).to_be_enabled()
    expect(page.get_by_role("heading", name="Nothing generated yet", level=3)).to_be_visible()
    expect(page.get_by_role("link", name="Looking for ideas? Browse seeds")).to_be_visible()


def _gallery_empty(page: Page) -> None:
    _heading("Gallery")(page)
    expect(page.get_by_role("heading", name="No images yet", level=2)).to_be_visible()
    expect(page.get_by_role("link", name="Generate an image")).to_be_visible()


def _seeds_signed_in(page: Page) -> None:
    _seeds(page)
    expect(page.get_by_role("button", name="Publish a seed")).to_be_visible()
    expect(page.get_by_role("region", name="My seeds")).to_contain_text("You have not published a seed yet.")


def _gallery(page: Page) -> None:
    _heading("Gallery")(page)
    expect(page.get_by_label("Search prompts")).to_be_visible()
    expect(page.get_by_role("list", name="Your images").get_by_role("listitem")).to_have_count(len(PROMPTS))


def _open_details(page: Page) -> None:
    page.get_by_role("button", name=f"Open details: {PROMPTS[1]}").click()
    dialog = page.get_by_role("dialog", name="Image details")
    expect(dialog.get_by_text(PROMPTS[1]).first).to_be_visible()
    expect(dialog.get_by_role("button", name="Delete")).to_be_visible()
    expect(dialog.get_by_role("img")).to_have_js_property("complete", True)


def _seeds(page: Page) -> None:
    _heading("Seeds")(page)
    expect(page.get_by_role("heading", name="Featured", level=2)).to_be_visible()
    expect(page.get_by_label("Search seeds")).to_be_visible()
    expect(page.get_by_role("link", name="Desert dunes").first).to_be_visible()


def _open_seed(page: Page) -> None:
    page.get_by_role("link", name="Desert dunes").first.click()
    _heading("Desert dunes")(page)
    expect(page.get_by_role("button", name="Use this seed")).to_be_enabled()
    expect(page.get_by_role("heading", name="Recipe", level=2)).to_be_visible()


def _use_seed(page: Page) -> None:
    # Not "Desert dunes": tests/e2e/test_seeds.py counts that seed's uses from zero.
    page.get_by_role("link", name="Forest under the stars").first.click()
    _heading("Forest under the stars")(page)
    page.get_by_role("button", name="Use this seed").click()
    _heading("Generate")(page)
    expect(page.get_by_role("status", name="Seed source")).to_contain_text("Forest under the stars")


def _pricing_signed_in(page: Page) -> None:
    _pricing(page)
    expect(page.get_by_role("article", name="PRO plan").get_by_text("Your plan", exact=True)).to_be_visible()


def _pricing(page: Page) -> None:
    _heading("Pricing")(page)
    for tier in ("FREE", "PRO", "ENTERPRISE"):
        expect(page.get_by_role("article", name=f"{tier} plan")).to_be_visible()


def _billing(page: Page) -> None:
    _heading("Billing")(page)
    expect(page.get_by_text("Billing is not set up on this installation")).to_be_visible()
    expect(page.get_by_role("link", name="Compare plans")).to_be_visible()


def _not_found(page: Page) -> None:
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="Back to home")).to_be_visible()


SCREENS = [
    Screen("landing", "/", _landing),
    Screen("login", "/login", _login),
    Screen("signup", "/signup", _signup),
    Screen("verify", "/verify?token=an-expired-link", _verify),
    Screen("forgot", "/forgot", _forgot),
    Screen("reset", "/reset?token=a-link-from-the-email", _reset),
    Screen("generate", "/generate", _generate, account="member"),
    Screen("gallery", "/gallery", _gallery, account="member"),
    Screen("gallery-detail", "/gallery", _gallery, account="member", then=_open_details, modal=True),
    Screen("generate-empty", "/generate", _generate_empty, account="newcomer"),
    Screen("gallery-empty", "/gallery", _gallery_empty, account="newcomer"),
    Screen("seeds", "/seeds", _seeds),
    Screen("seeds-signed-in", "/seeds", _seeds_signed_in, account="newcomer"),
    Screen("seed-detail", "/seeds", _seeds, then=_open_seed),
    Screen("generate-from-seed", "/seeds", _seeds, account="member", then=_use_seed),
    Screen("pricing", "/pricing", _pricing),
    Screen("pricing-signed-in", "/pricing", _pricing_signed_in, account="member"),
    Screen("billing", "/billing", _billing, account="member"),
    Screen("not-found", "/no-such-page", _not_found),
]


@pytest.fixture
def open_screen(browser: Browser, app_server: AppServer, accounts: dict[str, Path]) -> Iterator[Callable[..., Page]]:
    """`open_screen(screen, scheme=..., viewport=...)`: a fresh context on the screen, checked."""
    contexts = []

    def open_(screen: Screen, *, scheme: Scheme = "light", viewport: ViewportSize = DESKTOP) -> Page:
        context = browser.new_context(
            base_url=app_server.base_url,
            viewport=viewport,
            color_scheme=scheme,  # what a dark-mode visitor's system says, too
            storage_state=str(accounts[screen.account]) if screen.account else None,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(screen.path)
        screen.check(page)
        if scheme == "dark":  # the app starts light whatever the system prefers
            page.get_by_role("button", name="Toggle dark mode").click()
        expect(page.locator("html")).to_have_class(re.compile(rf"\b{scheme}\b"))
        if screen.then is not None:
            screen.then(page)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(LOAD_IMAGES) == [], "every image on the page loads"
        assert errors == [], "the page runs without script errors"
        return page

    yield open_
    for context in contexts:
        context.close()


def _save(page: Page, screen: Screen, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # or the sticky bar lands mid-page in a full-page shot
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=not screen.modal, animations="disabled")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("screen", SCREENS, ids=[screen.name for screen in SCREENS])
def test_each_page_is_saved_in_light_and_dark(open_screen: Callable[..., Page], screen: Screen, scheme: Scheme) -> None:
    page = open_screen(screen, scheme=scheme)
    _save(page, screen, f"{screen.name}-{scheme}")


@pytest.mark.parametrize("screen", SCREENS, ids=[screen.name for screen in SCREENS])
def test_each_page_fits_a_phone_without_sideways_scrolling(open_screen: Callable[..., Page], screen: Screen) -> None:
    page = open_screen(screen, viewport=PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{screen.name} sticks out {overflow} px sideways at 375 px"
    wide = page.evaluate(PAST_THE_EDGE)
    assert wide == [], f"{screen.name}: elements past the right edge at 375 px"
    _save(page, screen, f"{screen.name}-375")
