"""The pricing and billing pages' handlers: what they show, and where their buttons send the viewer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
import reflex as rx
from pydantic import SecretStr
from reflex.istate.data import RouterData
from sqlalchemy import Engine

from dreampixel.core.db import uow
from dreampixel.core.models import SubscriptionStatus, Tier
from dreampixel.core.settings import CreditPack, settings
from services.accounts import sessions
from services.billing import subscriptions
from states.billing import BillingState, PricingState
from tests.factories import create_user
from tests.fakes.stripe import PRICE_PRO_MONTHLY, FakeStripe
from tests.states.test_state_authorization import call

ORIGIN = "http://dreampixel.test"
S = TypeVar("S", bound=rx.State)


def state_for(kind: type[S], cookie_token: str | None, path: str = "/pricing") -> S:
    """A state as the server builds it for a browser on `path` sending this session cookie."""
    root = rx.State(_reflex_internal_init=True)
    router_data: dict[str, Any] = {
        "headers": {"cookie": f"{sessions.SESSION_COOKIE}={cookie_token}" if cookie_token else "", "origin": ORIGIN},
        "pathname": path, "asPath": path, "query": {}, "token": "client", "sid": "sid", "ip": "127.0.0.1",
    }
    root.router_data = router_data
    root.router = RouterData.from_router_data(router_data)
    state = root.get_substate(kind.get_full_name().split("."))
    assert isinstance(state, kind)
    return state


def signed_in(*, tier: Tier = Tier.FREE) -> tuple[str, str]:
    """(user id, session token) of a new user."""
    with uow() as session:
        user = create_user(session, tier=tier)
        return user.id, sessions.create(session, user_id=user.id, ip="127.0.0.1", user_agent="test")


async def test_without_stripe_pricing_lists_the_packs_with_billing_off(live_db: Engine,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "stripe_secret_key", SecretStr(""))
    monkeypatch.setattr(settings, "credit_packs", [CreditPack(price_id="price_x", credits=100, label="100 credits",
                                                              price="$5")])
    visitor = state_for(PricingState, None)
    await PricingState.load.fn(visitor)
    assert visitor.billing_enabled is False
    assert [(p["label"], p["credits"], p["price"]) for p in visitor.packs] == [("100 credits", "100", "$5")]


async def test_with_stripe_pricing_offers_each_plan_price(live_db: Engine, stripe_fake: FakeStripe) -> None:
    visitor = state_for(PricingState, None)
    await PricingState.load.fn(visitor)
    assert visitor.billing_enabled is True
    assert [(p["tier"], p["label"], p["price"]) for p in visitor.plans] == [
        ("PRO", "Monthly", settings.price_label_pro_monthly), ("PRO", "Yearly", settings.price_label_pro_yearly),
        ("ENTERPRISE", "Monthly", settings.price_label_enterprise)]


async def test_choosing_a_plan_sends_the_viewer_to_stripes_checkout(live_db: Engine, stripe_fake: FakeStripe) -> None:
    user_id, token = signed_in()
    viewer = state_for(PricingState, token)
    spec = await call(PricingState.checkout, viewer, PRICE_PRO_MONTHLY)
    [created] = stripe_fake.checkout_sessions.values()
    assert created["client_reference_id"] == user_id
    assert created["success_url"] == f"{ORIGIN}/billing?checkout=success"
    assert created["url"] in str(spec)


async def test_choosing_a_plan_signed_out_goes_to_sign_in(live_db: Engine, stripe_fake: FakeStripe) -> None:
    visitor = state_for(PricingState, None)
    spec = await call(PricingState.checkout, visitor, PRICE_PRO_MONTHLY)
    assert "/login?next=" in str(spec)
    assert stripe_fake.checkout_sessions == {}


async def test_billing_shows_a_past_due_plan_and_its_cancellation_date(live_db: Engine,
                                                                       stripe_fake: FakeStripe) -> None:
    user_id, token = signed_in()
    with uow() as session:
        url = subscriptions.start_checkout(session, user_id=user_id, price_id=PRICE_PRO_MONTHLY,
                                           success_url="http://x/s", cancel_url="http://x/c")
    events = stripe_fake.complete_checkout(url.rsplit("/", 1)[-1])
    sub = events[0]["data"]["object"]["id"]
    stripe_fake.fail_payment(sub)
    stripe_fake.cancel_at_period_end(sub)
    with uow() as session:
        mirrored = subscriptions.sync_subscription(session, subscription=stripe_fake.subscriptions[sub])
        assert mirrored is not None and mirrored.status == SubscriptionStatus.PAST_DUE
    page = state_for(BillingState, token, path="/billing")
    await call(BillingState.load, page)
    assert (page.tier, page.status, page.past_due, page.cancel_at_period_end) == ("PRO", "PAST_DUE", True, True)
    end = datetime.fromtimestamp(stripe_fake.subscriptions[sub]["items"]["data"][0]["current_period_end"], UTC)
    assert page.period_end == f"{end:%B} {end.day}, {end.year}"
