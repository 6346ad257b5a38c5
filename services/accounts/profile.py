"""What a signed-in person changes about their account: name and password.

Email changes go through services.accounts.verification (the new address must confirm).
"""

from __future__ import annotations

from sqlmodel import Session

from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import User
from dreampixel.core.models.users import NAME_MAX_LENGTH
from services.accounts import passwords, sessions
from services.accounts.service import active_user, check_new_password


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
                    keep_session_id: str | None) -> int:
    """Replace the password after checking the current one; returns how many other sessions ended."""
    user = active_user(session, user_id)
    if user.password_hash and not passwords.verify_password(current_password, user.password_hash):
        raise ValidationFailed("The current password is not right.",
                               errors=[{"field": "current_password", "message": "That is not your current password."}])
    check_new_password(new_password)
    user.password_hash = passwords.hash_password(new_password)
    session.add(user)
    ended = sessions.revoke_all(session, user_id=user.id, keep_session_id=keep_session_id)
    session.flush()
    return ended
