"""Signing up with Google or GitHub, whose address the provider verified, grants the FREE allowance at once."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from dreampixel.core.settings import settings
from services.accounts import oauth, verification
from tests.fixtures.accounts import Outbox


@pytest.fixture(autouse=True)
def allowance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "credits_free_monthly", 30)


def test_a_provider_verified_sign_up_starts_with_the_free_allowance(session: Session) -> None:
    user = oauth.sign_in(session, oauth.Identity(provider="github", account_id="101", email="kite@example.test",
                                                 email_verified=True, name="Kite"))
    session.refresh(user)
    assert user.credit_balance == 30


def test_an_unverified_provider_address_gets_the_allowance_when_the_emailed_link_is_opened(
    session: Session, outbox: Outbox
) -> None:
    user = oauth.sign_in(session, oauth.Identity(provider="github", account_id="102", email="owl@example.test",
                                                 email_verified=False, name="Owl"))
    session.refresh(user)
    assert (user.email_verified_at, user.credit_balance) == (None, 0)
    verification.send_verification(session, user)
    verification.verify(session, outbox.last_token("owl@example.test"))
    session.refresh(user)
    assert user.credit_balance == 30
