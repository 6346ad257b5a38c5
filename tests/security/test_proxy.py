"""Behind a trusted proxy, Reflex's sign-in tells clients apart by the address the proxy forwarded.

This module runs an app server of its own with TRUSTED_PROXIES=127.0.0.1 (the browser is the
"proxy" here: it sends X-Forwarded-For on every request, the event websocket included). It
builds in a copy of the shared Reflex web directory so it never rewrites files the shared
`app_server` is serving.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fixtures.browser import ARTIFACTS, BUN, WEB_DIR, AppServer, app_user, running_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROXIED_WEB_DIR = ARTIFACTS / "reflex-web-proxied"
PASSWORD = "violet-lighthouse-42"
CLIENT_FAILURE_LIMIT = 20
# Counts every time a whole-form alert appears, so a test can wait for each answer.
COUNT_ALERTS = """
window.dpAlerts = 0;
new MutationObserver((records) => {
  for (const record of records) for (const node of record.addedNodes)
    if (node.nodeType === 1 && (node.matches('[role=alert]') || node.querySelector('[role=alert]'))) window.dpAlerts++;
}).observe(document, {subtree: true, childList: true});
"""


@pytest.fixture(scope="module")
def proxied_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    if not BUN.exists():
        pytest.skip(f"bun is not installed at {BUN} (npm install --prefix .tools bun@1.4.4)")
    if not PROXIED_WEB_DIR.exists() and WEB_DIR.exists():
        # Reuse the installed frontend packages instead of fetching them again.
        shutil.copytree(WEB_DIR, PROXIED_WEB_DIR, symlinks=True)
        shutil.rmtree(PROXIED_WEB_DIR / "build", ignore_errors=True)
    with running_app(tmp_path_factory.mktemp("proxied-app-data"), web_dir=PROXIED_WEB_DIR,
                     log_path=ARTIFACTS / "app-server-proxied.log",
                     extra_env={"TRUSTED_PROXIES": "127.0.0.1"}) as server:
        yield server


@pytest.fixture
def client_at(browser: Browser, proxied_app: AppServer) -> Iterator[Callable[[str], Page]]:
    """`client_at(address)`: a login page in a browser whose requests say they come from `address`."""
    contexts = []

    def open_login(address: str) -> Page:
        context = browser.new_context(base_url=proxied_app.base_url, extra_http_headers={"X-Forwarded-For": address})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(COUNT_ALERTS)
        page.goto("/login")
        return page

    yield open_login
    for context in contexts:
        context.close()


def _attempt(page: Page, email: str, password: str) -> str:
    """Submit the sign-in form and wait for its answer; the alert's text."""
    seen = page.evaluate("window.dpAlerts")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_function(f"window.dpAlerts > {seen}")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    return alert.inner_text()


def test_one_clients_failures_do_not_throttle_another_client_behind_the_same_proxy(
        client_at: Callable[[str], Page], proxied_app: AppServer) -> None:
    email = app_user(proxied_app, prefix="proxied", name="Pat", password=PASSWORD, credits=0)
    attacker = client_at("203.0.113.10")
    for _ in range(CLIENT_FAILURE_LIMIT):
        _attempt(attacker, email, "wrong-password")

    assert "network" in _attempt(attacker, email, "wrong-password")
    # The account itself is locked by now; the other client is told that, not that its network is throttled.
    other = _attempt(client_at("203.0.113.20"), email, "wrong-password")
    assert "Too many failed attempts" in other and "network" not in other
