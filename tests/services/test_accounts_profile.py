"""Changing name, email and password; API keys on the account page; deleting the account."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import (
    ApiKey,
    AuthSession,
    CreditLedger,
    Generation,
    Image,
    Invoice,
    LedgerReason,
    OAuthAccount,
    SeedFavorite,
    User,
    UserStatus,
    VerificationToken,
)
from services.accounts import deletion, login, profile, sessions, signup, verification
from services.accounts.verification import VerifyOutcome
from services.api_keys import service as api_keys
from services.credits import service as credits
from services.storage import get_storage
from tests.factories import create_generation, create_image, create_seed, create_user
from tests.fixtures.accounts import PASSWORD, Outbox


def _user(session: Session, email: str = "ada@example.test") -> User:
    user = signup.sign_up(session, email=email, password=PASSWORD, name="Ada")
    assert user is not None
    return user


def _fresh_session_id(session: Session, user: User) -> str:
    """A session that has just signed in, so it counts as recently authenticated."""
    token = sessions.create(session, user_id=user.id, ip=None, user_agent="test")
    found = sessions.resolve(session, token)
    assert found is not None
    return found[0].id


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_new_email_takes_effect_only_once_confirmed(session: Session, outbox: Outbox) -> None:
    user = _user(session)

    verification.request_email_change(session, user_id=user.id, session_id=_fresh_session_id(session, user),
                                      new_email="Ada.New@Example.test")

    session.refresh(user)
    assert user.email == "ada@example.test"
    result = verification.verify(session, outbox.last_token("ada.new@example.test"))
    assert result.outcome is VerifyOutcome.EMAIL_CHANGED
    session.refresh(user)
    assert user.email == "ada.new@example.test" and user.email_verified_at is not None


def test_changing_to_a_taken_email_sends_no_link(session: Session, outbox: Outbox) -> None:
    user = _user(session)
    other = _user(session, "bo@example.test")

    verification.request_email_change(session, user_id=user.id, session_id=_fresh_session_id(session, user),
                                      new_email=other.email)

    assert [m["tags"]["kind"] for m in outbox.to(other.email)] == ["verify_email", "signup_attempt"]


def test_renaming_trims_and_refuses_empty_names(session: Session, outbox: Outbox) -> None:
    user = _user(session)

    assert profile.update_name(session, user_id=user.id, name="  Ada L.  ").name == "Ada L."
    with pytest.raises(ValidationFailed):
        profile.update_name(session, user_id=user.id, name="   ")


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(session: Session, outbox: Outbox) -> None:
    user = _user(session)
    sessions.create(session, user_id=user.id, ip=None, user_agent="this one")
    this = session.exec(select(AuthSession).where(AuthSession.user_id == user.id)).one()
    sessions.create(session, user_id=user.id, ip=None, user_agent="another")

    with pytest.raises(ValidationFailed) as wrong:
        profile.change_password(session, user_id=user.id, current_password="nope-nope-nope",
                                new_password="a-fresh-secret-1", keep_session_id=this.id)
    assert wrong.value.errors[0]["field"] == "current_password"

    ended = profile.change_password(session, user_id=user.id, current_password=PASSWORD,
                                    new_password="a-fresh-secret-1", keep_session_id=this.id)

    assert ended.sessions == 1
    assert [s.id for s in sessions.list_for_user(session, user.id)] == [this.id]
    assert login.sign_in(session, email=user.email, password="a-fresh-secret-1", address="10.4.0.1").ok


def test_api_keys_are_listed_without_secrets_and_revoked_by_their_owner_only(session: Session) -> None:
    owner, stranger = create_user(session), create_user(session)
    key, _ = api_keys.create_key(session, user_id=owner.id, name="ci", scopes=["generations:read"])

    assert [k.id for k in api_keys.list_keys(session, user_id=owner.id)] == [key.id]
    assert not api_keys.revoke_key(session, user_id=stranger.id, key_id=key.id)
    assert api_keys.revoke_key(session, user_id=owner.id, key_id=key.id)
    assert api_keys.list_keys(session, user_id=owner.id) == []


def test_a_suspended_user_has_no_session(session: Session, outbox: Outbox) -> None:
    user = _user(session)
    cookie = sessions.create(session, user_id=user.id, ip=None, user_agent=None)
    user.status = UserStatus.SUSPENDED
    session.add(user)
    session.flush()

    assert sessions.resolve(session, cookie) is None


def test_deletion_needs_the_password_or_the_typed_email(session: Session, outbox: Outbox) -> None:
    user = _user(session)

    with pytest.raises(ValidationFailed):
        deletion.delete_account(session, user_id=user.id, session_id=_fresh_session_id(session, user),
                                password="wrong-password", typed_email="someone@else.test")
    assert deletion.delete_account(session, user_id=user.id, session_id=_fresh_session_id(session, user),
                                   typed_email=" ADA@example.test ") == []
    assert session.get(User, user.id) is None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_deleting_the_account_removes_personal_data_and_files_and_keeps_the_ledger_anonymous(
    session: Session, outbox: Outbox
) -> None:
    user = _user(session)
    bystander = create_user(session)
    credits.grant(session, user_id=user.id, amount=5, reason=LedgerReason.GRANT, reference="signup")
    generation = create_generation(session, user)
    storage = get_storage()
    full = create_image(session, user, generation, storage_key=f"test/{user.id}/full.png")
    create_image(session, None, None, parent_id=full.id, storage_key=f"test/{user.id}/thumb.png")
    upload = create_image(session, user, storage_key=f"test/{user.id}/upload.png",
                          meta={"thumbnail_key": f"test/{user.id}/upload-thumb.webp"})
    kept = create_image(session, bystander, storage_key=f"test/{bystander.id}/theirs.png")
    for image in (full, upload, kept):
        asyncio.run(storage.put(image.storage_key, b"png", content_type="image/png"))
    asyncio.run(storage.put(f"test/{user.id}/thumb.png", b"png", content_type="image/png"))
    asyncio.run(storage.put(f"test/{user.id}/upload-thumb.webp", b"webp", content_type="image/webp"))
    seed = create_seed(session, bystander)
    session.add(SeedFavorite(user_id=user.id, seed_id=seed.id))
    session.add(OAuthAccount(user_id=user.id, provider="github", provider_account_id="42"))
    session.add(Invoice(user_id=user.id, stripe_invoice_id="in_1", status="paid"))
    verification.verify(session, outbox.last_token(user.email))  # keys need a confirmed email
    api_keys.create_key(session, user_id=user.id, name="k")
    sessions.create(session, user_id=user.id, ip=None, user_agent=None)
    session.flush()

    keys = deletion.delete_account(session, user_id=user.id, session_id="", password=PASSWORD)
    removed = asyncio.run(deletion.delete_files(keys))

    assert removed == 4
    assert not asyncio.run(storage.exists(full.storage_key))
    assert not asyncio.run(storage.exists(f"test/{user.id}/upload-thumb.webp")), "an upload's thumbnail goes too"
    assert asyncio.run(storage.exists(kept.storage_key))
    assert session.get(User, user.id) is None
    for table in (Generation, ApiKey, AuthSession, VerificationToken, OAuthAccount, SeedFavorite):
        assert session.exec(select(table).where(table.user_id == user.id)).all() == []  # type: ignore[attr-defined]
    assert session.exec(select(Image).where(Image.storage_key.contains(user.id))).all() == []  # type: ignore[attr-defined]
    ledger = session.exec(select(CreditLedger).where(CreditLedger.reference == "signup")).all()
    assert ledger and all(row.user_id is None for row in ledger)
    invoice = session.exec(select(Invoice).where(Invoice.stripe_invoice_id == "in_1")).one()
    assert invoice.user_id is None
    assert session.get(Image, kept.id) is not None
