"""Confirming email addresses: the sign-up link, resending it, and switching to a new address."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from dreampixel.core.errors import RateLimited
from dreampixel.core.models import TokenPurpose, User
from services.accounts import clock, tokens
from services.accounts.service import check_email, get_by_email
from services.billing import service as billing
from services.email import notifications

RESEND_PER_MINUTE = 1
RESEND_PER_DAY = 5


class VerifyOutcome(StrEnum):
    VERIFIED = "verified"
    EMAIL_CHANGED = "email_changed"
    INVALID = "invalid"  # unknown, used or expired: the page offers a fresh link
    EMAIL_TAKEN = "email_taken"  # another account took the new address in the meantime


@dataclass(frozen=True)
class VerifyResult:
    outcome: VerifyOutcome
    email: str | None = None


def send_verification(session: Session, user: User) -> None:
    """Queue a fresh 24-hour link to `user`'s address; earlier links stop working."""
    tokens.expire_unused(session, user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL)
    token = tokens.issue(session, user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL)
    notifications.send_verification(session, to=user.email, name=user.name, token=token)


def resend_verification(session: Session, *, user_id: str) -> bool:
    """Send the link again (one a minute, five a day); False when the user is already verified."""
    user = session.get(User, user_id)
    if user is None or user.email_verified_at is not None:
        return False
    if tokens.count_since(session, user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL, since_seconds=60) >= RESEND_PER_MINUTE:
        raise RateLimited("We just sent a link. You can ask for another one in a minute.", headers={"Retry-After": "60"})
    if tokens.count_since(session, user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL, since_seconds=86_400) >= RESEND_PER_DAY:
        raise RateLimited("You asked for five links today. Try again tomorrow.", headers={"Retry-After": "86400"})
    send_verification(session, user)
    return True


def resend_for_token(session: Session, token: str) -> bool:
    """A fresh link for whoever an expired or used link belonged to (the /verify page's button)."""
    row = tokens.find(session, token)
    if row is None or row.purpose is not TokenPurpose.VERIFY_EMAIL:
        return False
    return resend_verification(session, user_id=row.user_id)


def verify(session: Session, token: str) -> VerifyResult:
    """Use a link from a confirmation email: mark the address verified, or switch to the new one."""
    row = tokens.consume(session, token, (TokenPurpose.VERIFY_EMAIL, TokenPurpose.CHANGE_EMAIL))
    user = session.get(User, row.user_id) if row else None
    if row is None or user is None:
        return VerifyResult(VerifyOutcome.INVALID)
    if row.purpose is TokenPurpose.CHANGE_EMAIL and row.email:
        other = get_by_email(session, row.email)
        if other is not None and other.id != user.id:
            return VerifyResult(VerifyOutcome.EMAIL_TAKEN, row.email)
        user.email = row.email
        user.email_verified_at = clock.now()
        session.add(user)
        session.flush()
        return VerifyResult(VerifyOutcome.EMAIL_CHANGED, user.email)
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        session.add(user)
        session.flush()
        billing.grant_free_allowance(session, user_id=user.id, now=user.email_verified_at)
    return VerifyResult(VerifyOutcome.VERIFIED, user.email)


def request_email_change(session: Session, *, user_id: str, new_email: str) -> None:
    """Send a confirmation link to `new_email`; the account keeps its address until it is used.

    A new address that belongs to another account gets the "someone tried" notice instead, and
    the caller shows the same message either way.
    """
    new_email = check_email(new_email)
    user = session.get(User, user_id)
    if user is None or new_email == user.email:
        return
    other = get_by_email(session, new_email)
    if other is not None:
        notifications.send_signup_attempt(session, to=other.email)
        return
    tokens.expire_unused(session, user_id=user.id, purpose=TokenPurpose.CHANGE_EMAIL)
    token = tokens.issue(session, user_id=user.id, purpose=TokenPurpose.CHANGE_EMAIL, email=new_email)
    notifications.send_email_change(session, to=new_email, name=user.name, token=token)
