"""Stripe webhooks end to end against the fake Stripe API: intake, then the handling job's service.

Every delivery is signed as Stripe signs it and goes through `webhooks.receive`; stored events
are handled by `webhooks.handle` in delivery order. After each story the user's tier, the
subscription row and the ledger are what Stripe's final state says, and the ledger sums to
the balance.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlmodel import Session, col, func, select

from dreampixel.core.models import (
    CreditLedger,
    Invoice,
    LedgerReason,
    StripeEvent,
    Subscription,
    SubscriptionStatus,
    Tier,
    User,
)
from dreampixel.core.settings import settings as app_settings
from services.billing import stripe as stripe_adapter
from services.billing import subscriptions, webhooks
from tests.factories import create_user
from tests.fakes.stripe import (
    PRICE_ENTERPRISE,
    PRICE_PACK_SMALL,
    PRICE_PRO_MONTHLY,
    PRICE_PRO_YEARLY,
    FakeStripe,
    sign,
)
from tests.fixtures.accounts import Outbox

PRO = subscriptions.monthly_allowance(Tier.PRO)
ENTERPRISE = subscriptions.monthly_allowance(Tier.ENTERPRISE)


def deliver(session: Session, fake: FakeStripe, events: list[dict[str, Any]]) -> None:
    """Post each event as Stripe would, then run the handling job's service for what was stored."""
    for event in events:
        body, headers = fake.signed(event)
        webhooks.receive(session, payload=body, signature=headers["stripe-signature"])
        row = session.exec(select(StripeEvent).where(StripeEvent.event_id == event["id"])).first()
        if row is not None:
            webhooks.handle(session, row.id)


def customer(session: Session) -> User:
    user = create_user(session)
    subscriptions.ensure_customer(session, user=user)
    return user


def checkout(session: Session, fake: FakeStripe, user: User, price: str) -> str:
    url = subscriptions.start_checkout(session, user_id=user.id, price_id=price,
                                       success_url="http://app.test/billing?checkout=done",
                                       cancel_url="http://app.test/pricing")
    return url.rsplit("/", 1)[-1]


def subscribe(session: Session, fake: FakeStripe, user: User, price: str = PRICE_PRO_MONTHLY
              ) -> tuple[str, list[dict[str, Any]]]:
    """A completed Checkout for `price`: (subscription id, the events Stripe sent), not yet delivered."""
    events = fake.complete_checkout(checkout(session, fake, user, price))
    return events[0]["data"]["object"]["id"], events


def ledger_sum(session: Session, user: User) -> int:
    return int(session.exec(select(func.coalesce(func.sum(CreditLedger.delta), 0))
                            .where(CreditLedger.user_id == user.id)).one())


def assert_mirrors_stripe(session: Session, fake: FakeStripe, user: User, subscription_id: str) -> Subscription:
    """The row, the tier and the ledger agree with the subscription as the fake holds it now."""
    session.expire_all()
    stripe_sub = fake.subscriptions[subscription_id]
    row = subscriptions.subscription_of(session, user_id=user.id)
    assert row is not None
    assert row.stripe_subscription_id == subscription_id
    assert row.status == subscriptions.STATUSES[stripe_sub["status"]]
    assert row.cancel_at_period_end is stripe_sub["cancel_at_period_end"]
    assert row.current_period_end == datetime.fromtimestamp(stripe_sub["items"]["data"][0]["current_period_end"], UTC)
    plan_tier = subscriptions.plan_prices()[stripe_sub["items"]["data"][0]["price"]["id"]][0]
    expected_tier = plan_tier if row.status in subscriptions.PAYING else Tier.FREE
    refreshed = session.get(User, user.id)
    assert refreshed is not None
    assert row.tier == refreshed.tier == expected_tier
    assert ledger_sum(session, user) == refreshed.credit_balance
    return row


def balance(session: Session, user: User) -> int:
    session.expire_all()
    found = session.get(User, user.id)
    assert found is not None
    return found.credit_balance


