"""The admin console in Chromium against the production app: an admin finds a user, grants credits
(the user's open generate page shows them at once), suspends them (their session stops), and sees a
forced error appear in the error log; a moderator reaches only moderation; a user finds no admin page.
Every admin page is saved at 1280 and 375 px, light and dark."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from dreampixel.pages.shell import NOT_FOUND_TITLE
from tests.fixtures.browser import SCREENSHOTS, AppServer, app_cli, app_user, wait_until_final
from tools.screenshots import capture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "brass-compass-meadows-7"


def console_routes() -> list[tuple[str, list[str]]]:
    """(route, roles that may open it) for every console route in the page registry."""
    import dreampixel.dreampixel  # noqa: F401  (importing the app registers every page)
    from dreampixel.pages.shell import PAGES, console_roles, is_console

    found = sorted((p.route, console_roles(p.route)) for p in PAGES if is_console(p.route))
    assert len(found) >= 8
    return found


def console_urls() -> list[tuple[str, list[str]]]:
    """The same, as URLs: a detail route is opened with an id that names nothing."""
    return [(re.sub(r"\[[a-z_]+\]", "unknown", route), roles) for route, roles in console_routes()]


PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def people(app_server: AppServer) -> dict[str, str]:
    admin = f"admin-{secrets.token_hex(4)}@example.test"
    moderator = f"moderator-{secrets.token_hex(4)}@example.test"
    for email, role in ((admin, "ADMIN"), (moderator, "MODERATOR")):
        app_cli(app_server, "create-user", "--email", email, "--password", PASSWORD, "--role", role, "--verified",
                "--name", role.title())
    user = app_user(app_server, prefix="member", name="Mia Member", password=PASSWORD, credits=50)
    # A few generations for the dashboard's charts and the generations page (their credits are spent
    # before the member's page opens, so the balance the tests read is settled).
    key = app_cli(app_server, "create-api-key", "--email", user, "--name", "admin test").splitlines()[-1].strip()
    with httpx.Client(base_url=app_server.base_url, headers={"x-api-key": key}, timeout=30) as http:
        ids = [http.post("/api/v1/generations", json={"prompt": prompt, "width": 512, "height": 512,
                                                      "provider": "local"}).json()["id"]
               for prompt in ("a copper kettle on a stove", "a lighthouse in fog")]
        assert [wait_until_final(http, i, timeout=90) for i in ids] == ["succeeded", "succeeded"]
    return {"admin": admin, "moderator": moderator, "user": user}


@pytest.fixture
def contexts(browser: Browser, app_server: AppServer) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def sign_in(browser: Browser, app_server: AppServer, opened: list[BrowserContext], email: str, *,
            viewport: ViewportSize = DESKTOP, scheme: str = "light", to: str = "/account") -> Page:
    context = browser.new_context(base_url=app_server.base_url, viewport=viewport,
                                  color_scheme=scheme)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    opened.append(context)
    page = context.new_page()
    page.goto(f"/login?next={to}")
    expect(page.get_by_role("button", name="Sign in")).to_be_enabled()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: urlparse(url).path.rstrip("/") == to, timeout=30_000)
    return page


def test_an_admin_grants_credits_live_and_suspends_a_user(browser: Browser, app_server: AppServer,
                                                          people: dict[str, str],
                                                          contexts: list[BrowserContext]) -> None:
    member = sign_in(browser, app_server, contexts, people["user"], to="/generate")
    expect(member.get_by_text(re.compile(r"· 48 left"))).to_be_visible()

    admin = sign_in(browser, app_server, contexts, people["admin"], to="/admin/users")
    expect(admin.get_by_role("heading", name="Users", level=1)).to_be_visible()
    admin.get_by_role("textbox", name="Search").fill(people["user"].split("@")[0])
    admin.get_by_role("button", name="Search").click()
    users = admin.get_by_role("table", name="Users")
    expect(users.get_by_role("row")).to_have_count(2)
    users.get_by_role("link").first.click()
    expect(admin.get_by_role("heading", name=people["user"], level=1)).to_be_visible()

    grant = admin.get_by_role("form", name="Grant or remove credits")
    grant.get_by_label("Credits").fill("25")
    grant.get_by_label("Reason").fill("sorry for the outage")
    grant.get_by_role("button", name="Grant or remove credits").click()
    expect(admin.get_by_label("Credit balance")).to_have_text("73")
    history = admin.get_by_role("table", name="Audit history")
    expect(history).to_contain_text("user.credits_granted")
    expect(history).to_contain_text("sorry for the outage")
    # The member's open page heard the credits event: no reload.
    expect(member.get_by_text(re.compile(r"· 73 left"))).to_be_visible()

    suspend = admin.get_by_role("form", name="Suspend")
    suspend.get_by_label("Reason").fill("chargeback fraud")
    suspend.get_by_role("button", name="Suspend").click()
    expect(admin.get_by_role("form", name="Unsuspend")).to_be_visible()
    # The member's open page leaves for sign-in by itself and says why: no reload.
    expect(member).to_have_url(re.compile(r"/login\?ended=1"))
    expect(member.get_by_text("Your session has ended. Sign in again to continue.")).to_be_visible()

    admin.goto("/admin/audit")
    log = admin.get_by_role("table", name="Audit log")
    expect(log).to_contain_text("user.suspended")
    expect(log).to_contain_text("chargeback fraud")


def test_a_forced_error_appears_in_the_error_log_by_itself(browser: Browser, app_server: AppServer,
                                                          people: dict[str, str],
                                                          contexts: list[BrowserContext]) -> None:
    admin = sign_in(browser, app_server, contexts, people["admin"], to="/admin/system")
    expect(admin.get_by_role("heading", name="System", level=1)).to_be_visible()
    expect(admin.get_by_role("region", name="Dependencies")).to_contain_text("Database")
    # The app's in-process jobs report their heartbeat with the jobs they did.
    expect(admin.get_by_role("table", name="Worker heartbeats")).to_contain_text(re.compile(r"\d+ done · \d+ failed"))
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(Path(SCREENSHOTS) / "admin-system-workers.png"), full_page=True)
    errors = admin.get_by_role("region", name="Error log")
    expect(errors.get_by_text("admin.test_error")).to_have_count(0)
    admin.get_by_role("button", name="Log a test error").click()
    expect(errors.get_by_text(re.compile("admin.test_error")).first).to_be_visible()
    errors.get_by_role("button", name="Trace").first.click()
    expect(errors).to_contain_text("RuntimeError")


def test_a_moderator_reaches_only_moderation(browser: Browser, app_server: AppServer, people: dict[str, str],
                                             contexts: list[BrowserContext]) -> None:
    page = sign_in(browser, app_server, contexts, people["moderator"], to="/admin/moderation")
    expect(page.get_by_role("heading", name="Moderation", level=1)).to_be_visible()
    expect(page).to_have_title("Moderation · Admin · Dream Pixel")
    refused = [url for url, roles in console_urls() if "MODERATOR" not in roles]
    assert "/admin/users" in refused and "/admin/moderation" not in refused
    for url in refused:
        page.goto(url)
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page).to_have_title(NOT_FOUND_TITLE)


def test_every_admin_url_is_a_404_for_a_user(browser: Browser, app_server: AppServer, people: dict[str, str],
                                             contexts: list[BrowserContext]) -> None:
    page = sign_in(browser, app_server, contexts, app_user(app_server, prefix="plain", name="Pat Plain",
                                                            password=PASSWORD, credits=0))
    page.get_by_role("button", name="Pat Plain").click()
    expect(page.get_by_role("menuitem", name="Account")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Admin")).to_have_count(0)
    page.keyboard.press("Escape")
    for url, _roles in console_urls():
        page.goto(url)
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_role("navigation", name="Admin sections")).to_have_count(0)
        expect(page).to_have_title(NOT_FOUND_TITLE)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_admin_page_is_saved_for_a_person_to_look_at(browser: Browser, app_server: AppServer,
                                                           people: dict[str, str], scheme: str) -> None:
    """tools/screenshots.py against the test app: every console route of the registry, both widths."""
    shots = capture(browser, app_server.base_url, email=people["admin"], password=PASSWORD,
                    out=SCREENSHOTS / "admin", schemes=(scheme,))
    assert {s.route for s in shots} == {route for route, _ in console_routes()}
    assert [(s.url, s.width) for s in shots if s.overflow_px] == [], "a page sticks out sideways"
