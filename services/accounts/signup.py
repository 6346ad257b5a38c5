"""Signing up: the account exists at once, unverified, and a confirmation link goes out.

A taken email gets the same answer as a new one (the owner of that address is told someone
tried), and both paths hash a password, so neither words nor timing reveal who is registered.
"""

from __future__ import annotations

from sqlmodel import Session

from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import User
from dreampixel.core.models.users import NAME_MAX_LENGTH
from services.accounts import mail_limits, passwords, verification
from services.accounts.service import check_email, check_new_password, create_user, get_by_email
from services.email import notifications

SIGNED_UP_MESSAGE = "Check your inbox: we sent a link to confirm your email."


def sign_up(session: Session, *, email: str, password: str, name: str = "", client: str | None = None) -> User | None:
    """Create an unverified account and queue its confirmation; None when the email was taken.

    RateLimited past the hourly limits per address and per client, taken email or not.
    """
    errors: list[dict[str, str]] = []
    try:
        email = check_email(email)
    except ValidationFailed as error:
        errors += error.errors
    try:
        check_new_password(password)
    except ValidationFailed as error:
        errors += error.errors
    if len(name.strip()) > NAME_MAX_LENGTH:
        errors.append({"field": "name", "message": f"At most {NAME_MAX_LENGTH} characters."})
    if errors:
        raise ValidationFailed("Some fields need another look.", errors=errors)
    mail_limits.allow(mail_limits.SIGNUP, to=email, client=client)
    existing = get_by_email(session, email)
    if existing is not None:
        passwords.hash_password(password)  # the time a new account's hash would take
        notifications.send_signup_attempt(session, to=existing.email)
        return None
    user = create_user(session, email=email, password=password, name=name.strip())
    verification.send_verification(session, user)
    return user

