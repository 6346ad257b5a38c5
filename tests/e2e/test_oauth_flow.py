"""Continue with Google, in Chromium, against the production app and the fake OpenID provider.

This module runs an app server of its own: Google sign-in is configured when the frontend is
compiled, and its PUBLIC_URL must be the address the browser uses (127.0.0.1), or the
provider would call back to another host and the state cookie would not come along. It
builds in a copy of the shared Reflex web directory so it never rewrites files the shared
`app_server` is serving.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Cookie, Page, expect

from tests.fakes.oidc import FakeOpenIDProvider
from tests.fixtures.browser import (
    APP_START_TIMEOUT,
    ARTIFACTS,
    BUN,
    WEB_DIR,
    AppServer,
    _answers,
    _migrate,
    reflex_env,
)
from tests.fixtures.processes import free_port, port_open, running_process

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Shot = Callable[[Page, str], Path]
OAUTH_WEB_DIR = ARTIFACTS / "reflex-web-oauth"
# The production server answers page paths with a trailing slash.
GALLERY = re.compile(r"/gallery/?$")
REFUSED = re.compile(r"/login/?\?error=oauth&reason=failed&provider=google$")


@pytest.fixture(scope="module")
def oauth_app(tmp_path_factory: pytest.TempPathFactory, oidc_provider: FakeOpenIDProvider) -> Iterator[AppServer]:
    if not BUN.exists():
        pytest.skip(f"bun is not installed at {BUN} (npm install --prefix .tools bun@1.4.4)")
    if not OAUTH_WEB_DIR.exists() and WEB_DIR.exists():
        # Reuse the installed frontend packages instead of fetching them again.
        shutil.copytree(WEB_DIR, OAUTH_WEB_DIR, symlinks=True)
        shutil.rmtree(OAUTH_WEB_DIR / "build", ignore_errors=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path_factory.mktemp("oauth-app-data")
    env = {
        **reflex_env(),
        "ENVIRONMENT": "test",
        "PORT": str(port),
        "PUBLIC_URL": base_url,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'dreampixel.db'}",
        "REDIS_URL": "",
        "LOG_FORMAT": "json",
        "REFLEX_WEB_WORKDIR": str(OAUTH_WEB_DIR),
        "REFLEX_STATES_WORKDIR": str(data_dir / "states"),
        "GOOGLE_CLIENT_ID": oidc_provider.client_id,
        "GOOGLE_CLIENT_SECRET": oidc_provider.client_secret,
        "GOOGLE_METADATA_URL": oidc_provider.metadata_url,
        "GITHUB_CLIENT_ID": "",
        "GITHUB_CLIENT_SECRET": "",
    }
    _migrate(env)
    started = time.monotonic()
    with running_process(
        [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port", "--backend-host", "127.0.0.1"],
        ready=lambda: port_open(port) and _answers(f"{base_url}/api/health") and _answers(f"{base_url}/"),
        what="the production app with Google sign-in",
        timeout=APP_START_TIMEOUT,
        log_path=ARTIFACTS / "app-server-oauth.log",
        env=env,
        cwd=ARTIFACTS.parent,
    ):
        yield AppServer(base_url=base_url, port=port, data_dir=data_dir, log_path=ARTIFACTS / "app-server-oauth.log",
                        startup_seconds=round(time.monotonic() - started, 1))


@pytest.fixture
def context(browser: Browser, oauth_app: AppServer, oidc_provider: FakeOpenIDProvider) -> Iterator[BrowserContext]:
    oidc_provider.reset()
    context = browser.new_context(base_url=oauth_app.base_url, viewport={"width": 1280, "height": 800},
                                  color_scheme="light")
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def oauth_page(context: BrowserContext) -> Page:
    return context.new_page()


def session_cookie(context: BrowserContext) -> Cookie | None:
    return next((c for c in context.cookies() if c["name"] == "dp_session"), None)


def login_page_offers_google(page: Page) -> bool:
    page.goto("/login")
    page.wait_for_load_state("networkidle")
    return page.get_by_role("link", name="Continue with Google").count() > 0


def test_continue_with_google_on_the_login_page_signs_in(oauth_page: Page, context: BrowserContext,
                                                         oidc_provider: FakeOpenIDProvider, screenshot: Shot) -> None:
    if not login_page_offers_google(oauth_page):
        pytest.skip("the login page does not render components.oauth.oauth_buttons() yet")
    oidc_provider.sign_in_as(sub="e2e-1", email="ada@example.com", name="Ada Lovelace")
    screenshot(oauth_page, "login-oauth-buttons")

    oauth_page.get_by_role("link", name="Continue with Google").click()

    expect(oauth_page).not_to_have_url(re.compile(r"/login"))
    expect(oauth_page.get_by_role("navigation", name="Main").get_by_role("button", name="Ada Lovelace")).to_be_visible()
    cookie = session_cookie(context)
    assert cookie is not None and cookie["httpOnly"]
    assert [r.accepted for r in oidc_provider.redemptions] == [True]


def test_the_start_link_signs_in_through_the_provider(oauth_page: Page, context: BrowserContext,
                                                      oidc_provider: FakeOpenIDProvider) -> None:
    oidc_provider.sign_in_as(sub="e2e-2", email="grace@example.com", name="Grace Hopper")

    oauth_page.goto("/api/auth/oauth/google/start?next=/gallery")

    expect(oauth_page).to_have_url(GALLERY)
    expect(oauth_page.get_by_role("navigation", name="Main").get_by_role("button", name="Grace Hopper")).to_be_visible()
    cookie = session_cookie(context)
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert [r.accepted for r in oidc_provider.redemptions] == [True]


def test_a_forged_state_lands_on_the_login_page_with_an_error(oauth_page: Page, context: BrowserContext,
                                                              oidc_provider: FakeOpenIDProvider) -> None:
    oauth_page.goto("/api/auth/oauth/google/start?next=/gallery")
    expect(oauth_page).to_have_url(GALLERY)
    code = oidc_provider.issued[-1].code
    context.clear_cookies()

    oauth_page.goto(f"/api/auth/oauth/google/callback?code={code}&state=forged")

    expect(oauth_page).to_have_url(REFUSED)
    assert session_cookie(context) is None


def test_visiting_the_same_callback_twice_is_refused(oauth_page: Page, context: BrowserContext,
                                                     oidc_provider: FakeOpenIDProvider) -> None:
    callbacks: list[str] = []
    oauth_page.on("request", lambda r: callbacks.append(r.url) if "/oauth/google/callback" in r.url else None)
    oauth_page.goto("/api/auth/oauth/google/start?next=/gallery")
    expect(oauth_page).to_have_url(GALLERY)
    context.clear_cookies(name="dp_session")

    oauth_page.goto(callbacks[0])

    expect(oauth_page).to_have_url(REFUSED)
    assert session_cookie(context) is None


def test_the_login_page_explains_a_refused_sign_in(oauth_page: Page, screenshot: Shot) -> None:
    if not login_page_offers_google(oauth_page):
        pytest.skip("the login page does not render components.oauth yet")

    oauth_page.goto("/login?error=oauth&reason=unverified_email&provider=google")

    expect(oauth_page.get_by_role("alert")).to_contain_text(
        "Sign in with your password first, then connect Google from your account page."
    )
    screenshot(oauth_page, "login-oauth-refused")


def test_the_account_page_lists_the_google_account_and_keeps_the_last_way_in(
    oauth_page: Page, oidc_provider: FakeOpenIDProvider, screenshot: Shot
) -> None:
    if not login_page_offers_google(oauth_page):
        pytest.skip("the login page does not render components.oauth yet")
    oidc_provider.sign_in_as(sub="e2e-unlink", email="only-google@example.com", name="Only Google")
    oauth_page.goto("/login?next=%2Faccount")
    oauth_page.get_by_role("link", name="Continue with Google").click()
    expect(oauth_page).to_have_url(re.compile(r"/account/?$"))
    connected = oauth_page.get_by_role("list", name="Connected accounts")
    expect(connected.get_by_text("Google (only-google@example.com)")).to_be_visible()

    connected.get_by_role("button", name="Unlink Google (only-google@example.com)").click()

    expect(oauth_page.get_by_role("alert").filter(has_text="only way into your account")).to_be_visible()
    expect(connected.get_by_text("Google (only-google@example.com)")).to_be_visible()
    screenshot(oauth_page, "account-connected-accounts")
