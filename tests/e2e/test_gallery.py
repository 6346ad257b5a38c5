"""The gallery in Chromium against the production app: images made through the API appear,
can be searched, filtered, opened and deleted."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import AppServer, app_cli, app_user, wait_until_final

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "amber-harbour-lights-7"
PROMPTS = ["a red fox in fresh snow", "a lighthouse at dusk", "a blue whale under the sea"]


@dataclass(frozen=True)
class Artist:
    email: str
    generation_ids: list[str]




@pytest.fixture(scope="module")
def artist(app_server: AppServer) -> Artist:
    """A verified PRO user with three images made by the local provider through the REST API."""
    email = app_user(app_server, prefix="painter", name="Pat Painter", password=PASSWORD, credits=50)
    key = app_cli(app_server, "create-api-key", "--email", email, "--name", "gallery test").splitlines()[-1].strip()
    ids = []
    with httpx.Client(base_url=app_server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        for prompt in PROMPTS:
            response = http.post("/api/v1/generations", json={"prompt": prompt, "width": 512, "height": 512,
                                                               "provider": "local"})
            assert response.status_code in (200, 201, 202), response.text
            ids.append(response.json()["id"])
        assert [wait_until_final(http, i, timeout=60) for i in ids] == ["succeeded"] * 3
    return Artist(email=email, generation_ids=ids)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login?next=/gallery")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/gallery/?$"))


def test_signed_out_visitors_are_sent_to_sign_in(page: Page) -> None:
    page.goto("/gallery")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fgallery$"))


def test_search_filter_open_and_delete(page: Page, artist: Artist) -> None:
    _sign_in(page, artist.email)
    images = page.get_by_role("list", name="Your images")
    tiles = images.get_by_role("listitem")

    expect(page.get_by_role("heading", name="Gallery", level=1)).to_be_visible()
    expect(page.get_by_text("Images are kept until you delete them or your account.")).to_be_visible()
    expect(tiles).to_have_count(3)
    expect(tiles.first).to_contain_text("a blue whale under the sea")  # newest first
    for image in images.get_by_role("img").all():
        expect(image).to_have_js_property("complete", True)

    page.get_by_label("Search prompts").fill("FOX")
    page.get_by_label("Search prompts").press("Enter")
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_contain_text("a red fox in fresh snow")

    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="Failed").click()
    expect(page.get_by_role("heading", name="Nothing matches")).to_be_visible()
    page.get_by_role("button", name="Clear filters").first.click()
    expect(tiles).to_have_count(3)

    page.get_by_role("button", name="Open details: a lighthouse at dusk").click()
    dialog = page.get_by_role("dialog", name="Image details")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("a lighthouse at dusk").first).to_be_visible()
    expect(dialog.get_by_role("list", name="Files").get_by_role("listitem")).to_have_count(3)
    expect(dialog.get_by_role("link", name="Reuse settings")).to_have_attribute(
        "href", re.compile(r"^/generate\?prompt=a\+lighthouse\+at\+dusk&seed=\d+"))
    expect(dialog.get_by_role("img")).to_have_js_property("complete", True)

    dialog.get_by_role("button", name="Favourite").click()
    expect(dialog.get_by_role("button", name="Unfavourite")).to_be_visible()
    dialog.get_by_role("button", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()

    expect(dialog).to_be_hidden()
    expect(tiles).to_have_count(2)
    expect(images).not_to_contain_text("a lighthouse at dusk")
    page.reload()
    expect(tiles).to_have_count(2)


def test_selected_images_download_as_a_zip(page: Page, artist: Artist) -> None:
    _sign_in(page, artist.email)
    tiles = page.get_by_role("list", name="Your images").get_by_role("listitem")
    expect(tiles.first).to_be_visible()

    page.get_by_role("checkbox", name="Select: a red fox in fresh snow").click()
    expect(page.get_by_text("1 selected")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download ZIP").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as archive:
        names = archive.namelist()
    assert len(names) == 2 and {name.rsplit(".", 1)[1] for name in names} == {"png", "txt"}
