"""Billing over HTTP: Stripe's webhook endpoint, the invoices API and the invoice PDF, owner only.

Deliveries are signed as Stripe signs them and posted to `POST /api/stripe/webhooks`; the
in-process queue runs the handling job and the PDF copy against the fake Stripe API.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import func, select

from dreampixel.core.db import uow
from dreampixel.core.models import CreditLedger, StripeEvent, SubscriptionStatus, Tier, User
from dreampixel.core.settings import settings
from services.accounts import sessions
from services.api_keys import service as api_keys
from services.billing import subscriptions
from tests.factories import create_user
from tests.fakes.stripe import PRICE_ENTERPRISE, PRICE_PRO_MONTHLY, FakeStripe, sign
from workers import billing as billing_jobs

WEBHOOKS = "/api/stripe/webhooks"


def _customer_with_key() -> tuple[str, str, str]:
    """(user id, API key, session cookie) of a user who has a Stripe customer."""
    with uow() as session:
        user = create_user(session)
        subscriptions.ensure_customer(session, user=user)
        _key, plaintext = api_keys.create_key(session, user_id=user.id, name="test")
        return user.id, plaintext, sessions.create(session, user_id=user.id, ip=None, user_agent=None)


def _checkout(user_id: str, price: str = PRICE_PRO_MONTHLY) -> str:
    with uow() as session:
        url = subscriptions.start_checkout(session, user_id=user_id, price_id=price,
                                           success_url="http://dreampixel.test/billing", cancel_url="http://x/")
    return url.rsplit("/", 1)[-1]


async def _post(api: httpx.AsyncClient, fake: FakeStripe, events: list[dict[str, Any]]) -> list[int]:
    codes = []
    for event in events:
        body, headers = fake.signed(event)
        codes.append((await api.post(WEBHOOKS, content=body, headers=headers)).status_code)
    await api.queue.join()  # type: ignore[attr-defined]
    return codes


def _stored_events() -> int:
    with uow() as session:
        return int(session.exec(select(func.count()).select_from(StripeEvent)).one())


async def _subscribed(api: httpx.AsyncClient, fake: FakeStripe) -> tuple[str, str, str]:
    user_id, key, cookie = await asyncio.to_thread(_customer_with_key)
    events = fake.complete_checkout(await asyncio.to_thread(_checkout, user_id))
    assert await _post(api, fake, events) == [200] * len(events)
    return user_id, key, cookie


async def test_a_bad_signature_is_a_400_and_nothing_is_stored(api: httpx.AsyncClient, stripe_fake: FakeStripe) -> None:
    body = json.dumps({"id": "evt_1", "type": "invoice.paid", "data": {"object": {"id": "in_1"}}}).encode()
    response = await api.post(WEBHOOKS, content=body, headers={"stripe-signature": sign(body, "whsec_wrong")})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert await asyncio.to_thread(_stored_events) == 0


async def test_a_missing_signature_is_a_400(api: httpx.AsyncClient, stripe_fake: FakeStripe) -> None:
    response = await api.post(WEBHOOKS, content=b'{"id": "evt_1", "type": "invoice.paid"}')
    assert response.status_code == 400


async def test_an_unknown_event_type_is_answered_200_and_ignored(api: httpx.AsyncClient,
                                                                 stripe_fake: FakeStripe) -> None:
    body = json.dumps({"id": "evt_2", "type": "charge.refunded", "data": {"object": {}}}).encode()
    response = await api.post(WEBHOOKS, content=body, headers={"stripe-signature": sign(body)})
    assert response.status_code == 200 and response.json() == {"received": True, "ignored": True}
    assert await asyncio.to_thread(_stored_events) == 0


async def test_webhooks_are_refused_while_billing_is_not_configured(api: httpx.AsyncClient,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "stripe_webhook_secret", SecretStr(""))
    body = b'{"id": "evt_3", "type": "invoice.paid"}'
    response = await api.post(WEBHOOKS, content=body, headers={"stripe-signature": sign(body)})
    assert response.status_code == 503 and response.json()["code"] == "billing_not_configured"


async def test_a_completed_checkout_makes_the_user_pro(api: httpx.AsyncClient, stripe_fake: FakeStripe) -> None:
    user_id, _key, _cookie = await _subscribed(api, stripe_fake)

    def tier() -> Tier:
        with uow() as session:
            user = session.get(User, user_id)
            assert user is not None
            return user.tier

    assert await asyncio.to_thread(tier) == Tier.PRO


async def test_the_subscription_api_answers_the_plan_stripe_reported(api: httpx.AsyncClient,
                                                                    stripe_fake: FakeStripe) -> None:
    _user_id, key, _cookie = await _subscribed(api, stripe_fake)
    answer = (await api.get("/api/v1/billing/subscription", headers={"x-api-key": key})).json()
    assert (answer["tier"], answer["status"], answer["cancel_at_period_end"]) == ("PRO", "ACTIVE", False)
    assert answer["current_period_end"] is not None


async def test_the_paid_invoice_is_listed_with_its_pdf(api: httpx.AsyncClient, stripe_fake: FakeStripe) -> None:
    _user_id, key, _cookie = await _subscribed(api, stripe_fake)
    listed = await api.get("/api/v1/invoices", headers={"x-api-key": key})
    assert listed.status_code == 200
    [invoice] = listed.json()["data"]
    assert (invoice["status"], invoice["amount_paid"], invoice["currency"]) == ("paid", 1900, "usd")
    pdf = await api.get(invoice["pdf_url"], headers={"x-api-key": key})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


async def test_the_invoice_pdf_downloads_with_the_session_cookie(api: httpx.AsyncClient,
                                                                 stripe_fake: FakeStripe) -> None:
    _user_id, key, cookie = await _subscribed(api, stripe_fake)
    [invoice] = (await api.get("/api/v1/invoices", headers={"x-api-key": key})).json()["data"]
    pdf = await api.get(f"/api/billing/invoices/{invoice['id']}/pdf",
                        headers={"cookie": f"{sessions.SESSION_COOKIE}={cookie}"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]


async def test_another_users_invoice_is_a_404(api: httpx.AsyncClient, stripe_fake: FakeStripe) -> None:
    _owner, owner_key, _cookie = await _subscribed(api, stripe_fake)
    [invoice] = (await api.get("/api/v1/invoices", headers={"x-api-key": owner_key})).json()["data"]
    _other, other_key, other_cookie = await asyncio.to_thread(_customer_with_key)
    by_key = await api.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers={"x-api-key": other_key})
    by_cookie = await api.get(f"/api/billing/invoices/{invoice['id']}/pdf",
                              headers={"cookie": f"{sessions.SESSION_COOKIE}={other_cookie}"})
    assert by_key.status_code == by_cookie.status_code == 404
    assert (await api.get("/api/v1/invoices", headers={"x-api-key": other_key})).json()["data"] == []


async def test_a_failing_event_keeps_its_error_and_succeeds_on_retry(api: httpx.AsyncClient,
                                                                     stripe_fake: FakeStripe) -> None:
    user_id, _key, _cookie = await asyncio.to_thread(_customer_with_key)
    events = stripe_fake.complete_checkout(await asyncio.to_thread(_checkout, user_id))
    created = events[0]
    hidden = stripe_fake.subscriptions.pop(created["data"]["object"]["id"])  # Stripe answers 404 for now
    body, headers = stripe_fake.signed(created)
    assert (await api.post(WEBHOOKS, content=body, headers=headers)).status_code == 200

    def row() -> StripeEvent:
        with uow() as session:
            found = session.exec(select(StripeEvent).where(StripeEvent.event_id == created["id"])).one()
            session.expunge(found)
            return found

    for _ in range(100):
        if (await asyncio.to_thread(row)).error:
            break
        await asyncio.sleep(0.05)
    failed = await asyncio.to_thread(row)
    assert failed.handled_at is None and "No such subscription" in (failed.error or "")
    stripe_fake.subscriptions[hidden["id"]] = hidden
    await api.queue.join(timeout=30)  # type: ignore[attr-defined]
    handled = await asyncio.to_thread(row)
    assert handled.handled_at is not None and handled.error is None


async def test_an_event_failing_on_its_last_try_is_given_up_with_its_error(api: httpx.AsyncClient,
                                                                           stripe_fake: FakeStripe) -> None:
    user_id, _key, _cookie = await asyncio.to_thread(_customer_with_key)
    events = stripe_fake.complete_checkout(await asyncio.to_thread(_checkout, user_id))
    stripe_fake.subscriptions.clear()
    stripe_fake.api_key = "sk_test_revoked"  # every call now fails
    try:
        body, headers = stripe_fake.signed(events[0])
        await api.post(WEBHOOKS, content=body, headers=headers)

        def row_id() -> str:
            with uow() as session:
                return session.exec(select(StripeEvent.id).where(StripeEvent.event_id == events[0]["id"])).one()

        event_row = await asyncio.to_thread(row_id)
        outcome = await billing_jobs.handle_event({"job_try": billing_jobs.MAX_TRIES}, event_row)
    finally:
        stripe_fake.api_key = type(stripe_fake).api_key
    assert outcome == "failed"
    with uow() as session:
        stored = session.get(StripeEvent, event_row)
        assert stored is not None and stored.handled_at is None and stored.error



async def test_a_whole_story_delivered_at_once_in_random_order_ends_in_stripes_state(
        api: httpx.AsyncClient, stripe_fake: FakeStripe) -> None:
    user_id, _key, _cookie = await asyncio.to_thread(_customer_with_key)
    events = stripe_fake.complete_checkout(await asyncio.to_thread(_checkout, user_id))
    subscription_id = events[0]["data"]["object"]["id"]
    events += stripe_fake.renew(subscription_id)
    events += stripe_fake.fail_payment(subscription_id) + stripe_fake.pay_open_invoice(subscription_id)
    events += stripe_fake.change_price(subscription_id, PRICE_ENTERPRISE)
    events += stripe_fake.cancel_at_period_end(subscription_id)
    random.Random(7).shuffle(events)

    async def post(event: dict[str, Any]) -> int:
        body, headers = stripe_fake.signed(event)
        return (await api.post(WEBHOOKS, content=body, headers=headers)).status_code

    assert await asyncio.gather(*(post(event) for event in events)) == [200] * len(events)
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]

    def final() -> tuple[Tier, SubscriptionStatus | None, bool | None, int, int]:
        with uow() as session:
            user = session.get(User, user_id)
            row = subscriptions.subscription_of(session, user_id=user_id)
            assert user is not None and row is not None
            ledger = session.exec(select(func.sum(CreditLedger.delta)).where(CreditLedger.user_id == user_id)).one()
            return user.tier, row.status, row.cancel_at_period_end, user.credit_balance, int(ledger or 0)

    tier, status, ending, balance, ledger = await asyncio.to_thread(final)
    assert (tier, status, ending) == (Tier.ENTERPRISE, SubscriptionStatus.ACTIVE, True)
    # Three paid periods: PRO, PRO, then the third topped up to ENTERPRISE by the upgrade.
    pro, enterprise = settings.credit_allowance("PRO"), settings.credit_allowance("ENTERPRISE")
    assert balance == ledger == 2 * pro + enterprise
