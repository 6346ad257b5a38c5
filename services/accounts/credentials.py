"""Ending every way into an account at once: sessions, API keys and pending one-time links.

A password reset or change, "sign out everywhere", an OAuth sign-in taking over an unverified
sign-up and undoing an email change all end with `end_access`, so whoever got in before
(a stolen session, a key made by someone who signed up with the owner's address) is out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col

from dreampixel.core.logging import get_logger
from dreampixel.core.models import TokenPurpose, VerificationToken
from services.accounts import clock, sessions
from services.api_keys import service as api_keys

log = get_logger(__name__)


@dataclass(frozen=True)
class Ended:
    """How many sessions (other than the one kept) and API keys were ended."""

    sessions: int
    api_keys: int


def end_access(session: Session, *, user_id: str, keep_session_id: str | None = None,
               reason: str) -> Ended:
    """Revoke every session (but `keep_session_id`) and every API key of `user_id`, and retire
    their unused reset and email-change links; `reason` goes to the log."""
    ended = Ended(sessions=sessions.revoke_all(session, user_id=user_id, keep_session_id=keep_session_id),
                  api_keys=api_keys.revoke_all(session, user_id=user_id))
    retire_links(session, user_id=user_id)
    log.info("account.access_ended", user_id=user_id, reason=reason, sessions=ended.sessions,
             api_keys=ended.api_keys)
    return ended


def retire_links(session: Session, *, user_id: str) -> None:
    """Make every unused reset and email-change link of `user_id` stop working.

    Undo links stay: the old address must be able to take the account back whatever happens after.
    """
    session.execute(
        update(VerificationToken)
        .where(col(VerificationToken.user_id) == user_id, col(VerificationToken.used_at).is_(None),
               col(VerificationToken.purpose).in_((TokenPurpose.RESET_PASSWORD, TokenPurpose.CHANGE_EMAIL)))
        .values(used_at=clock.now())
    )
