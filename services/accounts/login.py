"""Signing in with email and password: lockout, per-client throttle, and uniform answers.

Every refusal of credentials reads "Email or password is incorrect." and costs one bcrypt
check, whether the email is registered or not. Five failures lock an account for 15
minutes, counted in one UPDATE so parallel attempts cannot slip past the count. A client
(address and account together) with 20 failures waits, so a client failing on other accounts
behind the same address never blocks someone else's correct password; one address failing
100 times on any accounts waits too. The counters without an account row (per client, per
address, per unknown email) are rate-limit counters (services.ratelimit), in Redis when it
is configured, so they hold across app processes.

`sign_in` never raises for a refused attempt: it returns the outcome, so the edge commits
the failure count in the same unit of work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, update
from sqlmodel import Session, col

from dreampixel.core.models import User, UserStatus
from services import ratelimit
from services.accounts import clock, passwords, sessions
from services.accounts.service import get_by_email

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
INCORRECT = "Email or password is incorrect."
# Unknown emails are "locked" too, so the lock message is no sign an account exists.
UNKNOWN_EMAIL_SCOPE = "signin-unknown-email"
# Failures from one address on any accounts: password spraying from one place.
ADDRESS_SCOPE = "signin-address-failures"
ADDRESS_FAILURE_LIMIT = 100


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


def _client(address: str | None, email: str) -> str:
    """The throttle's key: the address and the account tried from it."""
    return f"{address or 'unknown'}|{email}"


def _throttled(address: str | None, email: str) -> ratelimit.Decision | None:
    client = ratelimit.throttle_failures(_client(address, email))
    if not client.allowed:
        return client
    if address:
        everywhere = ratelimit.throttle_failures(address, scope=ADDRESS_SCOPE, limit=ADDRESS_FAILURE_LIMIT)
        if not everywhere.allowed:
            return everywhere
    return None


def _record_failure(address: str | None, email: str) -> None:
    ratelimit.record_failure(_client(address, email))
    if address:
        ratelimit.record_failure(address, scope=ADDRESS_SCOPE, limit=ADDRESS_FAILURE_LIMIT)


def _count_failure(session: Session, *, user_id: str, now: datetime) -> bool:
    """Count one wrong password in a single UPDATE; True when the account is (now) locked.

    The row lock orders parallel attempts: exactly the MAX_FAILURES-th one locks, and those
    arriving after it match no unlocked row.
    """
    failures = col(User.failed_login_count) + 1
    locks = failures >= MAX_FAILURES
    counted = session.execute(
        update(User)
        .where(col(User.id) == user_id, or_(col(User.locked_until).is_(None), col(User.locked_until) <= now))
        .values(failed_login_count=case((locks, 0), else_=failures),
                locked_until=case((locks, now + LOCK_DURATION), else_=col(User.locked_until)))
        .returning(col(User.locked_until))
        .execution_options(synchronize_session=False)
    ).first()
    return counted is None or (counted[0] is not None and counted[0] > now)


def sign_in(session: Session, *, email: str, password: str, address: str | None) -> SignInResult:
    """Check the credentials and issue a one-time sign-in ticket, counting failures."""
    account = email.strip().lower()
    throttled = _throttled(address, account)
    if throttled is not None:
        minutes = math.ceil(throttled.reset_seconds / 60)
        return SignInResult(error=f"Too many attempts from your network. Try again in {minutes} minutes.")
    now = clock.now()
    user = get_by_email(session, email) if account else None
    if user is None:
        passwords.burn_time(password)
        _record_failure(address, account)
        unknown = ratelimit.record_failure(account, scope=UNKNOWN_EMAIL_SCOPE, limit=MAX_FAILURES,
                                           window=int(LOCK_DURATION.total_seconds()))
        return SignInResult(error=INCORRECT if unknown.allowed else _locked_message(LOCK_DURATION.total_seconds()))
    correct = passwords.verify_password(password, user.password_hash or passwords.DUMMY_HASH) and bool(user.password_hash)
    if user.locked_until is not None and user.locked_until > now:
        _record_failure(address, account)
        return SignInResult(error=_locked_message((user.locked_until - now).total_seconds()))
    if not correct:
        _record_failure(address, account)
        locked = _count_failure(session, user_id=user.id, now=now)
        session.expire(user)
        return SignInResult(error=_locked_message(LOCK_DURATION.total_seconds()) if locked else INCORRECT)
    if user.status is not UserStatus.ACTIVE:
        return SignInResult(error="This account is suspended. Contact support if you think this is a mistake.")
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    ticket = sessions.issue_ticket(session, user_id=user.id)
    return SignInResult(ticket=ticket, user_id=user.id)
