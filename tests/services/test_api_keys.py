"""API keys: verifying one reads its state every time and writes at most once a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from dreampixel.core.models import UserStatus, utcnow
from services.api_keys import service as api_keys
from tests.factories import create_api_key, create_user

PLAINTEXT = api_keys.KEY_PREFIX + "a-key-only-this-test-knows-0123456789"


def test_a_fresh_key_names_its_owner_scopes_and_tier(session: Session) -> None:
    owner = create_user(session)
    key = create_api_key(session, owner, key_hash=api_keys.hash_key(PLAINTEXT), scopes=["seeds:read"])

    verified = api_keys.verify(session, PLAINTEXT)

    assert (verified.key_id, verified.user_id, verified.scopes) == (key.id, owner.id, frozenset({"seeds:read"}))
    assert verified.tier == owner.tier.value and verified.last_used_due


@pytest.mark.parametrize("change", ["revoked", "expired", "suspended"])
def test_a_revoked_or_expired_key_or_a_suspended_owner_is_refused(session: Session, change: str) -> None:
    owner = create_user(session)
    key = create_api_key(session, owner, key_hash=api_keys.hash_key(PLAINTEXT))
    if change == "revoked":
        key.revoked_at = utcnow()
    elif change == "expired":
        key.expires_at = utcnow() - timedelta(seconds=1)
    else:
        owner.status = UserStatus.SUSPENDED
    session.add_all([key, owner])
    session.flush()

    with pytest.raises(api_keys.InvalidApiKey):
        api_keys.verify(session, PLAINTEXT)


def test_last_used_is_stamped_at_most_once_a_minute(session: Session) -> None:
    owner = create_user(session)
    key = create_api_key(session, owner, key_hash=api_keys.hash_key(PLAINTEXT))

    api_keys.touch(session, key_id=key.id)
    session.refresh(key)
    first = key.last_used_at
    api_keys.touch(session, key_id=key.id)  # a second request within the minute changes nothing
    session.refresh(key)

    assert first is not None and key.last_used_at == first
    assert not api_keys.verify(session, PLAINTEXT).last_used_due
