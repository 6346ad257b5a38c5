"""/admin/analytics in Chromium against the production app: an admin sees the retention triangle, the
funnel and provider performance, changes the period and downloads a table as CSV; a moderator and
a user find no such page. The page is saved at 1280 and 375 px, light and dark."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ViewportSize, expect

from tests.e2e.test_admin import DESKTOP, PASSWORD, PHONE, sign_in
from tests.fixtures.browser import SCREENSHOTS, AppServer, app_cli, app_user, wait_until_final

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def people(app_server: AppServer) -> dict[str, str]:
    admin = f"analyst-{secrets.token_hex(4)}@example.test"
    moderator = f"mod-{secrets.token_hex(4)}@example.test"
    for email, role in ((admin, "ADMIN"), (moderator, "MODERATOR")):
        app_cli(app_server, "create-user", "--email", email, "--password", PASSWORD, "--role", role, "--verified")
    member = app_user(app_server, prefix="maker", name="Max Maker", password=PASSWORD, credits=20)
    key = app_cli(app_server, "create-api-key", "--email", member, "--name", "analytics").splitlines()[-1].strip()
    with httpx.Client(base_url=app_server.base_url, headers={"x-api-key": key}, timeout=30) as http:
        made = http.post("/api/v1/generations", json={"prompt": "a paper boat on a pond", "width": 512,
                                                      "height": 512, "provider": "local"}).json()["id"]
        assert wait_until_final(http, made, timeout=90) == "succeeded"
    return {"admin": admin, "moderator": moderator, "member": member}


@pytest.fixture
def contexts() -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def test_an_admin_reads_the_three_tables_and_downloads_one(browser: Browser, app_server: AppServer,
                                                           people: dict[str, str], contexts: list[BrowserContext],
                                                           tmp_path: Path) -> None:
    page = sign_in(browser, app_server, contexts, people["admin"], to="/admin/analytics")
    expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible()
    retention = page.get_by_role("table", name="Retention by sign-up week")
    funnel = page.get_by_role("table", name="Funnel by sign-up week")
    providers = page.get_by_role("table", name="Provider performance")
    # Eight sign-up weeks by default, and the column heads of the funnel and the providers.
    expect(retention.get_by_role("row")).to_have_count(9)
    expect(funnel.get_by_role("columnheader", name="Fifth generation")).to_be_visible()
    # The member's generation this week: this week's cohort was active in its week 0.
    expect(retention.get_by_role("row").last.get_by_role("cell").nth(1)).not_to_have_text("—")
    local = providers.get_by_role("row").filter(has_text="local")
    expect(local).to_contain_text("100.0%")

    page.get_by_role("combobox", name="Period").click()
    page.get_by_role("option", name="Last 4 weeks").click()
    expect(retention.get_by_role("row")).to_have_count(5)
    expect(funnel.get_by_role("row")).to_have_count(5)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download providers CSV").click()
    download = download_info.value
    assert download.suggested_filename == "dreampixel-providers-4w.csv"
    saved = tmp_path / "providers.csv"
    download.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("provider,attempts,succeeded,failed")
    assert any(line.startswith("local,") for line in lines[1:])


def test_a_moderator_and_a_user_find_no_analytics(browser: Browser, app_server: AppServer, people: dict[str, str],
                                                 contexts: list[BrowserContext]) -> None:
    for email in (people["moderator"], people["member"]):
        page = sign_in(browser, app_server, contexts, email, to="/account")
        page.goto("/admin/analytics")
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_role("table")).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_the_analytics_page_is_saved_for_a_person_to_look_at(browser: Browser, app_server: AppServer,
                                                             people: dict[str, str], contexts: list[BrowserContext],
                                                             scheme: str, viewport: ViewportSize) -> None:
    page = sign_in(browser, app_server, contexts, people["admin"], viewport=viewport, scheme=scheme,
                   to="/admin/analytics")
    if scheme == "dark":
        page.get_by_role("button", name="Toggle dark mode").first.click()
    expect(page.get_by_role("table", name="Provider performance")).to_be_visible()
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page sticks out {overflow} px sideways"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = "375" if viewport is PHONE else "1280"
    page.screenshot(path=str(SCREENSHOTS / f"admin-analytics-{width}-{scheme}.png"), full_page=True,
                    animations="disabled")
