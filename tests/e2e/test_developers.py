"""/developers in a browser, and the original README's curl walk-through against the production server."""

from __future__ import annotations

import re
import time
from typing import Literal

import httpx
import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from tests.e2e.test_screens import PAST_THE_EDGE
from tests.fixtures.browser import SCREENSHOTS, AppServer, app_cli, app_user

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PASSWORD = "quiet-harbour-lanterns-3"


@pytest.mark.parametrize(("scheme", "viewport", "name"), [
    ("light", DESKTOP, "developers-light"), ("dark", DESKTOP, "developers-dark"),
    ("light", PHONE, "developers-375"), ("dark", PHONE, "developers-375-dark"),
])
def test_the_developers_page_shows_samples_errors_and_limits(
    app_server: AppServer, browser: Browser, scheme: Literal["light", "dark"], viewport: ViewportSize, name: str,
) -> None:
    context = browser.new_context(base_url=app_server.base_url, viewport=viewport, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto("/developers")
        expect(page.get_by_role("heading", name="Developers", level=1)).to_be_visible(timeout=30_000)
        if scheme == "dark":  # the app starts light whatever the system prefers
            page.get_by_role("button", name="Toggle dark mode").click()
        expect(page.get_by_role("link", name="Open the interactive API docs (/api/docs)")).to_be_visible()
        expect(page.get_by_role("region", name="Errors").get_by_role("table")).to_contain_text("insufficient_scope")
        expect(page.get_by_role("region", name="Rate limits").get_by_role("table")).to_contain_text("PRO")
        page.get_by_role("tab", name="Python").first.click()
        expect(page.get_by_text("import os, httpx")).to_be_visible()
        quick_start = page.get_by_role("region", name="Quick start")
        expect(quick_start.get_by_role("link", name="Sign in")).to_be_visible()
        expect(quick_start).to_contain_text('export DREAMPIXEL_API_KEY="dp_live_..."')
        assert page.evaluate(PAST_THE_EDGE) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(("scheme", "viewport", "name"), [
    ("light", DESKTOP, "developers-new-key"), ("dark", PHONE, "developers-new-key-375-dark"),
])
def test_a_key_created_on_the_developers_page_calls_the_api(
    app_server: AppServer, browser: Browser, scheme: Literal["light", "dark"], viewport: ViewportSize, name: str,
) -> None:
    email = app_user(app_server, prefix="devkey", name="Dev Eloper", password=PASSWORD, credits=5)
    context = browser.new_context(base_url=app_server.base_url, viewport=viewport, color_scheme=scheme)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/login?next=/developers")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        expect(page).to_have_url(re.compile(r"/developers/?$"))
        if scheme == "dark":
            page.get_by_role("button", name="Toggle dark mode").click()

        quick_start = page.get_by_role("region", name="Quick start")
        expect(quick_start).to_contain_text("You have no API key yet")
        quick_start.get_by_role("button", name="Create a key").click()
        form = quick_start.get_by_role("form", name="Create an API key")
        expect(form.get_by_role("checkbox", name="generations:write")).to_be_checked()
        expect(form.get_by_role("checkbox", name="webhooks:manage")).not_to_be_checked()
        form.get_by_label("Key name").fill("nightly renders")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}-form.png", full_page=True)
        form.get_by_role("button", name="Create key").click()

        shown = quick_start.get_by_label("New API key")
        expect(shown).to_be_visible()
        key = shown.inner_text().strip()
        assert key.startswith("dp_live_") and len(key) > 40
        expect(quick_start.get_by_role("button", name="Copy key")).to_be_visible()
        expect(quick_start).to_contain_text(f'export DREAMPIXEL_API_KEY="{key[:12]}…"')
        expect(quick_start).to_contain_text(f"Your newest key starts with {key[:12]}…")
        assert page.evaluate(PAST_THE_EDGE) == []
        page.evaluate("window.scrollTo(0, 0)")  # the sticky bar at the top of the full-page shot
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

        with httpx.Client(base_url=app_server.base_url, headers={"x-api-key": key}, timeout=30) as api:
            submitted = api.post("/api/v1/generations", json={"prompt": "a lighthouse at dawn", "width": 256,
                                                              "height": 256})
            assert submitted.status_code == 202, submitted.text
            read = api.get(f"/api/v1/generations/{submitted.json()['id']}")
            assert read.status_code == 200 and read.json()["input"]["prompt"] == "a lighthouse at dawn"

        quick_start.get_by_role("button", name="I have copied it").click()
        expect(shown).to_have_count(0)  # shown once: gone for good
        page.reload()
        expect(page.get_by_role("region", name="Quick start")).to_contain_text(
            f"Your newest key starts with {key[:12]}…")
        expect(page.get_by_text(key)).to_have_count(0)
    finally:
        context.close()


def test_the_original_readme_walk_through_works_against_the_server(app_server: AppServer) -> None:
    email = app_user(app_server, prefix="compat", name="Ada", password="quiet-harbour-lanterns-3", credits=10)
    key = app_cli(app_server, "create-api-key", "--email", email, "--name", "original").strip().splitlines()[-1]
    with httpx.Client(base_url=app_server.base_url, timeout=30) as http:
        submitted = http.post("/api/generations", headers={"x-api-key": key, "content-type": "application/json"},
                              content=b'{"prompt": "A serene lake at sunset", "settings": {"width": 512, '
                                      b'"height": 512, "guidance_scale": 7.5, "steps": 30, "num_variations": 1, '
                                      b'"format": "png"}}')
        assert submitted.status_code == 202 and submitted.json()["status"] == "PENDING"
        job_id = submitted.json()["jobId"]
        deadline = time.monotonic() + 60
        while True:
            generation = http.get(f"/api/generations/{job_id}", headers={"Authorization": f"Bearer {key}"}).json()
            if generation["generation"]["status"] in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # the walk-through polls, as the original README did
        assert generation["generation"]["status"] == "SUCCEEDED"
        image = http.get(generation["generation"]["resultImageUrl"])
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
