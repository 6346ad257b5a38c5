"""One-time links (verify email, reset password, confirm a new email): issued, then used once.

The link carries a random token; the table keeps only its SHA-256, an expiry and `used_at`.
Using a token is one conditional UPDATE, so two clicks racing each other cannot both win.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from dreampixel.core.models import TokenPurpose, VerificationToken
from services.accounts import clock
from services.accounts.sessions import hash_token

LIFETIMES = {
    TokenPurpose.VERIFY_EMAIL: timedelta(hours=24),
    TokenPurpose.CHANGE_EMAIL: timedelta(hours=24),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.UNDO_EMAIL_CHANGE: timedelta(days=7),
}


def issue(session: Session, *, user_id: str, purpose: TokenPurpose, email: str | None = None) -> str:
    """Store a new token's hash for `purpose` and return the plaintext for the link."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(VerificationToken(user_id=user_id, purpose=purpose, token_hash=hash_token(token), email=email,
                                  created_at=now, expires_at=now + LIFETIMES[purpose]))
    session.flush()
    return token


def consume(session: Session, token: str, purposes: tuple[TokenPurpose, ...]) -> VerificationToken | None:
    """Mark the token used and return its row; None when it is unknown, used or expired."""
    if not token:
        return None
    now = clock.now()
    token_id = session.execute(
        update(VerificationToken)
        .where(col(VerificationToken.token_hash) == hash_token(token),
               col(VerificationToken.purpose).in_(purposes),
               col(VerificationToken.used_at).is_(None), col(VerificationToken.expires_at) > now)
        .values(used_at=now)
        .returning(col(VerificationToken.id))
    ).scalar_one_or_none()
    return session.get(VerificationToken, token_id) if token_id else None


def find(session: Session, token: str) -> VerificationToken | None:
    """The row of a token whatever its state (used to offer a fresh link for a spent one)."""
    return session.exec(select(VerificationToken).where(VerificationToken.token_hash == hash_token(token))).first()


def count_since(session: Session, *, user_id: str, purpose: TokenPurpose, since_seconds: float) -> int:
    since = clock.now() - timedelta(seconds=since_seconds)
    rows = session.exec(select(VerificationToken.id).where(
        VerificationToken.user_id == user_id, VerificationToken.purpose == purpose,
        col(VerificationToken.created_at) > since)).all()
    return len(rows)


def expire_unused(session: Session, *, user_id: str, purpose: TokenPurpose) -> None:
    """Retire the earlier links of a purpose, so only the newest one works."""
    session.execute(
        update(VerificationToken)
        .where(col(VerificationToken.user_id) == user_id, col(VerificationToken.purpose) == purpose,
               col(VerificationToken.used_at).is_(None))
        .values(used_at=clock.now())
    )
