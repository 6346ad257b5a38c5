"""Who keeps access to an account: keys need a confirmed email, ending access ends sessions, keys
and pending links, recent authentication, taking back an unverified sign-up, unlinking."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from dreampixel.core.errors import RateLimited, ValidationFailed
from dreampixel.core.models import ApiKey, AuthSession, OAuthAccount, User
from services.accounts import credentials, mail_limits, oauth, reauth, recovery, sessions, signup, verification
from services.accounts.oauth import Identity, LastSignInMethod
from services.accounts.reauth import ReauthenticationRequired
from services.api_keys import service as api_keys
from tests.factories import create_user
from tests.fixtures.accounts import PASSWORD, Clock, Outbox


def _signed_up(session: Session, email: str = "ada@example.test") -> User:
    user = signup.sign_up(session, email=email, password=PASSWORD, name="Ada")
    assert user is not None
    return user


def _session_id(session: Session, user: User) -> str:
    found = sessions.resolve(session, sessions.create(session, user_id=user.id, ip=None, user_agent="test"))
    assert found is not None
    return found[0].id


def _live(session: Session, table: type[ApiKey] | type[AuthSession], user: User) -> list[object]:
    return list(session.exec(select(table).where(table.user_id == user.id, table.revoked_at == None)).all())  # noqa: E711


def test_an_unverified_account_gets_no_api_key(session: Session, outbox: Outbox) -> None:
    user = _signed_up(session)

    with pytest.raises(api_keys.EmailNotVerified):
        api_keys.create_key(session, user_id=user.id, name="too early")

    assert _live(session, ApiKey, user) == []


def test_ending_access_revokes_sessions_keys_and_pending_links_but_keeps_the_current_session(
    session: Session, outbox: Outbox
) -> None:
    user = create_user(session)
    kept = _session_id(session, user)
    _session_id(session, user)
    api_keys.create_key(session, user_id=user.id, name="a")
    api_keys.create_key(session, user_id=user.id, name="b")
    recovery.request_reset(session, email=user.email)
    pending_reset = outbox.last_token(user.email)

    ended = credentials.end_access(session, user_id=user.id, keep_session_id=kept, reason="test")

    assert (ended.sessions, ended.api_keys) == (1, 2)
    assert [row.id for row in _live(session, AuthSession, user)] == [kept]  # type: ignore[attr-defined]
    assert _live(session, ApiKey, user) == []
    with pytest.raises(ValidationFailed):
        recovery.reset_password(session, token=pending_reset, new_password="a-brand-new-secret")


def test_a_session_is_recent_for_the_configured_minutes_after_signing_in(session: Session, frozen_clock: Clock) -> None:
    user = create_user(session)
    session_id = _session_id(session, user)
    frozen_clock.advance(minutes=9)
    reauth.require_recent(session, user_id=user.id, session_id=session_id)

    frozen_clock.advance(minutes=2)

    with pytest.raises(ReauthenticationRequired) as stale:
        reauth.require_recent(session, user_id=user.id, session_id=session_id)
    assert stale.value.status_code == 403 and stale.value.code == "reauthentication_required"


def test_confirming_the_password_makes_the_session_recent_and_five_wrong_ones_wait(
    session: Session, outbox: Outbox, frozen_clock: Clock
) -> None:
    user = _signed_up(session)
    session_id = _session_id(session, user)
    frozen_clock.advance(minutes=30)
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            reauth.confirm_password(session, user_id=user.id, session_id=session_id, password="wrong-password")

    with pytest.raises(RateLimited) as refused:
        reauth.confirm_password(session, user_id=user.id, session_id=session_id, password=PASSWORD)
    # The failures slide out of the window: the wait is the one the refusal announced.
    wait = int(refused.value.headers["Retry-After"])
    assert 0 < wait <= 2 * 15 * 60
    frozen_clock.advance(seconds=wait)
    reauth.confirm_password(session, user_id=user.id, session_id=session_id, password=PASSWORD)
    reauth.require_recent(session, user_id=user.id, session_id=session_id)


def test_another_users_session_is_never_recent_for_you(session: Session) -> None:
    alice, bob = create_user(session), create_user(session)

    with pytest.raises(ReauthenticationRequired):
        reauth.require_recent(session, user_id=alice.id, session_id=_session_id(session, bob))


def test_a_verified_provider_identity_takes_an_unverified_sign_up_back(session: Session, outbox: Outbox) -> None:
    squatter = _signed_up(session, "owner@example.test")
    _session_id(session, squatter)

    owner = oauth.sign_in(session, Identity(provider="google", account_id="g-1", email="owner@example.test",
                                            email_verified=True, name="The Owner"))

    assert owner.id == squatter.id
    assert owner.password_hash is None and owner.email_verified_at is not None and owner.name == "The Owner"
    assert _live(session, AuthSession, owner) == []


def test_linking_a_verified_account_keeps_its_password_and_sessions(session: Session, outbox: Outbox) -> None:
    user = _signed_up(session)
    verification.verify(session, outbox.last_token(user.email))
    _session_id(session, user)

    oauth.sign_in(session, Identity(provider="google", account_id="g-2", email=user.email, email_verified=True,
                                    name="Ada"))

    session.refresh(user)
    assert user.password_hash is not None and len(_live(session, AuthSession, user)) == 1


def test_the_last_way_into_a_passwordless_account_cannot_be_unlinked(session: Session) -> None:
    user = create_user(session, password_hash=None)
    link = OAuthAccount(user_id=user.id, provider="google", provider_account_id="g-3")
    session.add(link)
    session.flush()

    with pytest.raises(LastSignInMethod):
        oauth.unlink(session, user_id=user.id, link_id=link.id)
    assert not oauth.unlink(session, user_id=create_user(session).id, link_id=link.id), "not theirs"


def test_an_undo_link_survives_a_password_reset_by_whoever_changed_the_email(session: Session,
                                                                              outbox: Outbox) -> None:
    user = _signed_up(session)
    verification.request_email_change(session, user_id=user.id, session_id=_session_id(session, user),
                                      new_email="thief@example.test")
    verification.verify(session, outbox.last_token("thief@example.test"))
    undo = outbox.last_token("ada@example.test")
    recovery.request_reset(session, email="thief@example.test")
    recovery.reset_password(session, token=outbox.last_token("thief@example.test"), new_password="thiefs-password-1")

    result = verification.verify(session, undo)

    assert result.outcome is verification.VerifyOutcome.EMAIL_RESTORED
    session.refresh(user)
    assert user.email == "ada@example.test" and user.password_hash is None


def test_mail_limits_count_per_recipient_and_per_client() -> None:
    for i in range(mail_limits.PER_RECIPIENT):
        mail_limits.allow(mail_limits.RESET, to="a@example.test", client=f"10.0.0.{i}")
    with pytest.raises(RateLimited):
        mail_limits.allow(mail_limits.RESET, to="A@example.test", client="10.0.1.1")
    mail_limits.allow(mail_limits.EMAIL_CHANGE, to="a@example.test", client="10.0.1.1")  # another kind

    for i in range(mail_limits.PER_CLIENT):
        mail_limits.allow(mail_limits.SIGNUP, to=f"p{i}@example.test", client="192.0.2.1")
    with pytest.raises(RateLimited):
        mail_limits.allow(mail_limits.SIGNUP, to="new@example.test", client="192.0.2.1")