# --- intake -------------------------------------------------------------------------------------


def test_bad_signature_is_refused_and_nothing_stored(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    _sub, events = subscribe(session, stripe_fake, user)
    body, _headers = stripe_fake.signed(events[0])
    with pytest.raises(stripe_adapter.InvalidSignature):
        webhooks.receive(session, payload=body, signature=sign(body, "whsec_someone_else"))
    assert session.exec(select(func.count()).select_from(StripeEvent)).one() == 0


def test_stale_timestamp_is_refused_and_nothing_stored(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    _sub, events = subscribe(session, stripe_fake, user)
    body = json.dumps(events[0]).encode()
    with pytest.raises(stripe_adapter.InvalidSignature):
        webhooks.receive(session, payload=body, signature=sign(body, timestamp=int(time.time()) - 3600))
    assert session.exec(select(func.count()).select_from(StripeEvent)).one() == 0


def test_unknown_event_type_is_accepted_and_ignored(session: Session, stripe_fake: FakeStripe) -> None:
    event = {"id": "evt_unknown_1", "object": "event", "type": "customer.created", "data": {"object": {}}}
    body = json.dumps(event).encode()
    assert webhooks.receive(session, payload=body, signature=sign(body)) is False
    assert session.exec(select(func.count()).select_from(StripeEvent)).one() == 0


def test_same_event_ten_times_is_stored_and_granted_once(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    _sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events)
    paid = next(e for e in events if e["type"] == "invoice.paid")
    deliver(session, stripe_fake, [paid] * 10)
    assert session.exec(select(func.count()).select_from(StripeEvent)
                        .where(StripeEvent.event_id == paid["id"])).one() == 1
    assert balance(session, user) == PRO == ledger_sum(session, user)


def test_invoices_in_the_older_api_shape_are_read_too() -> None:
    old = {"subscription": "sub_1", "lines": {"data": [{"price": {"id": "price_1"}, "period": {"start": 1, "end": 2}}]}}
    assert stripe_adapter.invoice_subscription(old) == "sub_1"
    assert stripe_adapter.invoice_lines(old) == [("price_1", 1, 2)]


def test_an_event_whose_job_was_lost_is_sent_again_until_handled(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    _sub, events = subscribe(session, stripe_fake, user)
    body, headers = stripe_fake.signed(events[0])
    webhooks.receive(session, payload=body, signature=headers["stripe-signature"])  # no queue: the job is lost
    assert webhooks.redispatch_lost(session, older_than=timedelta(0)) == 1
    deliver(session, stripe_fake, events[:1])
    assert webhooks.redispatch_lost(session, older_than=timedelta(0)) == 0


# --- the lifecycle ------------------------------------------------------------------------------


def test_checkout_of_pro_makes_the_user_pro_with_the_pro_allowance(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events)
    row = assert_mirrors_stripe(session, stripe_fake, user, sub)
    assert row.tier == Tier.PRO and row.status == SubscriptionStatus.ACTIVE
    assert balance(session, user) == PRO


def test_yearly_pro_grants_twelve_months_of_allowance(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    sub, events = subscribe(session, stripe_fake, user, PRICE_PRO_YEARLY)
    deliver(session, stripe_fake, events)
    assert_mirrors_stripe(session, stripe_fake, user, sub)
    assert balance(session, user) == 12 * PRO


def test_paid_invoice_is_listed_with_its_amount(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    _sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events)
    invoices = session.exec(select(Invoice).where(Invoice.user_id == user.id)).all()
    assert [(i.status, i.amount_paid, i.currency) for i in invoices] == [("paid", 1900, "usd")]


def test_duplicate_checkout_completion_grants_a_pack_once(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    session_id = checkout(session, stripe_fake, user, PRICE_PACK_SMALL)
    completed = stripe_fake.complete_checkout(session_id)
    # Stripe may send the same completion again under a new event id.
    again = [dict(completed[0], id="evt_redelivered_" + completed[0]["id"])]
    deliver(session, stripe_fake, completed + again + completed)
    assert balance(session, user) == 250 == ledger_sum(session, user)
    entries = session.exec(select(CreditLedger).where(CreditLedger.user_id == user.id)).all()
    assert [(e.reason, e.reference) for e in entries] == [(LedgerReason.PURCHASE, f"checkout:{session_id}")]


def test_unpaid_pack_checkout_grants_nothing(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    session_id = checkout(session, stripe_fake, user, PRICE_PACK_SMALL)
    events = stripe_fake.complete_checkout(session_id)
    stripe_fake.checkout_sessions[session_id]["payment_status"] = "unpaid"  # e.g. a bank debit still pending
    deliver(session, stripe_fake, events)
    assert balance(session, user) == 0


def test_payment_failed_keeps_the_tier_past_due_then_paid_grants_the_period(
        session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events)
    deliver(session, stripe_fake, stripe_fake.fail_payment(sub))
    row = assert_mirrors_stripe(session, stripe_fake, user, sub)
    assert (row.status, row.tier) == (SubscriptionStatus.PAST_DUE, Tier.PRO)
    assert balance(session, user) == PRO
    deliver(session, stripe_fake, stripe_fake.pay_open_invoice(sub))
    row = assert_mirrors_stripe(session, stripe_fake, user, sub)
    assert (row.status, row.tier) == (SubscriptionStatus.ACTIVE, Tier.PRO)
    assert balance(session, user) == 2 * PRO


def test_cancel_at_period_end_keeps_pro_until_the_period_ends(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events)
    deliver(session, stripe_fake, stripe_fake.cancel_at_period_end(sub))
    row = assert_mirrors_stripe(session, stripe_fake, user, sub)
    assert (row.tier, row.cancel_at_period_end) == (Tier.PRO, True)
    deliver(session, stripe_fake, stripe_fake.end_period(sub))
    row = assert_mirrors_stripe(session, stripe_fake, user, sub)
    assert (row.status, row.tier) == (SubscriptionStatus.CANCELED, Tier.FREE)
    assert balance(session, user) == PRO  # what was granted stays


def test_upgrade_to_enterprise_mid_period_grants_enterprise_for_that_period(
        session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events)
    deliver(session, stripe_fake, stripe_fake.change_price(sub, PRICE_ENTERPRISE))
    row = assert_mirrors_stripe(session, stripe_fake, user, sub)
    assert row.tier == Tier.ENTERPRISE
    # The period's allowance is topped up to ENTERPRISE's: the PRO credits count towards it.
    assert balance(session, user) == ENTERPRISE


def test_renewal_grants_the_next_period(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events)
    deliver(session, stripe_fake, stripe_fake.renew(sub))
    assert_mirrors_stripe(session, stripe_fake, user, sub)
    assert balance(session, user) == 2 * PRO


def test_a_second_plan_checkout_while_subscribed_is_refused(session: Session, stripe_fake: FakeStripe) -> None:
    user = customer(session)
    _sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events)
    with pytest.raises(subscriptions.AlreadySubscribed):
        checkout(session, stripe_fake, user, PRICE_ENTERPRISE)


# --- any order ------------------------------------------------------------------------------------

STORY_STEPS = st.lists(st.sampled_from(["renew", "fail_then_pay", "upgrade", "cancel"]), max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STORY_STEPS, order_seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_a_subscriptions_events_in_any_order_end_in_stripes_final_state(
        session: Session, stripe_fake: FakeStripe, steps: list[str], order_seed: int) -> None:
    user = customer(session)
    sub, events = subscribe(session, stripe_fake, user)
    for step in steps:
        if stripe_fake.subscriptions[sub]["status"] == "canceled":
            break
        if step == "renew":
            events += stripe_fake.renew(sub)
        elif step == "fail_then_pay":
            events += stripe_fake.fail_payment(sub) + stripe_fake.pay_open_invoice(sub)
        elif step == "upgrade" and stripe_fake._item(sub)["price"]["id"] != PRICE_ENTERPRISE:
            events += stripe_fake.change_price(sub, PRICE_ENTERPRISE)
        elif step == "cancel":
            events += stripe_fake.cancel_at_period_end(sub) + stripe_fake.end_period(sub)
    in_order_paid = [e for e in events if e["type"] == "invoice.paid"]
    shuffled = list(events)
    random.Random(order_seed).shuffle(shuffled)
    deliver(session, stripe_fake, shuffled)
    assert_mirrors_stripe(session, stripe_fake, user, sub)
    # Each paid period carries the largest allowance paid for in it, whatever the order.
    per_period: dict[int, int] = {}
    for event in in_order_paid:
        invoice = stripe_fake.invoices[event["data"]["object"]["id"]]
        for price, _start, end in stripe_adapter.invoice_lines(invoice):
            tier, months = subscriptions.plan_prices()[price or ""]
            per_period[end] = max(per_period.get(end, 0), subscriptions.monthly_allowance(tier) * months)
    entries = session.exec(select(CreditLedger).where(col(CreditLedger.user_id) == user.id)).all()
    assert sum(e.delta for e in entries) == balance(session, user) == sum(per_period.values())


# --- emails and refusals --------------------------------------------------------------------------


def test_a_failed_payment_emails_the_owner_once(session: Session, stripe_fake: FakeStripe, outbox: Outbox) -> None:
    user = customer(session)
    sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events)
    deliver(session, stripe_fake, stripe_fake.fail_payment(sub))
    failed = [m for m in outbox.to(user.email) if "payment failed" in m["text"]]
    assert len(failed) == 1
    assert "PRO" in failed[0]["subject"]


def test_a_paid_invoice_sends_one_receipt(session: Session, stripe_fake: FakeStripe, outbox: Outbox) -> None:
    user = customer(session)
    _sub, events = subscribe(session, stripe_fake, user)
    deliver(session, stripe_fake, events + events)
    receipts = [m for m in outbox.to(user.email) if m["subject"] == "Your Dream Pixel receipt"]
    assert len(receipts) == 1
    assert "19.00 USD" in receipts[0]["text"]


def test_checkout_is_refused_while_billing_is_not_configured(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_settings, "stripe_secret_key", SecretStr(""))
    user = create_user(session)
    with pytest.raises(stripe_adapter.BillingNotConfigured):
        subscriptions.start_checkout(session, user_id=user.id, price_id=PRICE_PRO_MONTHLY,
                                     success_url="http://app.test/billing", cancel_url="http://app.test/pricing")


def test_a_price_that_is_not_on_sale_is_refused(session: Session, stripe_fake: FakeStripe) -> None:
    user = create_user(session)
    with pytest.raises(subscriptions.UnknownPrice):
        subscriptions.start_checkout(session, user_id=user.id, price_id="price_someone_elses",
                                     success_url="http://app.test/billing", cancel_url="http://app.test/pricing")


def test_a_plan_change_is_sent_to_the_owners_webhook_endpoints(session: Session, stripe_fake: FakeStripe) -> None:
    from dreampixel.core.models import WebhookDelivery
    from services.webhooks import service as outgoing
    from services.webhooks.schemas import WebhookEndpointCreate

    user = customer(session)
    outgoing.create_endpoint(session, user_id=user.id, request=WebhookEndpointCreate(
        url="https://hooks.example.com/dreampixel", events=["subscription.updated"]))
    _sub, events = subscribe(session, stripe_fake, user)

    deliver(session, stripe_fake, events)

    sent = session.exec(select(WebhookDelivery).where(WebhookDelivery.user_id == user.id)).all()
    assert {d.event_type for d in sent} == {"subscription.updated"}
    assert sent[-1].payload["data"]["tier"] == "PRO"
    assert sent[-1].payload["data"]["status"] == "ACTIVE"
