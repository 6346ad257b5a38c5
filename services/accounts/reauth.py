"""Recent authentication: sensitive changes need the session to have proved who it is lately.

A session proves it by signing in (password or OAuth), by typing the password again
(`confirm_password`) or by a fresh OAuth sign-in with a linked account (`mark_authenticated`).
Changing the email, setting a first password, deleting the account and creating API keys call
`require_recent` first, so a borrowed or stolen session cookie alone cannot do them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from dreampixel.core.errors import Forbidden, RateLimited, ValidationFailed
from dreampixel.core.logging import get_logger
from dreampixel.core.models import AuthSession
from dreampixel.core.settings import settings
from services import ratelimit
from services.accounts import clock, passwords, sessions
from services.accounts.service import active_user

log = get_logger(__name__)

CONFIRM_FAILURES_SCOPE = "reauth-failures"
CONFIRM_FAILURE_LIMIT = 5
CONFIRM_FAILURE_WINDOW_SECONDS = 15 * 60
WRONG_PASSWORD = "That is not your password."  # noqa: S105 (a message, not a password)


class ReauthenticationRequired(Forbidden):
    """The session signed in too long ago for this change: confirm the password or sign in again."""

    code = "reauthentication_required"


def window() -> timedelta:
    return timedelta(minutes=settings.reauth_minutes)


def is_recent(row: AuthSession | None) -> bool:
    """Whether `row` proved who it is within the last `settings.reauth_minutes`."""
    return row is not None and row.authenticated_at is not None and clock.now() - row.authenticated_at <= window()


def require_recent(session: Session, *, user_id: str, session_id: str) -> None:
    """ReauthenticationRequired unless `user_id`'s session `session_id` authenticated recently."""
    if not is_recent(sessions.get_live(session, user_id=user_id, session_id=session_id)):
        raise ReauthenticationRequired(
            f"For your security, confirm it is you: you signed in more than {settings.reauth_minutes} minutes ago.")


def mark_authenticated(session: Session, *, user_id: str, session_id: str) -> bool:
    """Record that session `session_id` just proved who it is; False when it is not a live session of theirs."""
    row = sessions.get_live(session, user_id=user_id, session_id=session_id)
    if row is None:
        return False
    row.authenticated_at = clock.now()
    session.add(row)
    session.flush()
    return True


def confirm_password(session: Session, *, user_id: str, session_id: str, password: str) -> None:
    """Check the password again and make the session recent; five wrong tries wait until they slide out of
    the 15-minute window (the refusal says how long)."""
    user = active_user(session, user_id)
    subject = f"user:{user_id}"
    waiting = ratelimit.throttle_failures(subject, scope=CONFIRM_FAILURES_SCOPE, limit=CONFIRM_FAILURE_LIMIT,
                                          window=CONFIRM_FAILURE_WINDOW_SECONDS)
    if not waiting.allowed:
        raise RateLimited("Too many wrong passwords. Try again in a few minutes.",
                          headers={"Retry-After": str(waiting.reset_seconds)})
    if not passwords.verify_password(password, user.password_hash):
        ratelimit.record_failure(subject, scope=CONFIRM_FAILURES_SCOPE, limit=CONFIRM_FAILURE_LIMIT,
                                 window=CONFIRM_FAILURE_WINDOW_SECONDS)
        raise ValidationFailed(WRONG_PASSWORD, code="wrong_password",
                               errors=[{"field": "password", "message": WRONG_PASSWORD}])
    mark_authenticated(session, user_id=user_id, session_id=session_id)
    log.info("account.reauthenticated", user_id=user_id, method="password")
