"""Signing in with email and password: lockout, per-address throttle, and uniform answers.

Every refusal of credentials reads "Email or password is incorrect." and costs one bcrypt
check, whether the email is registered or not. Five failures lock an account for 15
minutes; an address with too many failures waits. Both counters of failures that have no
account row (per address, per unknown email) are rate-limit counters (services.ratelimit), in
Redis when it is configured, so they hold across app processes.

`sign_in` never raises for a refused attempt: it returns the outcome, so the edge commits
the failure count in the same unit of work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from dreampixel.core.models import UserStatus
from services import ratelimit
from services.accounts import clock, passwords, sessions
from services.accounts.service import get_by_email

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
INCORRECT = "Email or password is incorrect."
# Unknown emails are "locked" too, so the lock message is no sign an account exists.
UNKNOWN_EMAIL_SCOPE = "signin-unknown-email"


@dataclass(frozen=True)
class SignInResult:
    """A ticket for /api/auth/session on success; otherwise a message for the form."""

    ticket: str | None = None
    error: str | None = None
    user_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.ticket is not None


def _locked_message(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def sign_in(session: Session, *, email: str, password: str, address: str | None) -> SignInResult:
    """Check the credentials and issue a one-time sign-in ticket, counting failures."""
    from_address = ratelimit.throttle_failures(address)
    if not from_address.allowed:
        minutes = math.ceil(from_address.reset_seconds / 60)
        return SignInResult(error=f"Too many attempts from your network. Try again in {minutes} minutes.")
    now = clock.now()
    user = get_by_email(session, email) if email.strip() else None
    if user is None:
        passwords.burn_time(password)
        ratelimit.record_failure(address)
        unknown = ratelimit.record_failure(email.strip().lower(), scope=UNKNOWN_EMAIL_SCOPE, limit=MAX_FAILURES,
                                           window=int(LOCK_DURATION.total_seconds()))
        return SignInResult(error=INCORRECT if unknown.allowed else _locked_message(LOCK_DURATION.total_seconds()))
    correct = passwords.verify_password(password, user.password_hash or passwords.DUMMY_HASH) and bool(user.password_hash)
    if user.locked_until is not None and user.locked_until > now:
        ratelimit.record_failure(address)
        return SignInResult(error=_locked_message((user.locked_until - now).total_seconds()))
    if not correct:
        ratelimit.record_failure(address)
        user.failed_login_count += 1
        error = INCORRECT
        if user.failed_login_count >= MAX_FAILURES:
            user.failed_login_count = 0
            user.locked_until = now + LOCK_DURATION
            error = _locked_message(LOCK_DURATION.total_seconds())
        session.add(user)
        session.flush()
        return SignInResult(error=error)
    if user.status is not UserStatus.ACTIVE:
        return SignInResult(error="This account is suspended. Contact support if you think this is a mistake.")
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    ticket = sessions.issue_ticket(session, user_id=user.id)
    return SignInResult(ticket=ticket, user_id=user.id)
