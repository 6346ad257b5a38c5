"""Signed-in browsers: server-side sessions behind an httpOnly cookie.

The cookie holds a random token; the database keeps only its SHA-256. A session lasts
SESSION_DAYS after its last use (sliding), can be revoked one by one or all at once, and
stops working the moment its user is suspended.

Reflex event handlers cannot set httpOnly cookies, so signing in from a page is two steps:
the handler checks the password and issues a one-time ticket (`issue_ticket`) bound to the
browser (`bind_ticket`: the page sets the binding as a short-lived cookie), then the browser
visits `/api/auth/session?ticket=...`, which redeems it (`redeem_ticket`) only with that
cookie, creates the session and sets the cookie. A ticket link sent to someone else's browser
signs nobody in (no login CSRF).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from dreampixel.core.models import AuthSession, TokenPurpose, User, UserStatus, VerificationToken, utcnow

SESSION_COOKIE = "dp_session"
SESSION_DAYS = 7
# last_used_at (and the sliding expiry) is written at most this often per session.
TOUCH_EVERY = timedelta(minutes=5)
TICKET_SECONDS = 60
# The cookie that binds a sign-in ticket to the browser it was issued to, scoped to /api/auth/session.
TICKET_BINDING_COOKIE = "dp_signin"
TICKET_PATH = "/api/auth/session"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, *, user_id: str, ip: str | None, user_agent: str | None) -> str:
    """Start a session for `user_id` that has just proved who it is; returns the cookie value (never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(AuthSession(user_id=user_id, token_hash=hash_token(token), ip=(ip or "")[:64] or None,
                            user_agent=(user_agent or "")[:512] or None, last_used_at=now,
                            expires_at=now + timedelta(days=SESSION_DAYS), authenticated_at=now))
    session.flush()
    return token


def resolve(session: Session, token: str | None, *, now: datetime | None = None) -> tuple[AuthSession, User] | None:
    """The live session and its active user for a cookie value, or None."""
    if not token:
        return None
    now = now or utcnow()
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.status is not UserStatus.ACTIVE:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        row.expires_at = now + timedelta(days=SESSION_DAYS)
        session.add(row)
    return row, user


def list_for_user(session: Session, user_id: str) -> list[AuthSession]:
    now = utcnow()
    return list(session.exec(
        select(AuthSession).where(AuthSession.user_id == user_id, col(AuthSession.revoked_at).is_(None),
                                  col(AuthSession.expires_at) > now)
        .order_by(col(AuthSession.last_used_at).desc())
    ).all())


def revoke(session: Session, *, user_id: str, session_id: str) -> bool:
    """End one of `user_id`'s sessions; False when there is no such live session of theirs."""
    result = session.execute(
        update(AuthSession).where(col(AuthSession.id) == session_id, col(AuthSession.user_id) == user_id,
                                  col(AuthSession.revoked_at).is_(None)).values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_all(session: Session, *, user_id: str, keep_session_id: str | None = None) -> int:
    """End every session of `user_id` (but `keep_session_id`); see services.accounts.credentials for
    ending sessions and API keys together."""
    query = update(AuthSession).where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
    if keep_session_id:
        query = query.where(col(AuthSession.id) != keep_session_id)
    return int(session.execute(query.values(revoked_at=utcnow())).rowcount or 0)  # type: ignore[attr-defined]


def issue_ticket(session: Session, *, user_id: str) -> str:
    """A single-use, minute-long ticket that `/api/auth/session` exchanges for the cookie."""
    ticket = secrets.token_urlsafe(32)
    session.add(VerificationToken(user_id=user_id, purpose=TokenPurpose.SIGN_IN, token_hash=hash_token(ticket),
                                  expires_at=utcnow() + timedelta(seconds=TICKET_SECONDS)))
    session.flush()
    return ticket


def _bound_hash(ticket: str, binding: str) -> str:
    return hash_token(f"{ticket}.{binding}")


def bind_ticket(session: Session, ticket: str) -> str:
    """Bind a fresh ticket to one browser; returns the binding the page stores in TICKET_BINDING_COOKIE.

    Only the hash of ticket and binding together is kept, so the ticket alone redeems nothing.
    """
    binding = secrets.token_urlsafe(32)
    session.execute(
        update(VerificationToken)
        .where(col(VerificationToken.token_hash) == hash_token(ticket),
               col(VerificationToken.purpose) == TokenPurpose.SIGN_IN, col(VerificationToken.used_at).is_(None))
        .values(token_hash=_bound_hash(ticket, binding))
    )
    return binding


def redeem_ticket(session: Session, ticket: str, *, binding: str | None, ip: str | None,
                  user_agent: str | None) -> str | None:
    """Use up `ticket` with the browser's `binding` and start a session; returns the cookie value,
    or None if the ticket is spent, expired, or was issued to another browser."""
    if not ticket or not binding:
        return None
    now = utcnow()
    used = session.execute(
        update(VerificationToken)
        .where(col(VerificationToken.token_hash) == _bound_hash(ticket, binding),
               col(VerificationToken.purpose) == TokenPurpose.SIGN_IN,
               col(VerificationToken.used_at).is_(None), col(VerificationToken.expires_at) > now)
        .values(used_at=now)
        .returning(col(VerificationToken.user_id))
    ).scalar_one_or_none()
    if used is None:
        return None
    user = session.get(User, used)
    if user is None or user.status is not UserStatus.ACTIVE:
        return None
    return create(session, user_id=user.id, ip=ip, user_agent=user_agent)


def get_live(session: Session, *, user_id: str, session_id: str) -> AuthSession | None:
    """`user_id`'s session `session_id` while it is live, else None."""
    row = session.get(AuthSession, session_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row
