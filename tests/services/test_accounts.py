"""Sign-up, email verification, password reset and sign-in rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from dreampixel.core.errors import RateLimited, ValidationFailed
from dreampixel.core.models import AuthSession, User
from services.accounts import login, recovery, sessions, signup, verification
from services.accounts.verification import VerifyOutcome
from tests.fixtures.accounts import PASSWORD, Clock, Outbox

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def _sign_up(session: Session, email: str = "ada@example.test") -> User:
    user = signup.sign_up(session, email=email, password=PASSWORD, name="Ada")
    assert user is not None
    return user


def test_sign_up_creates_an_unverified_user_and_mails_a_link(session: Session, outbox: Outbox) -> None:
    user = _sign_up(session)

    assert user.email_verified_at is None
    assert user.password_hash and user.password_hash.startswith("$2b$12$")
    [mail] = outbox.to("ada@example.test")
    assert "/verify?token=" in mail["text"] and mail["html"]


def test_sign_up_refuses_short_and_common_passwords_per_field(session: Session, outbox: Outbox) -> None:
    with pytest.raises(ValidationFailed) as short:
        signup.sign_up(session, email="not-an-email", password="short")
    assert {e["field"] for e in short.value.errors} == {"email", "password"}

    with pytest.raises(ValidationFailed) as common:
        signup.sign_up(session, email="bo@example.test", password="Password123")
    assert "common" in common.value.errors[0]["message"].lower()


def test_sign_up_with_a_taken_email_answers_the_same_and_tells_the_owner(session: Session, outbox: Outbox) -> None:
    _sign_up(session)

    again = signup.sign_up(session, email="ADA@example.test", password="another-password-9", name="Eve")

    assert again is None
    assert session.exec(select(User)).all().__len__() == 1
    assert [m["tags"]["kind"] for m in outbox.to("ada@example.test")] == ["verify_email", "signup_attempt"]


def test_verification_link_works_once(session: Session, outbox: Outbox) -> None:
    user = _sign_up(session)
    token = outbox.last_token(user.email)

    assert verification.verify(session, token).outcome is VerifyOutcome.VERIFIED
    session.refresh(user)
    assert user.email_verified_at is not None
    assert verification.verify(session, token).outcome is VerifyOutcome.INVALID


def test_verification_link_expires_after_24_hours(session: Session, outbox: Outbox, frozen_clock: Clock) -> None:
    user = _sign_up(session)
    token = outbox.last_token(user.email)

    frozen_clock.advance(hours=24, seconds=1)

    assert verification.verify(session, token).outcome is VerifyOutcome.INVALID
    session.refresh(user)
    assert user.email_verified_at is None


def test_resend_is_limited_to_one_a_minute_and_five_a_day(session: Session, outbox: Outbox, frozen_clock: Clock) -> None:
    user = _sign_up(session)  # the first link counts

    with pytest.raises(RateLimited, match="minute"):
        verification.resend_verification(session, user_id=user.id)
    for _ in range(4):
        frozen_clock.advance(minutes=2)
        assert verification.resend_verification(session, user_id=user.id)
    frozen_clock.advance(minutes=2)
    with pytest.raises(RateLimited, match="five"):
        verification.resend_verification(session, user_id=user.id)
    assert len(outbox.to(user.email)) == 5


def test_resend_from_a_spent_link_sends_a_fresh_one(session: Session, outbox: Outbox, frozen_clock: Clock) -> None:
    user = _sign_up(session)
    old = outbox.last_token(user.email)
    frozen_clock.advance(hours=25)

    assert verification.resend_for_token(session, old)
    new = outbox.last_token(user.email)
    assert new != old
    assert verification.verify(session, new).outcome is VerifyOutcome.VERIFIED


def test_reset_link_sets_the_password_once_and_ends_every_session(session: Session, outbox: Outbox) -> None:
    user = _sign_up(session)
    sessions.create(session, user_id=user.id, ip="127.0.0.1", user_agent="a")
    sessions.create(session, user_id=user.id, ip="127.0.0.1", user_agent="b")
    recovery.request_reset(session, email="ada@example.test")
    token = outbox.last_token(user.email)

    recovery.reset_password(session, token=token, new_password="a-brand-new-secret")

    live = [s for s in session.exec(select(AuthSession).where(AuthSession.user_id == user.id)) if s.revoked_at is None]
    assert live == []
    assert login.sign_in(session, email=user.email, password="a-brand-new-secret", address="10.0.0.1").ok
    with pytest.raises(ValidationFailed, match="expired or was already used"):
        recovery.reset_password(session, token=token, new_password="yet-another-secret")


def test_reset_link_expires_after_an_hour(session: Session, outbox: Outbox, frozen_clock: Clock) -> None:
    user = _sign_up(session)
    recovery.request_reset(session, email=user.email)
    frozen_clock.advance(minutes=61)

    with pytest.raises(ValidationFailed):
        recovery.reset_password(session, token=outbox.last_token(user.email), new_password="a-brand-new-secret")


def test_reset_for_an_unknown_email_sends_nothing(session: Session, outbox: Outbox) -> None:
    recovery.request_reset(session, email="nobody@example.test")

    assert outbox.messages == []


def test_five_failures_lock_the_account_for_fifteen_minutes(session: Session, outbox: Outbox, frozen_clock: Clock) -> None:
    user = _sign_up(session)
    results = [login.sign_in(session, email=user.email, password="wrong-password", address=f"10.0.0.{i}")
               for i in range(5)]

    assert [r.error for r in results[:4]] == [login.INCORRECT] * 4
    assert "Try again in 15 minutes" in (results[4].error or "")
    refused = login.sign_in(session, email=user.email, password=PASSWORD, address="10.0.1.1")
    assert not refused.ok and "Try again" in (refused.error or "")

    frozen_clock.advance(minutes=15, seconds=1)

    assert login.sign_in(session, email=user.email, password=PASSWORD, address="10.0.1.1").ok
    session.refresh(user)
    assert user.failed_login_count == 0 and user.locked_until is None


def test_twenty_failures_from_one_client_do_not_block_another_clients_correct_password(
        session: Session, outbox: Outbox, frozen_clock: Clock) -> None:
    user = _sign_up(session)
    # Two people behind one address (an office, a carrier's NAT): one of them keeps failing.
    for i in range(20):
        login.sign_in(session, email=f"guess-{i % 3}@example.test", password="wrong-password", address="203.0.113.9")

    assert login.sign_in(session, email=user.email, password=PASSWORD, address="203.0.113.9").ok


def test_failures_from_one_address_are_throttled_across_accounts(session: Session, outbox: Outbox, frozen_clock: Clock,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The same rule at a tenth of the limit: each failure costs a password hash, 100 of them half a minute.
    monkeypatch.setattr(login, "ADDRESS_FAILURE_LIMIT", 10)
    user = _sign_up(session)
    for i in range(login.ADDRESS_FAILURE_LIMIT):
        login.sign_in(session, email=f"guess-{i}@example.test", password="wrong-password", address="203.0.113.9")

    blocked = login.sign_in(session, email=user.email, password=PASSWORD, address="203.0.113.9")
    elsewhere = login.sign_in(session, email=user.email, password=PASSWORD, address="198.51.100.1")

    assert not blocked.ok and "network" in (blocked.error or "")
    assert elsewhere.ok
    frozen_clock.advance(minutes=16)
    assert login.sign_in(session, email=user.email, password=PASSWORD, address="203.0.113.9").ok


def test_unknown_email_and_wrong_password_get_the_same_message(session: Session, outbox: Outbox) -> None:
    user = _sign_up(session)

    unknown = login.sign_in(session, email="nobody@example.test", password=PASSWORD, address="10.1.0.1")
    wrong = login.sign_in(session, email=user.email, password="not-the-password", address="10.1.0.2")

    assert unknown.error == wrong.error == "Email or password is incorrect."


def test_a_ticket_is_exchanged_for_a_session_once(session: Session, outbox: Outbox) -> None:
    user = _sign_up(session)
    result = login.sign_in(session, email=user.email, password=PASSWORD, address="10.2.0.1")
    assert result.ticket

    binding = sessions.bind_ticket(session, result.ticket)

    cookie = sessions.redeem_ticket(session, result.ticket, binding=binding, ip="10.2.0.1", user_agent="test")

    assert cookie and sessions.resolve(session, cookie) is not None
    assert sessions.redeem_ticket(session, result.ticket, binding=binding, ip="10.2.0.1", user_agent="test") is None


def test_a_ticket_without_its_browsers_binding_signs_nobody_in(session: Session, outbox: Outbox) -> None:
    user = _sign_up(session)
    result = login.sign_in(session, email=user.email, password=PASSWORD, address="10.2.0.2")
    assert result.ticket
    binding = sessions.bind_ticket(session, result.ticket)

    assert sessions.redeem_ticket(session, result.ticket, binding=None, ip=None, user_agent="victim") is None
    assert sessions.redeem_ticket(session, result.ticket, binding="another-browser", ip=None, user_agent="x") is None
    assert sessions.redeem_ticket(session, result.ticket, binding=binding, ip=None, user_agent="mine") is not None


def test_an_unverified_user_can_sign_in(session: Session, outbox: Outbox) -> None:
    user = _sign_up(session)

    assert login.sign_in(session, email=user.email, password=PASSWORD, address="10.3.0.1").ok
