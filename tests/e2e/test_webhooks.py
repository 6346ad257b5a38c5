"""The Webhooks section of /account in Chromium against the production app: add an endpoint, send it
a test event, see the delivery the receiver verified."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.fakes.webhook_receiver import Receiver
from tests.fixtures.browser import AppServer, app_user

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "brass-harbour-signal-4"


def test_an_endpoint_added_on_the_account_page_receives_a_signed_test_event(
    page: Page, app_server: AppServer, webhook_receiver: Receiver
) -> None:
    email = app_user(app_server, prefix="hooks", name="Wendy Webhook", password=PASSWORD, credits=5)
    page.goto("/login?next=/account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/account/?$"))

    hooks = page.get_by_role("region", name="Webhooks")
    hooks.get_by_label("Endpoint URL").fill(webhook_receiver.url)
    hooks.get_by_label("Description").fill("local receiver")
    hooks.get_by_role("button", name="Add endpoint").click()

    dialog = page.get_by_role("dialog", name="Your signing secret")
    expect(dialog).to_be_visible()
    secret = dialog.locator("code").inner_text().strip()
    assert secret.startswith("whsec_")
    webhook_receiver.secret = secret
    dialog.get_by_role("button", name="I have copied it").click()
    expect(dialog).to_have_count(0)

    endpoints = hooks.get_by_role("list", name="Webhook endpoints")
    expect(endpoints).to_contain_text(webhook_receiver.url)
    endpoints.get_by_role("button", name="Send test event").click()

    deliveries = hooks.get_by_role("list", name="Webhook deliveries")
    expect(deliveries.locator("li[data-delivery-status='succeeded']")).to_have_count(1, timeout=20_000)
    expect(deliveries).to_contain_text("webhook.test")
    expect(deliveries).to_contain_text("HTTP 200")
    [received] = webhook_receiver.wait_for(1)
    assert received.verified and received.body["type"] == "webhook.test"


def test_an_endpoint_disabled_on_the_account_page_gets_no_test_events_until_enabled(
    page: Page, app_server: AppServer, webhook_receiver: Receiver
) -> None:
    email = app_user(app_server, prefix="hooks-off", name="Otto Off", password=PASSWORD, credits=5)
    page.goto("/login?next=/account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/account/?$"))
    hooks = page.get_by_role("region", name="Webhooks")
    hooks.get_by_label("Endpoint URL").fill(webhook_receiver.url)
    hooks.get_by_role("button", name="Add endpoint").click()
    page.get_by_role("dialog", name="Your signing secret").get_by_role("button", name="I have copied it").click()

    endpoints = hooks.get_by_role("list", name="Webhook endpoints")
    endpoints.get_by_role("button", name="Disable").click()
    expect(endpoints).to_contain_text("Disabled by its owner.")
    expect(endpoints.get_by_role("button", name="Send test event")).to_be_disabled()

    endpoints.get_by_role("button", name="Enable").click()
    expect(endpoints.get_by_role("button", name="Send test event")).to_be_enabled()
    endpoints.get_by_role("button", name="Send test event").click()
    deliveries = hooks.get_by_role("list", name="Webhook deliveries")
    expect(deliveries.locator("li[data-delivery-status='succeeded']")).to_have_count(1, timeout=20_000)


def test_the_default_secret_for_per_generation_webhooks_is_shown_and_stays_the_same(
    page: Page, app_server: AppServer
) -> None:
    email = app_user(app_server, prefix="hooks-default", name="Dee Default", password=PASSWORD, credits=5)
    page.goto("/login?next=/account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/account/?$"))
    hooks = page.get_by_role("region", name="Webhooks")
    shown = []
    for _ in range(2):
        hooks.get_by_role("button", name="Show default secret").click()
        dialog = page.get_by_role("dialog", name="Your signing secret")
        expect(dialog).to_be_visible()
        shown.append(dialog.locator("code").inner_text().strip())
        dialog.get_by_role("button", name="I have copied it").click()
        expect(dialog).to_have_count(0)
    assert shown[0].startswith("whsec_") and shown[0] == shown[1]
