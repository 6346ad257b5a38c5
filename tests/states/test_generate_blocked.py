"""Why the generate page cannot generate, said once and truthfully, read through its edge."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlmodel import Session

from dreampixel.core.models import GenerationStatus, Tier, utcnow
from dreampixel.core.settings import settings
from services.credits import service as credits
from states.edge import generation as generation_edge
from states.edge.accounts import Viewer
from tests.factories import create_generation, create_user


def viewer_of(user_id: str, *, verified: bool = True) -> Viewer:
    return Viewer(user_id=user_id, session_id="ses_test", name="Ada", email="ada@example.test", role="USER",
                  verified=verified)


@pytest.fixture
def billing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "stripe_secret_key", SecretStr("sk_test_blocked"))
    monkeypatch.setattr(settings, "stripe_webhook_secret", SecretStr("whsec_blocked"))


@pytest.fixture
def billing_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "stripe_secret_key", SecretStr(""))
    monkeypatch.setattr(settings, "stripe_webhook_secret", SecretStr(""))


def test_an_unverified_account_is_asked_to_confirm_its_email_not_to_buy(session: Session, billing_on: None) -> None:
    user = create_user(session, email_verified_at=None)

    account = generation_edge.account(viewer_of(user.id, verified=False))

    assert account.blocked == "unverified"
    assert account.blocked_message.startswith("No credits yet: confirm your email")
    assert (account.action_label, account.action_link) == ("Send a new link", "/account")


def test_no_credits_without_billing_names_the_renewal_and_who_to_ask_and_links_nowhere(
    session: Session, billing_off: None
) -> None:
    user = create_user(session)

    account = generation_edge.account(viewer_of(user.id))

    assert account.blocked == "no_credits"
    assert account.blocked_message.startswith("You have no credits yet. Your free allowance of")
    assert "renews on" in account.blocked_message and "ask its administrator" in account.blocked_message
    assert account.action_link == ""


def test_out_of_credits_with_billing_links_to_buying_more(session: Session, billing_on: None) -> None:
    user = create_user(session)
    create_generation(session, user, status=GenerationStatus.SUCCEEDED, queued_at=utcnow() - timedelta(days=3))

    account = generation_edge.account(viewer_of(user.id))

    assert account.blocked == "out_of_credits"
    assert account.blocked_message.startswith("You are out of credits.")
    assert "administrator" not in account.blocked_message
    assert (account.action_label, account.action_link) == ("Buy credits", "/pricing")


def test_the_daily_limit_says_when_the_next_generation_is_possible(session: Session, billing_off: None) -> None:
    user = create_user(session, tier=Tier.FREE)
    credits.grant(session, user_id=user.id, amount=30)
    limit, _ = settings.generation_limit("free")
    for _ in range(limit):
        create_generation(session, user, status=GenerationStatus.SUCCEEDED)

    account = generation_edge.account(viewer_of(user.id))

    assert account.blocked == "daily_limit"
    assert re.search(r"the next one is possible tomorrow at \d\d:\d\d UTC\.$", account.blocked_message)
    assert account.action_link == ""


def test_an_account_that_can_generate_is_not_blocked(session: Session) -> None:
    user = create_user(session)
    credits.grant(session, user_id=user.id, amount=30)

    assert generation_edge.account(viewer_of(user.id)).blocked == ""


def test_a_refused_submit_offers_no_plans_link_when_nothing_can_be_bought(billing_off: None) -> None:
    hint, label, link = generation_edge.error_action("insufficient_credits")
    assert hint and (label, link) == ("", "")


def test_a_refused_submit_links_to_plans_when_billing_is_set_up(billing_on: None) -> None:
    assert generation_edge.error_action("insufficient_credits")[2] == "/pricing"
