"""Deleting an account: personal data and images go; the money trail stays, anonymised.

`delete_account` removes the rows in the caller's unit of work and returns the storage keys
of the deleted images; the edge deletes those files (`delete_files`) once the commit is
durable, so a rollback never leaves rows pointing at missing files.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import Session, col

from dreampixel.core.errors import ValidationFailed
from dreampixel.core.logging import get_logger
from dreampixel.core.models import (
    ApiKey,
    AuthSession,
    CreditLedger,
    Generation,
    IdempotencyRecord,
    Invoice,
    OAuthAccount,
    SeedFavorite,
    User,
    VerificationToken,
)
from services.accounts import passwords, reauth
from services.accounts.service import active_user
from services.images import repository as image_rows
from services.storage import delete_many

log = get_logger(__name__)

CONFIRM_MESSAGE = "Type your password, or your email address exactly, to confirm."


def confirm_deletion(user: User, *, password: str = "", typed_email: str = "") -> bool:
    """Refuse unless the password is right or the account's email was typed out; True when it was the password."""
    by_password = bool(password) and passwords.verify_password(password, user.password_hash)
    by_email = bool(typed_email) and typed_email.strip().lower() == user.email
    if not (by_password or by_email):
        raise ValidationFailed(CONFIRM_MESSAGE, errors=[{"field": "confirm", "message": CONFIRM_MESSAGE}])
    return by_password


def delete_account(session: Session, *, user_id: str, session_id: str, password: str = "",
                   typed_email: str = "") -> list[str]:
    """Delete the account and its personal data; returns the storage keys of its image files.

    The password proves it is the owner; the typed email only confirms intent, so then the
    session must have authenticated recently.
    """
    user = active_user(session, user_id)
    if not confirm_deletion(user, password=password, typed_email=typed_email):
        reauth.require_recent(session, user_id=user_id, session_id=session_id)
    return erase_account(session, user_id=user_id)


def erase_account(session: Session, *, user_id: str) -> list[str]:
    """Remove the account and its personal data without asking (operators); returns its storage keys."""
    images = image_rows.of_user(session, user_id)
    keys = image_rows.storage_keys(images)
    image_rows.delete_rows(session, images)
    session.execute(delete(Generation).where(col(Generation.user_id) == user_id))
    for table in (ApiKey, AuthSession, VerificationToken, OAuthAccount, SeedFavorite):
        session.execute(delete(table).where(col(table.user_id) == user_id))
    session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.owner) == user_id))
    # The ledger and invoices are accounting records: kept, with nobody attached to them.
    session.execute(update(CreditLedger).where(col(CreditLedger.user_id) == user_id).values(user_id=None))
    session.execute(update(Invoice).where(col(Invoice.user_id) == user_id).values(user_id=None))
    session.execute(delete(User).where(col(User.id) == user_id))
    session.flush()
    session.expunge_all()
    log.info("account.deleted", user_id=user_id, images=len(images))
    return keys


async def delete_files(keys: list[str]) -> int:
    """Remove the stored files whose rows were deleted; returns how many were removed."""
    return await delete_many(keys)
