"""The usage section of /account in Chromium against the production app: the balance, the chart
of generations per day and the credit history, after generations made through the REST API."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.fixtures.browser import AppServer, app_cli, app_user, wait_until_final

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Shot = Callable[[Page, str], Path]
PASSWORD = "copper-kettle-lanterns-9"
SUCCEEDED = 11  # 512x512: one credit each
# One 2048x2048 generation (two credits held) canceled at once. Still queued, its hold comes back
# as a release: newest first, release +2 (39), hold -2 (37), 11 holds -1 (48 .. 38), welcome +50.
# Already at the provider, it is charged: the hold -2 (37) stays and nothing comes back.


@dataclass(frozen=True)
class Spender:
    email: str
    canceled_id: str
    refunded: bool  # whether the cancel caught it queued (released) or processing (charged)

    @property
    def balance(self) -> str:
        return "39" if self.refunded else "37"

    @property
    def ledger_rows(self) -> int:
        return 1 + SUCCEEDED + (2 if self.refunded else 1)





@pytest.fixture(scope="module")
def spender(app_server: AppServer) -> Spender:
    """A PRO user with 50 credits, 11 succeeded generations and one canceled, all made over the API."""
    email = app_user(app_server, prefix="usage", name="Una Usage", password=PASSWORD, credits=50)
    key = app_cli(app_server, "create-api-key", "--email", email, "--name", "usage test").splitlines()[-1].strip()
    with httpx.Client(base_url=app_server.base_url, headers={"x-api-key": key}, timeout=30) as http:
        ids = []
        for index in range(SUCCEEDED):
            response = http.post(
                "/api/v1/generations",
                json={"prompt": f"a paper lantern, number {index}", "width": 512, "height": 512, "provider": "local"},
            )
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
        assert [wait_until_final(http, i, timeout=90) for i in ids] == ["succeeded"] * SUCCEEDED

        big = http.post("/api/v1/generations", json={"prompt": "a vast city at night", "width": 2048, "height": 2048})
        assert big.status_code == 202, big.text
        canceled = http.post(f"/api/v1/generations/{big.json()['id']}/cancel")
        assert canceled.status_code == 200 and canceled.json()["status"] == "canceled", canceled.text
        refunded = canceled.json()["cost"]["credits_refunded"] == 2
    return Spender(email=email, canceled_id=big.json()["id"], refunded=refunded)


def _open_account(page: Page, email: str) -> Locator:
    page.goto("/login?next=/account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/account/?$"))
    usage = page.get_by_role("region", name="Usage")
    expect(usage.get_by_role("status", name="Loading usage")).to_have_count(0)
    return usage


def test_the_chart_and_the_credit_history_after_generations(page: Page, spender: Spender, screenshot: Shot) -> None:
    usage = _open_account(page, spender.email)

    summary = "12 generations in the last 30 days: 11 succeeded, 1 failed or canceled."
    expect(usage.get_by_role("img", name=summary)).to_be_visible()
    expect(usage.get_by_text(summary)).to_be_visible()
    expect(usage.locator(".recharts-bar-rectangle").first).to_be_visible()  # the bars were drawn
    expect(usage.get_by_role("group", name="Credits")).to_contain_text(spender.balance)
    today = usage.get_by_role("group", name="Today")
    expect(today).to_contain_text("11 of 100")  # a canceled generation does not count
    expect(today).to_contain_text("89 left today")

    ledger = usage.get_by_role("table", name="Credit history")
    rows = ledger.get_by_role("row")
    expect(rows).to_have_count(1 + 10)  # the header and the newest page
    if spender.refunded:
        expect(rows.nth(1)).to_contain_text("+2")
        expect(rows.nth(1)).to_contain_text("Returned: not delivered")
        expect(rows.nth(1).get_by_role("cell").last).to_have_text("39")
        expect(rows.nth(2)).to_contain_text("-2")
        expect(rows.nth(2)).to_contain_text("Held, then returned")
        expect(rows.nth(2).get_by_role("cell").last).to_have_text("37")
    else:
        expect(rows.nth(1)).to_contain_text("-2")
        expect(rows.nth(1)).to_contain_text("Charged for a generation")
        expect(rows.nth(1).get_by_role("cell").last).to_have_text("37")
    expect(rows.nth(1).get_by_role("link", name="Open in gallery")).to_have_attribute(
        "href", f"/gallery?generation={spender.canceled_id}"
    )
    screenshot(page, "account-usage-light")

    usage.get_by_role("button", name="Show more").click()
    expect(rows).to_have_count(1 + spender.ledger_rows)
    expect(usage.get_by_role("button", name="Show more")).to_have_count(0)
    oldest = rows.last
    expect(oldest).to_contain_text("+50")
    expect(oldest).to_contain_text("Welcome credits")
    expect(oldest.get_by_role("cell").last).to_have_text("50")
    expect(rows.nth(spender.ledger_rows - 1).get_by_role("cell").last).to_have_text("49")  # the first hold

    page.get_by_role("button", name="Toggle dark mode").click()
    expect(page.locator("html")).to_have_class("dark")
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky bar lands mid-page in a full-page shot
    screenshot(page, "account-usage-dark")
    page.get_by_role("button", name="Toggle dark mode").click()

    page.set_viewport_size({"width": 375, "height": 812})
    expect(usage.get_by_role("img", name=summary)).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "nothing sticks out sideways at 375 px"
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "account-usage-375")
    newest = rows.nth(1).get_by_role("cell")
    newest.first.scroll_into_view_if_needed()
    expect(newest.last).to_be_in_viewport(ratio=1)  # the balance, without scrolling the table sideways

    page.set_viewport_size({"width": 1280, "height": 800})
    rows.nth(1).get_by_role("link", name="Open in gallery").click()
    expect(page).to_have_url(re.compile(rf"/gallery\?generation={spender.canceled_id}$"))
    expect(page.get_by_role("dialog")).to_contain_text("a vast city at night")  # that generation's detail


def test_without_generations_the_section_says_where_to_start(page: Page, app_server: AppServer) -> None:
    usage = _open_account(page, app_user(app_server, prefix="usage", name="Una Usage", password=PASSWORD, credits=5))

    expect(usage.get_by_text("No generations in the last 30 days — start one on Generate.")).to_be_visible()
    usage.get_by_role("link", name="Generate", exact=True).click()
    expect(page).to_have_url(re.compile(r"/generate/?$"))
    page.go_back()
    usage = page.get_by_role("region", name="Usage")
    rows = usage.get_by_role("table", name="Credit history").get_by_role("row")
    expect(rows).to_have_count(2)
    expect(rows.last).to_contain_text("Welcome credits")
    expect(usage.get_by_role("button", name="Show more")).to_have_count(0)
