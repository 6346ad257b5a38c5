"""The generate page in Chromium against the production app: submit, watch, cancel, fail, reuse, restore."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from services.images.parameters import pnginfo
from tests.fixtures.browser import AppServer, app_user

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Shot = Callable[[Page, str], Path]
PASSWORD = "violet-lighthouse-42"
LIVE_TIMEOUT = 30_000


def _create_user(app_server: AppServer, *, verified: bool = True, credits: int = 200) -> str:
    return app_user(app_server, prefix="gen", name="Grace", password=PASSWORD, credits=credits, verified=verified)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/generate")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fgenerate$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Generate", level=1)).to_be_visible()
    expect(page.get_by_label("Prompt", exact=True)).to_be_visible()


# Every status the newest card shows, in order, and a marker a reload would wipe.
RECORD_STATUSES = """() => {
  window.dpSamePage = true;
  window.dpStatuses = [];
  const region = document.querySelector('section[aria-label="Your generations"]');
  const record = () => {
    const status = region.querySelector("article[data-status]")?.getAttribute("data-status");
    if (status && window.dpStatuses.at(-1) !== status) window.dpStatuses.push(status);
  };
  new MutationObserver(record).observe(region, {subtree: true, childList: true, attributes: true,
                                                attributeFilter: ["data-status"]});
}"""


# A DataTransfer holding one PNG, as a drag from the desktop carries it.
DATA_TRANSFER = """([bytes, name]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], name, {type: "image/png"}));
  return transfer;
}"""


def _cards(page: Page) -> Locator:
    return page.get_by_role("region", name="Your generations").get_by_role("article")


def _shot(page: Page, screenshot: Shot, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # or the sticky bar lands mid-page in a full-page shot
    screenshot(page, name)


def _choose(page: Page, field: str, option: str) -> None:
    page.get_by_role("combobox", name=field).click()
    page.get_by_role("option", name=option, exact=True).click()


@pytest.fixture
def signed_in(page: Page, app_server: AppServer) -> Page:
    _sign_in(page, _create_user(app_server))
    return page


def test_a_prompt_goes_live_to_an_image_without_reload(signed_in: Page, screenshot: Shot) -> None:
    page = signed_in
    page.evaluate(RECORD_STATUSES)
    page.get_by_label("Prompt", exact=True).fill("a lighthouse on a cliff at dusk")
    page.get_by_label("Prompt", exact=True).press("Control+Enter")

    card = _cards(page).first
    expect(card).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)
    expect(card.get_by_text("Done")).to_be_visible()
    expect(card.get_by_role("img")).to_have_count(1)
    expect(card.get_by_test_id("generation-provider")).to_have_text(
        "Made by the offline procedural generator (local)")
    expect(page.get_by_text("199 left")).to_be_visible()
    assert page.evaluate("window.dpStatuses") == ["queued", "processing", "succeeded"], "each step is shown"
    assert page.evaluate("window.dpSamePage") is True, "the page was never reloaded"
    _shot(page, screenshot, "generate-card-succeeded")

    card.get_by_role("button", name="Open large").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_reuse_settings_fills_the_form(signed_in: Page) -> None:
    page = signed_in
    page.get_by_label("Prompt", exact=True).fill("a red fox in the snow")
    page.get_by_label("Steps").fill("12")
    page.get_by_role("button", name="Generate").click()
    card = _cards(page).first
    expect(card).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)
    seed = card.get_by_text(re.compile(r"seed \d+")).inner_text()

    page.get_by_label("Prompt", exact=True).fill("something else")
    page.get_by_label("Steps").fill("40")
    card.get_by_role("button", name="Reuse settings").click()

    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a red fox in the snow")
    expect(page.get_by_label("Steps")).to_have_value("12")
    expect(page.get_by_label("Seed", exact=True)).to_have_value(re.search(r"seed (\d+)", seed).group(1))  # type: ignore[union-attr]
    expect(page.get_by_role("button", name="Lock seed")).to_have_attribute("aria-pressed", "true")


def test_a_running_generation_can_be_canceled(signed_in: Page, screenshot: Shot) -> None:
    page = signed_in
    _choose(page, "Size", "Custom")
    page.get_by_label("Width").fill("2048")
    page.get_by_label("Height").fill("2048")
    _choose(page, "Variations", "4")
    page.get_by_label("Prompt", exact=True).fill("a vast mountain range, every ridge in detail")
    page.get_by_role("button", name="Generate").click()
    expect(_cards(page)).to_have_count(1)
    page.get_by_role("button", name="Generate").click()
    expect(_cards(page)).to_have_count(2)

    card = _cards(page).first
    expect(_cards(page).last).to_have_attribute("data-status", "processing", timeout=LIVE_TIMEOUT)
    expect(_cards(page).last.get_by_text(re.compile(r"Generating for \d+ s"))).to_be_visible()
    _shot(page, screenshot, "generate-card-live")
    card.get_by_role("button", name="Cancel").click()

    expect(card).to_have_attribute("data-status", "canceled")
    # Queued, it is canceled for free; if it has already reached the provider, the card says it was charged.
    expect(card.get_by_text(re.compile(r"Canceled (at your request|while the provider was already generating)")))\
        .to_be_visible()
    expect(card.get_by_role("button", name="Retry")).to_be_visible()


def test_a_blocked_prompt_says_why(signed_in: Page) -> None:
    page = signed_in
    page.get_by_label("Prompt", exact=True).fill("gore")
    page.get_by_role("button", name="Generate").click()

    alert = page.get_by_role("alert").filter(has_text="graphic violence")
    expect(alert.first).to_be_visible()
    expect(alert.first).to_contain_text("Rephrase the prompt")
    expect(_cards(page)).to_have_count(0)


def test_without_credits_generate_is_disabled_and_says_when_they_renew_and_who_to_ask(
    page: Page, app_server: AppServer, screenshot: Shot
) -> None:
    _sign_in(page, _create_user(app_server, credits=0))
    expect(page.get_by_text("0 left")).to_be_visible()
    expect(page.get_by_role("button", name="Generate")).to_be_disabled()

    reason = page.locator("#generate-blocked")
    expect(reason).to_contain_text("You have no credits yet. Your PRO allowance of 1,000 credits renews on")
    expect(reason).to_contain_text("Billing is not set up on this installation: ask its administrator")
    # Nothing can be bought here, so nothing links to buying, and no count of generations left contradicts it.
    expect(reason.get_by_role("link")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"generations left today"))).to_have_count(0)
    _shot(page, screenshot, "generate-no-credits")

    # Ctrl+Enter submits even so: the answer is the same reason, and no card appears.
    page.get_by_label("Prompt", exact=True).fill("a kite over a windy beach")
    page.get_by_label("Prompt", exact=True).press("Control+Enter")
    expect(page.get_by_text("You have no credits yet.").last).to_be_visible()
    expect(_cards(page)).to_have_count(0)


def test_a_generation_that_fails_says_why_on_its_card_and_returns_the_credits(
    signed_in: Page, app_server: AppServer, tmp_path: Path, screenshot: Shot
) -> None:
    page = signed_in
    stored = set(app_server.data_dir.glob("storage/**/references/*/*/full.png"))
    picture = tmp_path / "sky.png"
    Image.new("RGB", (48, 48), (secrets.randbelow(256), 90, 200)).save(picture, format="PNG")
    page.get_by_role("region", name="Reference image").locator("input[type=file]").set_input_files(picture)
    expect(page.get_by_text("Reference image attached")).to_be_visible()
    (reference,) = set(app_server.data_dir.glob("storage/**/references/*/*/full.png")) - stored
    # The stored reference goes bad before the job reads it: the provider cannot use it and
    # the failure is not one a retry or another provider would fix.
    reference.write_bytes(b"no longer a picture")

    page.get_by_label("Prompt", exact=True).fill("the sky in the colours of the reference")
    page.get_by_role("button", name="Generate").click()

    card = _cards(page).first
    expect(card).to_have_attribute("data-status", "failed", timeout=LIVE_TIMEOUT)
    expect(card.get_by_text("Failed", exact=True)).to_be_visible()
    expect(card.get_by_role("alert")).to_contain_text("The reference image could not be read.")
    expect(card.get_by_role("alert")).to_contain_text("the credits were returned")
    expect(card.get_by_role("button", name="Retry")).to_be_visible()
    expect(page.get_by_text("200 left")).to_be_visible()
    _shot(page, screenshot, "generate-card-failed")


def test_a_dropped_png_restores_its_settings(signed_in: Page) -> None:
    page = signed_in
    params = {"prompt": "a paper boat on a pond", "negative_prompt": "blurry", "seed": 1234, "width": 832,
              "height": 1216, "steps": 18, "guidance_scale": 5.5}
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, format="PNG", pnginfo=pnginfo(params))

    # Dragged in from the desktop: the drop zone gets the drag events with the file in them.
    transfer = page.evaluate_handle(DATA_TRANSFER, [list(buffer.getvalue()), "boat.png"])
    zone = page.get_by_role("region", name="Restore settings").get_by_text("Drop or choose a PNG")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    zone.dispatch_event("drop", {"dataTransfer": transfer})

    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a paper boat on a pond")
    expect(page.get_by_label("Negative prompt")).to_have_value("blurry")
    expect(page.get_by_label("Seed", exact=True)).to_have_value("1234")
    expect(page.get_by_label("Steps")).to_have_value("18")
    expect(page.get_by_role("combobox", name="Size")).to_contain_text("Portrait")


def test_an_unverified_account_sees_the_banner_and_cannot_submit(page: Page, app_server: AppServer) -> None:
    _sign_in(page, _create_user(app_server, verified=False))
    expect(page.get_by_role("alert").filter(has_text="Verify your email")).to_be_visible()
    expect(page.get_by_role("button", name="Generate")).to_be_disabled()


def test_a_link_prefills_the_prompt_and_seed(signed_in: Page) -> None:
    page = signed_in
    page.goto("/generate?prompt=a%20glass%20city&seed=99")
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a glass city")
    expect(page.get_by_label("Seed", exact=True)).to_have_value("99")


def test_a_reference_image_is_attached_and_a_bad_file_is_explained(signed_in: Page, tmp_path: Path) -> None:
    page = signed_in
    zone = page.get_by_role("region", name="Reference image")
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"these are notes, not a picture")
    zone.locator("input[type=file]").set_input_files(bad)
    expect(zone.get_by_role("alert")).to_be_visible()

    good = tmp_path / "palette.png"
    Image.new("RGB", (64, 64), "orange").save(good, format="PNG")
    zone.locator("input[type=file]").set_input_files(good)
    expect(page.get_by_text("Reference image attached")).to_be_visible()
    expect(zone.get_by_role("alert")).to_have_count(0)


def test_an_image_downloads_in_each_format_is_starred_and_goes_to_publishing(signed_in: Page) -> None:
    page = signed_in
    page.get_by_label("Prompt", exact=True).fill("a copper teapot on a windowsill")
    page.get_by_role("button", name="Generate").click()
    card = _cards(page).first
    expect(card).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)

    for label, pil_format in (("JPEG", "JPEG"), ("WebP", "WEBP"), ("PNG, with its settings", "PNG")):
        card.get_by_role("button", name="Download").click()
        with page.expect_download() as started:
            page.get_by_role("menuitem", name=label).click()
        saved = started.value.path()
        with Image.open(saved) as image:
            assert image.format == pil_format
            if pil_format == "PNG":
                assert "a copper teapot on a windowsill" in image.info.get("parameters", "")

    star = card.get_by_role("button", name="Favourite")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    page.reload()  # stored, not just shown
    expect(_cards(page).first.get_by_role("button", name="Favourite")).to_have_attribute("aria-pressed", "true")

    _cards(page).first.get_by_role("link", name="Publish as seed").click()
    expect(page).to_have_url(re.compile(r"/seeds\?publish=gen_"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("radio", checked=True)).to_have_accessible_name(
        re.compile("a copper teapot on a windowsill"))


# Every progress line a card shows ("#1 in the queue · starts ...", "Generating for 3 s").
RECORD_PROGRESS = """() => {
  window.dpProgress = [];
  const region = document.querySelector('section[aria-label="Your generations"]');
  const record = () => {
    for (const line of region.innerText.split("\\n")) {
      if (/queue|starts|Generating|Waiting/.test(line) && !window.dpProgress.includes(line)) window.dpProgress.push(line);
    }
  };
  new MutationObserver(record).observe(region, {subtree: true, childList: true, characterData: true});
  record();
}"""


def _sign_out(page: Page, name: str) -> None:
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name=name).click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()


def _generate_live(page: Page, prompt: str) -> Locator:
    page.evaluate(RECORD_STATUSES)
    page.evaluate(RECORD_PROGRESS)
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate").click()
    card = _cards(page).first
    expect(card.get_by_text(prompt)).to_be_visible()
    expect(card).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.dpSamePage") is True, "the card went live without a reload"
    return card


def test_after_switching_accounts_in_the_same_tab_the_second_users_card_goes_live(
    page: Page, app_server: AppServer, screenshot: Shot
) -> None:
    first = app_user(app_server, prefix="first", name="Ada", password=PASSWORD, credits=50)
    second = app_user(app_server, prefix="second", name="Brook", password=PASSWORD, credits=50)
    _sign_in(page, first)
    _generate_live(page, "a lighthouse on a cliff at dusk")

    _sign_out(page, "Ada")
    _sign_in(page, second)  # the same tab: the page keeps its state, the first watcher may still run
    expect(_cards(page)).to_have_count(0)
    card = _generate_live(page, "a pine forest in autumn")
    expect(card.get_by_text("Done")).to_be_visible()
    _shot(page, screenshot, "generate-second-user-live")


def test_the_live_card_never_reads_a_start_in_the_past_or_a_blank_number(signed_in: Page) -> None:
    page = signed_in
    for prompt in ("a misty lake at dawn", "snowy mountains at noon"):
        _generate_live(page, prompt)
        progress = page.evaluate("window.dpProgress")
        assert progress, "the card showed its progress"
        assert not [line for line in progress if " ago" in line], progress
        assert not [line for line in progress if re.search(r"for\s+s\b", line)], progress
        assert not [line for line in progress if re.search(r"starts\s*$", line)], progress
