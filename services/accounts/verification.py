"""Confirming email addresses: the sign-up link, resending it, and switching to a new address.

A confirmed switch ends the account's other sessions and tells the old address, with a
link that puts it back (and ends every session and key, and the password, in case the
switch was a takeover).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete
from sqlmodel import Session, col

from dreampixel.core.errors import RateLimited
from dreampixel.core.logging import get_logger
from dreampixel.core.models import OAuthAccount, TokenPurpose, User
from services.accounts import clock, credentials, mail_limits, reauth, sessions, tokens
from services.accounts.service import check_email, get_by_email
from services.billing import service as billing
from services.email import notifications

log = get_logger(__name__)

RESEND_PER_MINUTE = 1
RESEND_PER_DAY = 5


class VerifyOutcome(StrEnum):
    VERIFIED = "verified"
    EMAIL_CHANGED = "email_changed"
    INVALID = "invalid"  # unknown, used or expired: the page offers a fresh link
    EMAIL_TAKEN = "email_taken"  # another account took the new address in the meantime
    EMAIL_RESTORED = "email_restored"  # the old address undid a change: everyone is signed out


@dataclass(frozen=True)
class VerifyResult:
    outcome: VerifyOutcome
    email: str | None = None
    user_id: str | None = None  # whose address it was, so the page can tell whether it is the signed-in one


def send_verification(session: Session, user: User) -> None:
    """Queue a fresh 24-hour link to `user`'s address; earlier links stop working."""
    tokens.expire_unused(session, user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL)
    token = tokens.issue(session, user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL)
    notifications.send_verification(session, to=user.email, name=user.name, token=token)


def resend_verification(session: Session, *, user_id: str, client: str | None = None) -> bool:
    """Send the link again (one a minute, five a day); False when the user is already verified."""
    user = session.get(User, user_id)
    if user is None or user.email_verified_at is not None:
        return False
    # Per address it is the link count below (one a minute, five a day); this adds the per-client limit.
    mail_limits.allow(mail_limits.VERIFY, to=None, client=client)
    if tokens.count_since(session, user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL, since_seconds=60) >= RESEND_PER_MINUTE:
        raise RateLimited("We just sent a link. You can ask for another one in a minute.", headers={"Retry-After": "60"})
    if tokens.count_since(session, user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL, since_seconds=86_400) >= RESEND_PER_DAY:
        raise RateLimited("You asked for five links today. Try again tomorrow.", headers={"Retry-After": "86400"})
    send_verification(session, user)
    return True


def resend_for_token(session: Session, token: str, *, client: str | None = None) -> bool:
    """A fresh link for whoever an expired or used link belonged to (the /verify page's button)."""
    row = tokens.find(session, token)
    if row is None or row.purpose is not TokenPurpose.VERIFY_EMAIL:
        return False
    return resend_verification(session, user_id=row.user_id, client=client)


def verify(session: Session, token: str, *, keep_session_id: str | None = None) -> VerifyResult:
    """Use a link from an email: mark the address verified, switch to a new one, or undo a switch.

    A switch ends every session of the account but `keep_session_id` (the browser that opened
    the link, when it is signed in to this account).
    """
    row = tokens.consume(session, token, (TokenPurpose.VERIFY_EMAIL, TokenPurpose.CHANGE_EMAIL,
                                          TokenPurpose.UNDO_EMAIL_CHANGE))
    user = session.get(User, row.user_id) if row else None
    if row is None or user is None:
        return VerifyResult(VerifyOutcome.INVALID)
    if row.purpose is TokenPurpose.UNDO_EMAIL_CHANGE and row.email:
        return _undo_change(session, user, row.email)
    if row.purpose is TokenPurpose.CHANGE_EMAIL and row.email:
        other = get_by_email(session, row.email)
        if other is not None and other.id != user.id:
            return VerifyResult(VerifyOutcome.EMAIL_TAKEN, row.email)
        old_email = user.email
        user.email = row.email
        user.email_verified_at = clock.now()
        session.add(user)
        sessions.revoke_all(session, user_id=user.id, keep_session_id=keep_session_id)
        undo = tokens.issue(session, user_id=user.id, purpose=TokenPurpose.UNDO_EMAIL_CHANGE, email=old_email)
        notifications.send_email_changed(session, to=old_email, name=user.name, new_email=user.email, token=undo)
        session.flush()
        log.info("account.email_changed", user_id=user.id)
        return VerifyResult(VerifyOutcome.EMAIL_CHANGED, user.email)
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        session.add(user)
        session.flush()
        billing.grant_free_allowance(session, user_id=user.id, now=user.email_verified_at)
    return VerifyResult(VerifyOutcome.VERIFIED, user.email, user.id)


def _undo_change(session: Session, user: User, old_email: str) -> VerifyResult:
    # Whoever changed the address may know the password and hold sessions, keys or a linked
    # provider account: all of it goes, and the owner chooses a new password through /forgot.
    other = get_by_email(session, old_email)
    if other is not None and other.id != user.id:
        return VerifyResult(VerifyOutcome.EMAIL_TAKEN, old_email)
    user.email = old_email
    user.email_verified_at = clock.now()
    user.password_hash = None
    session.add(user)
    credentials.end_access(session, user_id=user.id, reason="email_change_undone")
    session.execute(delete(OAuthAccount).where(col(OAuthAccount.user_id) == user.id))
    session.flush()
    log.info("account.email_change_undone", user_id=user.id)
    return VerifyResult(VerifyOutcome.EMAIL_RESTORED, old_email)


def request_email_change(session: Session, *, user_id: str, session_id: str, new_email: str,
                         client: str | None = None) -> None:
    """Send a confirmation link to `new_email`; the account keeps its address until it is used.

    A new address that belongs to another account gets the "someone tried" notice instead, and
    the caller shows the same message either way. Only from a session that authenticated recently.
    """
    reauth.require_recent(session, user_id=user_id, session_id=session_id)
    new_email = check_email(new_email)
    user = session.get(User, user_id)
    if user is None or new_email == user.email:
        return
    mail_limits.allow(mail_limits.EMAIL_CHANGE, to=new_email, client=client)
    other = get_by_email(session, new_email)
    if other is not None:
        notifications.send_signup_attempt(session, to=other.email)
        return
    tokens.expire_unused(session, user_id=user.id, purpose=TokenPurpose.CHANGE_EMAIL)
    token = tokens.issue(session, user_id=user.id, purpose=TokenPurpose.CHANGE_EMAIL, email=new_email)
    notifications.send_email_change(session, to=new_email, name=user.name, token=token)
