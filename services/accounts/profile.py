"""What a signed-in person changes about their account: name and password.

Email changes go through services.accounts.verification (the new address must confirm).
"""

from __future__ import annotations

from sqlmodel import Session

from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import User
from dreampixel.core.models.users import NAME_MAX_LENGTH
from services.accounts import credentials, passwords, reauth
from services.accounts.credentials import Ended
from services.accounts.service import active_user, check_new_password
from services.email import notifications


def update_name(session: Session, *, user_id: str, name: str) -> User:
    """Rename the account (1-100 characters after trimming)."""
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed("Names need 1 to 100 characters.",
                               errors=[{"field": "name", "message": f"Between 1 and {NAME_MAX_LENGTH} characters."}])
    user = active_user(session, user_id)
    user.name = name
    session.add(user)
    session.flush()
    return user


def change_password(session: Session, *, user_id: str, current_password: str, new_password: str,
                    keep_session_id: str | None) -> Ended:
    """Replace the password after checking the current one; every other session and every API key ends.

    An account without a password (OAuth only) sets its first one only from a session that
    authenticated recently (`keep_session_id`), since there is no current password to ask for.
    """
    user = active_user(session, user_id)
    if not user.password_hash:
        reauth.require_recent(session, user_id=user.id, session_id=keep_session_id or "")
    elif not passwords.verify_password(current_password, user.password_hash):
        raise ValidationFailed("The current password is not right.",
                               errors=[{"field": "current_password", "message": "That is not your current password."}])
    check_new_password(new_password)
    user.password_hash = passwords.hash_password(new_password)
    session.add(user)
    ended = credentials.end_access(session, user_id=user.id, keep_session_id=keep_session_id, reason="password_changed")
    notifications.send_access_reset(session, to=user.email, name=user.name, api_keys=ended.api_keys)
    session.flush()
    return ended
