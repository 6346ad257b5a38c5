"""Forgotten passwords: a one-hour, single-use link by email; using it ends every session and
API key of the account, and the owner is told by email."""

from __future__ import annotations

from sqlmodel import Session

from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import TokenPurpose, User
from services.accounts import clock, credentials, mail_limits, passwords, tokens
from services.accounts.credentials import Ended
from services.accounts.service import check_new_password, get_by_email
from services.email import notifications

RESET_REQUESTED_MESSAGE = "If an account exists for that email, we sent a link to reset its password."
INVALID_LINK = "This reset link has expired or was already used. Ask for a new one."


def request_reset(session: Session, *, email: str, client: str | None = None) -> None:
    """Queue a reset link when the email has an account; the caller says the same either way.

    RateLimited past the hourly limits per address and per client, known email or not.
    """
    mail_limits.allow(mail_limits.RESET, to=email, client=client)
    user = get_by_email(session, email) if email.strip() else None
    if user is None:
        return
    tokens.expire_unused(session, user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD)
    token = tokens.issue(session, user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD)
    notifications.send_password_reset(session, to=user.email, name=user.name, token=token)


def reset_password(session: Session, *, token: str, new_password: str) -> Ended:
    """Set a new password with a reset link; every session and API key of the account ends."""
    check_new_password(new_password)
    row = tokens.consume(session, token, (TokenPurpose.RESET_PASSWORD,))
    user = session.get(User, row.user_id) if row else None
    if user is None:
        raise ValidationFailed(INVALID_LINK, code="invalid_token",
                               errors=[{"field": "token", "message": INVALID_LINK}])
    user.password_hash = passwords.hash_password(new_password)
    user.failed_login_count = 0
    user.locked_until = None
    # The link arrived by email, which proves the address as well as a verification link does.
    user.email_verified_at = user.email_verified_at or clock.now()
    session.add(user)
    ended = credentials.end_access(session, user_id=user.id, reason="password_reset")
    notifications.send_access_reset(session, to=user.email, name=user.name, api_keys=ended.api_keys)
    session.flush()
    return ended
