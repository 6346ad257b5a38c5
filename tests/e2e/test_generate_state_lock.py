"""The generate page with Reflex state in Redis (as production runs it) and a short state lock:
a submit whose database write waits longer than the lock lasts shows its card and no error."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fixtures.browser import ARTIFACTS, AppServer, app_user, running_app
from tests.fixtures.smtp import SmtpServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "violet-lighthouse-42"
LOCK_MS = 2000  # the page's state lock lapses after 2 s here (30 s in production)
HOLD_SECONDS = 6.0  # the database is busy three times as long
# Every error the page shows, however briefly: toasts come and go.
RECORD_ERRORS = """() => {
  window.dpErrors = [];
  new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.addedNodes) {
      const text = node.textContent || "";
      if (text.includes("An error occurred")) window.dpErrors.push(text);
    }
  }).observe(document.body, {subtree: true, childList: true});
}"""


@pytest.fixture(scope="module")
def redis_app(tmp_path_factory: pytest.TempPathFactory, redis_url: str, smtp_server: SmtpServer
              ) -> Iterator[AppServer]:
    env = {"REDIS_URL": redis_url, "REFLEX_REDIS_LOCK_EXPIRATION": str(LOCK_MS),
           "SMTP_HOST": smtp_server.host, "SMTP_PORT": str(smtp_server.port), "SMTP_STARTTLS": "false",
           "SMTP_USER": ""}
    ARTIFACTS.mkdir(exist_ok=True)
    # Its own build directory: the suite's shared app may be serving the default one.
    with running_app(tmp_path_factory.mktemp("app-redis"), web_dir=ARTIFACTS / "reflex-web-redis",
                     log_path=ARTIFACTS / "app-server-redis.log", extra_env=env) as server:
        yield server


@pytest.fixture
def tab(browser: Browser, redis_app: AppServer) -> Iterator[Page]:
    context = browser.new_context(base_url=redis_app.base_url, viewport={"width": 1280, "height": 800},
                                  color_scheme="light")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def hold_the_database(database: Path, seconds: float) -> threading.Thread:
    """Take SQLite's write lock from another connection for `seconds`, as a long write does under load."""
    taken = threading.Event()

    def run() -> None:
        connection = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            taken.set()
            threading.Event().wait(seconds)
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert taken.wait(10), "the write lock was not taken"
    return thread


def test_a_submit_that_outlasts_the_state_lock_shows_its_card_and_no_error(
    tab: Page, redis_app: AppServer, screenshot: Callable[[Page, str], Path]
) -> None:
    email = app_user(redis_app, prefix="lock", name="Grace", password=PASSWORD, credits=50)
    tab.goto("/generate")
    expect(tab).to_have_url(re.compile(r"/login\?next=%2Fgenerate$"))
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_label("Password").press("Enter")
    expect(tab.get_by_label("Prompt", exact=True)).to_be_visible()
    tab.get_by_label("Prompt", exact=True).fill("a lighthouse at dusk, oil on canvas")
    alerts: list[str] = []
    tab.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    tab.evaluate(RECORD_ERRORS)

    holder = hold_the_database(redis_app.data_dir / "dreampixel.db", HOLD_SECONDS)
    tab.get_by_role("button", name="Generate").click()
    tab.wait_for_timeout(LOCK_MS + 1000)  # the lock has lapsed; the submit still waits on the database
    expect(tab.get_by_role("region", name="Your generations").get_by_role("article")).to_have_count(0)
    holder.join(HOLD_SECONDS + 10)

    card = tab.get_by_role("region", name="Your generations").get_by_role("article").first
    expect(card).to_be_visible(timeout=20_000)
    expect(card).to_contain_text("a lighthouse at dusk, oil on canvas")
    tab.wait_for_timeout(2000)  # an error toast would have come with the card
    assert tab.evaluate("window.dpErrors") == [] and alerts == [], "no error was shown"
    expect(tab.get_by_role("button", name="Generate")).to_be_enabled()
    tab.evaluate("window.scrollTo(0, 0)")
    screenshot(tab, "generate-submit-outlasting-the-lock")
