"""The moderation page in Chromium against the production app, as an ADMIN: approve and feature a seed
(it leads the marketplace's featured row), reject one (its creator reads the reason), add a prompt
rule (a matching prompt on /generate is refused with the category, and the blocked-prompt log shows
it with the rule). Each tab of the page is saved at 1280 and 375 px, light and dark."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlmodel import Session, select

from dreampixel.core.db import create_db_engine
from dreampixel.core.models import Generation, Seed, SeedCategory, User
from services.seeds import service as seeds
from tests.e2e.test_admin import DESKTOP, PASSWORD, PHONE, sign_in
from tests.fixtures.browser import SCREENSHOTS, AppServer, app_cli, app_user, wait_until_final

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _submit_seeds(app_server: AppServer, email: str, generation_ids: list[str], titles: list[str]) -> None:
    """What the publish dialog does, through the service on the app's own database."""
    engine = create_db_engine(f"sqlite:///{app_server.data_dir / 'dreampixel.db'}")
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.email == email)).one()
            for generation_id, title in zip(generation_ids, titles, strict=True):
                assert session.get(Generation, generation_id) is not None
                seeds.submit(session, user_id=user.id, generation_id=generation_id, title=title,
                             description="Made for the moderation test.", category=SeedCategory.OTHER)
            session.commit()
    finally:
        engine.dispose()


def _seed_ids(app_server: AppServer, titles: list[str]) -> list[str]:
    engine = create_db_engine(f"sqlite:///{app_server.data_dir / 'dreampixel.db'}")
    try:
        with Session(engine) as session:
            return list(session.exec(select(Seed.id).where(Seed.title.in_(titles))).all())  # type: ignore[attr-defined]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def people(app_server: AppServer) -> Iterator[dict[str, str]]:
    admin = f"mod-admin-{secrets.token_hex(4)}@example.test"
    app_cli(app_server, "create-user", "--email", admin, "--password", PASSWORD, "--role", "ADMIN", "--verified",
            "--name", "Ada Admin")
    creator = app_user(app_server, prefix="creator", name="Cleo Creator", password=PASSWORD, credits=50)
    key = app_cli(app_server, "create-api-key", "--email", creator, "--name", "seeds").splitlines()[-1].strip()
    suffix = secrets.token_hex(3)
    titles = [f"Harbour at dawn {suffix}", f"Borrowed artwork {suffix}"]
    with httpx.Client(base_url=app_server.base_url, headers={"x-api-key": key}, timeout=30) as http:
        ids = [http.post("/api/v1/generations", json={"prompt": prompt, "width": 512, "height": 512,
                                                      "provider": "local"}).json()["id"]
               for prompt in (f"a harbour at dawn, fishing boats {suffix}", f"a painting of a bridge {suffix}")]
        assert [wait_until_final(http, i, timeout=90) for i in ids] == ["succeeded", "succeeded"]
    _submit_seeds(app_server, creator, ids, titles)
    yield {"admin": admin, "creator": creator, "keep": titles[0], "drop": titles[1]}
    # The app is shared with the marketplace's own tests, which count the demo seeds: take ours out again.
    for seed_id in _seed_ids(app_server, titles):
        app_cli(app_server, "moderation", "seed", "--id", seed_id, "--reject", "--reason", "the test is over",
                "--as", admin)


@pytest.fixture
def contexts(browser: Browser, app_server: AppServer) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _seed_form(page: Page, title: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("form", name=f"Decide on {title}")


def test_an_admin_approves_and_features_one_seed_and_rejects_another(browser: Browser, app_server: AppServer,
                                                                    people: dict[str, str],
                                                                    contexts: list[BrowserContext]) -> None:
    admin = sign_in(browser, app_server, contexts, people["admin"], to="/admin/moderation")
    expect(admin.get_by_role("heading", name="Moderation", level=1)).to_be_visible()
    keep = _seed_form(admin, people["keep"])
    expect(keep).to_be_visible()
    seeds_list = admin.get_by_role("list", name="Seeds")
    # The queue shows the creator, the recipe and the examples of a pending seed.
    entry = seeds_list.get_by_role("listitem").filter(has_text=people["keep"])
    expect(entry).to_contain_text(people["creator"])
    expect(entry.get_by_role("group", name="Recipe")).to_contain_text("a harbour at dawn, fishing boats")
    expect(entry.get_by_role("img", name=f"Example image of {people['keep']}").first).to_be_visible()

    keep.get_by_role("button", name="Approve").click()
    expect(admin.get_by_role("status").filter(has_text="Approved")).to_be_visible()
    # Pending seeds only by default: show every status to find it again and feature it.
    admin.get_by_role("combobox", name="Status").click()
    admin.get_by_role("option", name="any").click()
    keep = _seed_form(admin, people["keep"])
    keep.get_by_label("Reason").fill("lovely light")
    keep.get_by_role("button", name="Feature").click()
    expect(admin.get_by_role("status").filter(has_text="Featured")).to_be_visible()
    expect(keep.get_by_role("button", name="Unfeature")).to_be_visible()

    drop = _seed_form(admin, people["drop"])
    drop.get_by_label("Reason").fill("the painting is someone else's work")
    drop.get_by_role("button", name="Reject").click()
    expect(admin.get_by_role("status").filter(has_text="Rejected")).to_be_visible()

    visitor = browser.new_context(base_url=app_server.base_url)
    contexts.append(visitor)
    market = visitor.new_page()
    market.goto("/seeds")
    featured = market.get_by_role("region", name="Featured")
    expect(featured.get_by_test_id("seed-card").filter(has_text=people["keep"])).to_have_count(1)
    expect(market.get_by_test_id("seed-card").filter(has_text=people["drop"])).to_have_count(0)

    creator = sign_in(browser, app_server, contexts, people["creator"], to="/seeds")
    mine = creator.get_by_role("region", name="My seeds").get_by_role("listitem").filter(has_text=people["drop"])
    expect(mine.get_by_text("Rejected")).to_be_visible()
    expect(mine).to_contain_text("the painting is someone else's work")

    admin.goto("/admin/audit")
    log = admin.get_by_role("table", name="Audit log")
    expect(log).to_contain_text("seed.featured")
    expect(log).to_contain_text("seed.rejected")


def test_a_rule_added_on_the_page_refuses_a_generation_and_the_log_shows_it(browser: Browser,
                                                                           app_server: AppServer,
                                                                           people: dict[str, str],
                                                                           contexts: list[BrowserContext]) -> None:
    word = f"zorblax{secrets.token_hex(2)}"
    admin = sign_in(browser, app_server, contexts, people["admin"], to="/admin/moderation")
    admin.get_by_role("tab", name="Prompt rules").click()
    add = admin.get_by_role("form", name="Add a prompt rule")
    add.get_by_label("Word or phrase").fill(word.upper())
    add.get_by_label("Category").fill("invented monsters")
    add.get_by_role("button", name="Add rule").click()
    expect(admin.get_by_role("status").filter(has_text="Rule added")).to_be_visible()
    expect(admin.get_by_role("table", name="Prompt rules")).to_contain_text(word.upper())

    tester = admin.get_by_role("form", name="Test a prompt")
    tester.get_by_label("Prompt to test").fill(f"a friendly {word}, watercolour")
    tester.get_by_role("button", name="Test").click()
    expect(admin.get_by_role("status", name="Test result")).to_contain_text("invented monsters")
    tester.get_by_label("Prompt to test").fill(f"a friendly {word}ish cat")
    tester.get_by_role("button", name="Test").click()
    expect(admin.get_by_role("status", name="Test result")).to_contain_text("No rule matches")

    member = sign_in(browser, app_server, contexts, people["creator"], to="/generate")
    member.get_by_label("Prompt", exact=True).fill(f"a {word} in a teacup")
    member.get_by_role("button", name="Generate").click()
    alert = member.get_by_role("alert").filter(has_text="invented monsters")
    expect(alert.first).to_be_visible()
    expect(alert.first).not_to_contain_text(word)

    admin.reload()
    admin.get_by_role("tab", name="Blocked prompts").click()
    log = admin.get_by_role("table", name="Blocked prompts")
    row = log.get_by_role("row").filter(has_text=f"a {word} in a teacup")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(word.upper())
    expect(row).to_contain_text("invented monsters")
    expect(row).to_contain_text(people["creator"])
    expect(row).to_contain_text("web")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_each_moderation_tab_is_saved_for_a_person_to_look_at(browser: Browser, app_server: AppServer,
                                                              people: dict[str, str], contexts: list[BrowserContext],
                                                              scheme: str, viewport: ViewportSize) -> None:
    page = sign_in(browser, app_server, contexts, people["admin"], viewport=viewport, scheme=scheme,
                   to="/admin/moderation")
    if scheme == "dark":
        page.get_by_role("button", name="Toggle dark mode").first.click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = "375" if viewport is PHONE else "1280"
    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="any").click()
    for tab, name in (("Seed queue", "seeds"), ("Prompt rules", "rules"), ("Blocked prompts", "blocked")):
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        if name == "rules":
            page.get_by_role("form", name="Test a prompt").get_by_label("Prompt to test").fill("a gore fest")
            page.get_by_role("button", name="Test", exact=True).click()
            expect(page.get_by_role("status", name="Test result")).to_be_visible()
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the {tab} tab sticks out {overflow} px sideways"
        page.screenshot(path=str(Path(SCREENSHOTS) / f"admin-moderation-{name}-{width}-{scheme}.png"),
                        full_page=True, animations="disabled")
